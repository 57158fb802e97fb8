import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accountBlocks } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import { domainOfUrl, normalizeDomain } from "./domain.ts";
import type { PageQuery } from "./domain-blocks.service.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { bumpModerationVersion, withModerationLock } from "./state.ts";
import type { AccountBlock, ModerationActor } from "./types.ts";

/** An actor IRI as stored and matched: an absolute http(s) URL without fragment. */
export function normalizeActorIri(
  raw: string,
): { ok: true; iri: string; domain: string } | { ok: false; message: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, message: `"${raw}" is not an actor IRI (an https:// URL)` };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { ok: false, message: `"${raw}" is not an http(s) actor IRI` };
  }
  const host = domainOfUrl(url.href);
  const normalized = host === null ? null : normalizeDomain(host);
  if (!normalized?.ok) return { ok: false, message: `"${raw}" has no valid host` };
  url.hash = "";
  return { ok: true, iri: url.href, domain: normalized.domain };
}

/** Refuses one remote actor everywhere. Blocking an already blocked actor returns the entry. */
export function blockAccount(
  db: Db,
  input: { actorIri: string; privateComment?: string | null },
  actor: ModerationActor,
): Promise<ModerationResult<{ accountBlock: AccountBlock; created: boolean }>> {
  const normalized = normalizeActorIri(input.actorIri);
  if (!normalized.ok) return Promise.resolve(fail("invalid", normalized.message));
  return withModerationLock(db, async (tx) => {
    const [existing] = await tx
      .select()
      .from(accountBlocks)
      .where(eq(accountBlocks.actorIri, normalized.iri));
    if (existing) return success({ accountBlock: existing, created: false });
    const [row] = await tx
      .insert(accountBlocks)
      .values({
        actorIri: normalized.iri,
        domain: normalized.domain,
        privateComment: input.privateComment ?? null,
      })
      .returning();
    await recordAudit(tx, {
      actor,
      action: "account_block.create",
      target: normalized.iri,
      details: { privateComment: input.privateComment ?? null },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({ accountBlock: row!, created: true });
  });
}

export function unblockAccount(
  db: Db,
  target: { id: number } | { actorIri: string },
  actor: ModerationActor,
): Promise<ModerationResult<AccountBlock>> {
  let where: SQL;
  if ("id" in target) {
    where = eq(accountBlocks.id, target.id);
  } else {
    const normalized = normalizeActorIri(target.actorIri);
    if (!normalized.ok) return Promise.resolve(fail("invalid", normalized.message));
    where = eq(accountBlocks.actorIri, normalized.iri);
  }
  return withModerationLock(db, async (tx) => {
    const [row] = await tx.delete(accountBlocks).where(where).returning();
    if (!row) return fail("not_found", "Record not found");
    await recordAudit(tx, {
      actor,
      action: "account_block.destroy",
      target: row.actorIri,
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success(row);
  });
}

export async function listAccountBlocks(db: Db, page: PageQuery = {}): Promise<AccountBlock[]> {
  const conditions: SQL[] = [];
  if (page.maxId !== undefined) conditions.push(lt(accountBlocks.id, page.maxId));
  return db
    .select()
    .from(accountBlocks)
    .where(conditions.length === 0 ? undefined : and(...conditions))
    .orderBy(desc(accountBlocks.id))
    .limit(Math.min(Math.max(page.limit ?? 100, 1), 200));
}
