import { desc, eq, sql } from "drizzle-orm";
import { insertLocalActor } from "../actors/actor.service.ts";
import { validateHandle } from "../actors/handle.ts";
import type { Db } from "../db/client.ts";
import { accounts } from "../db/schema/index.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { generatePassword, hashPassword, verifyPassword } from "./password.ts";

export type Account = typeof accounts.$inferSelect;

export const MIN_PASSWORD_LENGTH = 10;

export interface CreatedAccount {
  account: Account;
  /** Set when the password was generated (the caller shows it once). */
  generatedPassword: string | null;
}

export async function createAccount(
  db: Db,
  input: { username: string; password?: string; isAdmin?: boolean },
): Promise<Result<CreatedAccount>> {
  const handle = validateHandle(input.username);
  if (!handle.ok) return err("invalid", `username: ${handle.message}`);
  const generatedPassword = input.password === undefined ? generatePassword() : null;
  const password = input.password ?? generatedPassword!;
  if (password.length < MIN_PASSWORD_LENGTH) {
    return err("invalid", `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const passwordHash = await hashPassword(password);
  const [existing] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(eq(accounts.username, handle.handle));
  if (existing) return err("conflict", `the name "${handle.handle}" is already taken`);

  const [account] = await db
    .insert(accounts)
    .values({ username: handle.handle, passwordHash, isAdmin: input.isAdmin ?? false })
    .onConflictDoNothing({ target: accounts.username })
    .returning();
  if (!account) return err("conflict", `the name "${handle.handle}" is already taken`);
  // The member's Person actor shares the handle namespace with channels.
  const actor = await insertLocalActor(db, {
    handle: handle.handle,
    kind: "person",
    accountId: account.id,
    displayName: handle.handle,
  });
  if (!actor) {
    await db.delete(accounts).where(eq(accounts.id, account.id));
    return err("conflict", `the name "${handle.handle}" is already taken`);
  }
  return ok({ account, generatedPassword });
}

export async function findAccountByUsername(db: Db, username: string): Promise<Account | null> {
  const [row] = await db
    .select()
    .from(accounts)
    .where(eq(accounts.username, username.trim().toLowerCase()))
    .limit(1);
  return row ?? null;
}

export async function findAccountById(db: Db, id: string): Promise<Account | null> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id)).limit(1);
  return row ?? null;
}

export async function authenticate(
  db: Db,
  username: string,
  password: string,
): Promise<Account | null> {
  const account = await findAccountByUsername(db, username);
  if (!account) {
    // Same cost as a real check, so timing does not reveal which names exist.
    await verifyPassword(
      password,
      "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    );
    return null;
  }
  return (await verifyPassword(password, account.passwordHash)) ? account : null;
}

/** Newest first; `maxId` (an account id) pages to the accounts created before it. */
export async function listAccounts(
  db: Db,
  page: { limit: number; maxId?: string },
): Promise<Account[]> {
  const older =
    page.maxId === undefined
      ? undefined
      : sql`(${accounts.createdAt}, ${accounts.id}) < (SELECT a.created_at, a.id FROM accounts a WHERE a.id = ${page.maxId})`;
  return db
    .select()
    .from(accounts)
    .where(older)
    .orderBy(desc(accounts.createdAt), desc(accounts.id))
    .limit(Math.min(Math.max(page.limit, 1), 200));
}

/**
 * Changing the password revokes every token issued before now. The database
 * clock sets `password_changed_at`, as it sets each token's `created_at`, so
 * the comparison in `verifyToken` never mixes two clocks.
 */
export async function changePassword(
  db: Db,
  accountId: string,
  newPassword: string,
): Promise<Result<void>> {
  if (newPassword.length < MIN_PASSWORD_LENGTH) {
    return err("invalid", `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const passwordHash = await hashPassword(newPassword);
  const updated = await db
    .update(accounts)
    .set({ passwordHash, passwordChangedAt: sql`now()` })
    .where(eq(accounts.id, accountId))
    .returning({ id: accounts.id });
  return updated.length ? ok(undefined) : err("not_found", "account not found");
}
