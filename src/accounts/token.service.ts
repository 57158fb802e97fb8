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
  let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
  try {
    ({ payload } = await jwtVerify(token, settings.key, {
      algorithms: ["HS256"],
      issuer: settings.issuer,
      audience: AUDIENCE,
      requiredClaims: ["sub", "jti", "iat", "exp"],
    }));
  } catch (e) {
    if (e instanceof errors.JOSEError || e instanceof TypeError) return null;
    throw e;
  }
  const [row] = await db
    .select({ account: accounts, token: apiTokens })
    .from(apiTokens)
    .innerJoin(accounts, eq(accounts.id, apiTokens.accountId))
    .where(and(eq(apiTokens.id, String(payload.jti)), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (!row || row.account.id !== payload.sub) return null;
  if (row.token.expiresAt.getTime() <= Date.now()) return null;
  // The row's creation time (not the JWT's second-precision iat) decides:
  // a token made before the last password change is revoked.
  if (row.token.createdAt.getTime() < row.account.passwordChangedAt.getTime()) return null;
  return { account: row.account, tokenId: row.token.id, scopes: row.token.scopes };
}

export async function revokeToken(db: Db, tokenId: string): Promise<void> {
  await db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, tokenId));
}

export function hasScope(principal: Principal, scope: string): boolean {
  // "admin:write" covers "admin:write:domain_blocks", as in Mastodon.
  return principal.scopes.some((s) => s === scope || scope.startsWith(`${s}:`));
}
