import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts } from "../db/schema/index.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { type Account, MIN_PASSWORD_LENGTH } from "./account.service.ts";
import { hashPassword, verifyPassword } from "./password.ts";
import {
  type IssuedToken,
  issueToken,
  LOGIN_TOKEN_TTL_SECONDS,
  type TokenSettings,
} from "./token.service.ts";

/**
 * A member changes their own password: the current one must be right; every
 * token issued before (the one used for this request too) stops working, and
 * the caller gets a fresh one. The change and the new token share one
 * transaction, so both carry the same `now()`: the new token is exactly as
 * old as the change (not older, so it is valid) and no earlier token is.
 */
export async function changeOwnPassword(
  db: Db,
  settings: TokenSettings,
  account: Account,
  input: { currentPassword: string; newPassword: string },
): Promise<Result<IssuedToken>> {
  return changeOwnPasswordThen(db, account, input, (tx, updated) =>
    issueToken(tx, settings, updated, { name: "login", ttlSeconds: LOGIN_TOKEN_TTL_SECONDS }),
  );
}

/**
 * The same change, then `renew` in its transaction: the API issues a fresh
 * token there, the web app a fresh browser session (after ending the others).
 */
export async function changeOwnPasswordThen<T>(
  db: Db,
  account: Account,
  input: { currentPassword: string; newPassword: string },
  renew: (tx: Db, updated: Account) => Promise<T>,
): Promise<Result<T>> {
  if (!(await verifyPassword(input.currentPassword, account.passwordHash))) {
    return err("unauthorized", "current_password is not the account's password");
  }
  if (input.newPassword.length < MIN_PASSWORD_LENGTH) {
    return err("unprocessable", `new_password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const passwordHash = await hashPassword(input.newPassword);
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(accounts)
      .set({ passwordHash, passwordChangedAt: sql`now()` })
      .where(eq(accounts.id, account.id))
      .returning();
    if (!updated) return err("not_found", "account not found");
    return ok(await renew(tx, updated));
  });
}
