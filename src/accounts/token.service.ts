import { and, eq, isNull } from "drizzle-orm";
import { errors, jwtVerify, SignJWT } from "jose";
import type { Db } from "../db/client.ts";
import { accounts, apiTokens } from "../db/schema/index.ts";
import type { Account } from "./account.service.ts";

/** Mastodon-style scopes; admin tools (e.g. FediBlockHole) ask for admin:*. */
export const USER_SCOPES = ["read", "write"] as const;
export const ADMIN_SCOPES = ["read", "write", "admin:read", "admin:write"] as const;

export const LOGIN_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
export const CLI_TOKEN_TTL_SECONDS = 365 * 24 * 3600;

export interface TokenSettings {
  /** HMAC key derived from SECRET_KEY. */
  key: Uint8Array;
  issuer: string;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scopes: string[];
}

export interface Principal {
  account: Account;
  tokenId: string;
  scopes: readonly string[];
}

const AUDIENCE = "haven-api";

export async function issueToken(
  db: Db,
  settings: TokenSettings,
  account: Account,
  options: { name: string; ttlSeconds: number },
): Promise<IssuedToken> {
  const scopes = [...(account.isAdmin ? ADMIN_SCOPES : USER_SCOPES)];
  const expiresAt = new Date(Date.now() + options.ttlSeconds * 1000);
  const [row] = await db
    .insert(apiTokens)
    .values({ accountId: account.id, name: options.name, scopes, expiresAt })
    .returning({ id: apiTokens.id });
  const accessToken = await new SignJWT({ scope: scopes.join(" ") })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(account.id)
    .setJti(row!.id)
    .setIssuer(settings.issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(settings.key);
  return { accessToken, expiresIn: options.ttlSeconds, scopes };
}

/**
 * Verifies a bearer token: algorithm pinned to HS256 (so `alg: none` and
 * public-key confusion are refused), issuer, audience, expiry; then the token
 * row must exist unrevoked and predate no password change.
 */
export async function verifyToken(
  db: Db,
  settings: TokenSettings,
  token: string,
): Promise<Principal | null> {
  const checked = await checkToken(db, settings, token);
  return "principal" in checked ? checked.principal : null;
}

/** Why a token is refused, in words its holder can act on. */
export type TokenProblem = { problem: string };

const INVALID = { problem: "The access token is invalid" };

/** `verifyToken`, saying why when it refuses. */
export async function checkToken(
  db: Db,
  settings: TokenSettings,
  token: string,
): Promise<{ principal: Principal } | TokenProblem> {
  let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
  try {
    ({ payload } = await jwtVerify(token, settings.key, {
      algorithms: ["HS256"],
      issuer: settings.issuer,
      audience: AUDIENCE,
      requiredClaims: ["sub", "jti", "iat", "exp"],
    }));
  } catch (e) {
    if (e instanceof errors.JOSEError || e instanceof TypeError) return explain(e, settings);
    throw e;
  }
  const [row] = await db
    .select({ account: accounts, token: apiTokens })
    .from(apiTokens)
    .innerJoin(accounts, eq(accounts.id, apiTokens.accountId))
    .where(and(eq(apiTokens.id, String(payload.jti)), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (!row || row.account.id !== payload.sub) return INVALID;
  if (row.token.expiresAt.getTime() <= Date.now()) return EXPIRED;
  // The row's creation time (not the JWT's second-precision iat) decides:
  // a token made before the last password change is revoked.
  if (row.token.createdAt.getTime() < row.account.passwordChangedAt.getTime()) return INVALID;
  return { principal: { account: row.account, tokenId: row.token.id, scopes: row.token.scopes } };
}

const EXPIRED = { problem: "The access token has expired: log in again or create a new one" };

/**
 * jose checks the signature before any claim, so a claim error means the
 * token is one this server's key made and its claims can be named. The usual
 * case: `haven token create` run before PUBLIC_URL was set signs for
 * http://localhost:PORT, and the server started with PUBLIC_URL refuses it.
 */
function explain(e: unknown, settings: TokenSettings): TokenProblem {
  if (e instanceof errors.JWTExpired) return EXPIRED;
  if (e instanceof errors.JWTClaimValidationFailed && e.claim === "iss") {
    const issuer = typeof e.payload.iss === "string" ? e.payload.iss : "another server";
    return {
      problem:
        `The access token was made for ${issuer}, not for ${settings.issuer} (PUBLIC_URL): ` +
        "create a new one with `haven token create USERNAME` where PUBLIC_URL is set as this server's, or log in again",
    };
  }
  return INVALID;
}

export async function revokeToken(db: Db, tokenId: string): Promise<void> {
  await db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, tokenId));
}

export function hasScope(principal: Principal, scope: string): boolean {
  // "admin:write" covers "admin:write:domain_blocks", as in Mastodon.
  return principal.scopes.some((s) => s === scope || scope.startsWith(`${s}:`));
}
