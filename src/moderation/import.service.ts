import { randomBytes } from "node:crypto";
import { asc, eq, lt } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { domainBlockImportPreviews, domainBlocks } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import {
  type ListFormat,
  MASTODON_CSV_COLUMNS,
  type ObfuscatedEntry,
  type ParseIssue,
  parseBlocklist,
} from "./blocklist-parse.ts";
import { csvField } from "./csv.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { applyPlan, type ClaimOp, newlySuspended, planChanges } from "./planner.ts";
import { buildPreview, type ChangePreview } from "./preview.ts";
import { claimOf, loadSnapshot, type ModerationSnapshot } from "./snapshot.ts";
import { bumpModerationVersion, readModerationVersion, withModerationLock } from "./state.ts";
import type { Claim, ModerationActor } from "./types.ts";

/** How long an admin has to confirm a preview. */
const PREVIEW_TTL_MS = 60 * 60 * 1000;

export interface ImportOptions {
  /** `merge` (default) adds and updates; `replace` also removes hand-made blocks the file lacks. */
  mode?: "merge" | "replace";
  /** Shown in the private comment of new blocks, e.g. the uploaded file's name. */
  sourceName?: string;
  /** Who previews (the preview row is removed with the account). */
  accountId?: string;
  now?: Date;
}

export interface ImportPreview {
  /** Pass to `applyImport` to confirm. */
  readonly token: string;
  readonly expiresAt: Date;
  readonly format: ListFormat;
  readonly changes: ChangePreview;
  /** Malformed rows (1-based line and reason); they are never applied. */
  readonly errors: ParseIssue[];
  readonly duplicates: ParseIssue[];
  /** Entries with `*` in the name; they cannot be applied. */
  readonly obfuscated: ObfuscatedEntry[];
}

interface StoredPayload {
  mode: "merge" | "replace";
  ops: ClaimOp[];
}

function importOps(
  snapshot: ModerationSnapshot,
  claims: Claim[],
  mode: "merge" | "replace",
): ClaimOp[] {
  const ops: ClaimOp[] = claims.map((claim) => ({ op: "put", claim }));
  if (mode === "replace") {
    const named = new Set(claims.map((c) => c.domain));
    for (const [domain] of snapshot.claims) {
      if (!named.has(domain) && claimOf(snapshot, domain, null)) {
        ops.push({ op: "delete", domain, subscriptionId: null });
      }
    }
  }
  return ops;
}

/**
 * Parses an import (Mastodon CSV export, plain list, or Mastodon JSON) and
 * shows what it would change, storing it for `applyImport`. Nothing is
 * applied here. Imported entries become the admin's own blocks.
 */
export async function previewImport(
  db: Db,
  text: string,
  options: ImportOptions = {},
): Promise<ModerationResult<ImportPreview>> {
  const parsed = parseBlocklist(text);
  if (parsed.fatal) return fail("invalid", parsed.fatal);
  const mode = options.mode ?? "merge";
  const now = options.now ?? new Date();
  const note = `Imported${options.sourceName ? ` from ${options.sourceName}` : ""} on ${now.toISOString().slice(0, 10)}`;
  const version = await readModerationVersion(db);
  const snapshot = await loadSnapshot(db);
  const claims = parsed.entries.map((e): Claim => {
    const existing = claimOf(snapshot, e.domain, null);
    return {
      domain: e.domain,
      subscriptionId: null,
      severity: e.severity,
      rejectMedia: e.rejectMedia,
      rejectReports: e.rejectReports,
      publicComment: e.publicComment,
      obfuscate: e.obfuscate,
      // Mastodon's export has no private comment: keep ours rather than report a change.
      privateComment: e.privateComment ?? (existing ? existing.privateComment : note),
    };
  });
  const ops = importOps(snapshot, claims, mode);
  const changes = await buildPreview(db, snapshot, planChanges(snapshot, ops));
  const token = randomBytes(24).toString("base64url");
  const expiresAt = new Date(now.getTime() + PREVIEW_TTL_MS);
  await db.delete(domainBlockImportPreviews).where(lt(domainBlockImportPreviews.expiresAt, now));
  await db.insert(domainBlockImportPreviews).values({
    token,
    payload: { mode, ops } satisfies StoredPayload,
    stateVersion: version,
    createdByAccountId: options.accountId ?? null,
    expiresAt,
  });
  return success({
    token,
    expiresAt,
    format: parsed.format,
    changes,
    errors: parsed.errors,
    duplicates: parsed.duplicates,
    obfuscated: parsed.obfuscated,
  });
}

export interface ImportApplied {
  readonly changes: ChangePreview;
  readonly newlySuspended: string[];
}

/**
 * Applies a previewed import in one transaction: all of it or nothing. A
 * preview is refused once expired, or when federation policy changed after
 * it was made (what the admin confirmed may no longer be what would happen).
 */
export function applyImport(
  db: Db,
  preview: string | { token: string },
  actor: ModerationActor,
  options: { now?: Date } = {},
): Promise<ModerationResult<ImportApplied>> {
  const token = typeof preview === "string" ? preview : preview.token;
  return withModerationLock(db, async (tx) => {
    const [row] = await tx
      .select()
      .from(domainBlockImportPreviews)
      .where(eq(domainBlockImportPreviews.token, token));
    if (!row) return fail("not_found", "This import preview does not exist or was already applied");
    if (row.expiresAt < (options.now ?? new Date())) {
      return fail("invalid", "This import preview has expired; upload the file again");
    }
    if (row.stateVersion !== (await readModerationVersion(tx))) {
      return fail(
        "conflict",
        "Federation policy changed after this preview was made; upload the file again to see the current changes",
      );
    }
    const payload = row.payload as StoredPayload;
    const snapshot = await loadSnapshot(tx);
    const plan = planChanges(snapshot, payload.ops);
    const changes = await buildPreview(tx, snapshot, plan);
    await applyPlan(tx, plan);
    await tx.delete(domainBlockImportPreviews).where(eq(domainBlockImportPreviews.token, token));
    await recordAudit(tx, {
      actor,
      action: "import.apply",
      target: "domain_blocks",
      details: {
        mode: payload.mode,
        new: changes.new.map((e) => e.domain),
        changed: changes.changed.map((e) => e.domain),
        removed: changes.removed.map((e) => e.domain),
        unchanged: changes.unchanged.length,
        followersCut: changes.totals.followersCut,
        pendingRequestsCut: changes.totals.pendingRequestsCut,
      },
      source: "import",
    });
    await bumpModerationVersion(tx);
    return success({ changes, newlySuspended: newlySuspended(plan) });
  });
}

/**
 * Mastodon's export (`Admin::ExportDomainBlocksController`): its header and
 * columns, blocks with limitations (silence, suspend, or reject_media), oldest
 * first; booleans as `true`/`false`, no comment as an empty field.
 */
export async function exportCsv(db: Db): Promise<string> {
  const rows = await db.select().from(domainBlocks).orderBy(asc(domainBlocks.id));
  const lines = [MASTODON_CSV_COLUMNS.map((c) => `#${c}`).join(",")];
  for (const r of rows) {
    if (r.severity === "noop" && !r.rejectMedia) continue;
    lines.push(
      [
        r.domain,
        r.severity,
        String(r.rejectMedia),
        String(r.rejectReports),
        csvField(r.publicComment ?? ""),
        String(r.obfuscate),
      ].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}
