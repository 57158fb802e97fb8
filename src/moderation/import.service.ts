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
import { applyInChunks } from "./chunked-apply.ts";
import { csvField } from "./csv.ts";
import { normalizeDomain } from "./domain.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { decodeOps, encodePayload, type StoredPayload } from "./import-payload.ts";
import { type NeedsConfirmation, planImport } from "./import-plan.ts";
import { checkListText } from "./list-text.ts";
import { newlySuspended, planChanges } from "./planner.ts";
import { buildPreview, type ChangePreview } from "./preview.ts";
import { loadSnapshotAt } from "./snapshot.ts";
import { bumpModerationVersion, readModerationVersion } from "./state.ts";
import type { ModerationActor } from "./types.ts";
import { yieldToEventLoop } from "./yield.ts";

export type { NeedsConfirmation } from "./import-plan.ts";

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
  /** Malformed rows and refused entries (1-based line and reason); they are never applied. */
  readonly errors: ParseIssue[];
  readonly duplicates: ParseIssue[];
  /** Entries with `*` in the name; they cannot be applied. */
  readonly obfuscated: ObfuscatedEntry[];
  /** Entries blocking a TLD or public suffix: `applyImport` needs them in `confirm`. */
  readonly needsConfirmation: NeedsConfirmation[];
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
  const isText = checkListText(text);
  if (!isText.ok) return isText;
  const parsed = parseBlocklist(text);
  if (parsed.fatal) return fail("invalid", parsed.fatal);
  await yieldToEventLoop();
  const mode = options.mode ?? "merge";
  const now = options.now ?? new Date();
  const note = `Imported${options.sourceName ? ` from ${options.sourceName}` : ""} on ${now.toISOString().slice(0, 10)}`;
  // A consistent read without the lock; a policy write landing meanwhile means read again.
  let version = 0;
  let snapshot = null;
  for (let attempt = 0; snapshot === null; attempt++) {
    if (attempt === 5) return fail("conflict", "Federation policy keeps changing; try again");
    version = await readModerationVersion(db);
    snapshot = await loadSnapshotAt(db, version);
  }
  await yieldToEventLoop();
  const planned = planImport(snapshot, parsed.entries, mode, note);
  await yieldToEventLoop();
  const changes = await buildPreview(db, snapshot, planned.plan);
  await yieldToEventLoop();
  const token = randomBytes(24).toString("base64url");
  const expiresAt = new Date(now.getTime() + PREVIEW_TTL_MS);
  await db.delete(domainBlockImportPreviews).where(lt(domainBlockImportPreviews.expiresAt, now));
  await db.insert(domainBlockImportPreviews).values({
    token,
    payload: encodePayload(mode, planned.ops, planned.needsConfirmation),
    stateVersion: version,
    createdByAccountId: options.accountId ?? null,
    expiresAt,
  });
  return success({
    token,
    expiresAt,
    format: parsed.format,
    changes,
    errors: [...parsed.errors, ...planned.refused].sort((a, b) => a.line - b.line),
    duplicates: parsed.duplicates,
    obfuscated: parsed.obfuscated,
    needsConfirmation: planned.needsConfirmation,
  });
}

export interface ImportApplied {
  readonly changes: ChangePreview;
  readonly newlySuspended: string[];
}

export interface ApplyImportOptions {
  now?: Date;
  /** Entries of `needsConfirmation` the admin confirms; all of them are required. */
  confirm?: readonly string[];
  /** Claim operations per transaction (see `applyInChunks`). */
  chunkSize?: number;
}

const STALE =
  "Federation policy changed after this preview was made; upload the file again to see the current changes";

/**
 * Applies a previewed import: all of it or nothing. Refused once expired,
 * when federation policy changed after the preview (what the admin
 * confirmed may no longer be what would happen), and while entries that
 * block a public suffix are not confirmed. Written in short transactions
 * (`applyInChunks`) so a 50,000-line list does not stall the server; one
 * audit entry for the whole import.
 */
export async function applyImport(
  db: Db,
  preview: string | { token: string },
  actor: ModerationActor,
  options: ApplyImportOptions = {},
): Promise<ModerationResult<ImportApplied>> {
  const token = typeof preview === "string" ? preview : preview.token;
  const [row] = await db
    .select()
    .from(domainBlockImportPreviews)
    .where(eq(domainBlockImportPreviews.token, token));
  if (!row) return fail("not_found", "This import preview does not exist or was already applied");
  if (row.expiresAt < (options.now ?? new Date())) {
    return fail("invalid", "This import preview has expired; upload the file again");
  }
  const payload = row.payload as StoredPayload;
  const missing = unconfirmed(payload.needsConfirmation ?? [], options.confirm ?? []);
  if (missing.length > 0) {
    return {
      ok: false,
      error: {
        kind: "conflict",
        message: `Nothing was applied: ${missing.map((m) => m.domain).join(", ")} would block every site under ${missing.length === 1 ? "it" : "them"}; confirm ${missing.length === 1 ? "it" : "them"} by name to apply the list`,
        needsConfirmation: missing,
      },
    };
  }
  // Planned outside the lock against the preview's own version; the first
  // chunk re-checks that version under the lock before anything is written.
  await yieldToEventLoop();
  const snapshot = await loadSnapshotAt(db, row.stateVersion);
  if (snapshot === null) return fail("conflict", STALE);
  await yieldToEventLoop();
  const ops = decodeOps(payload);
  const plan = planChanges(snapshot, ops);
  const changes = await buildPreview(db, snapshot, plan);
  await yieldToEventLoop();
  const written = await applyInChunks(db, ops, {
    version: row.stateVersion,
    plan,
    ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
    first: async (tx) => {
      if ((await readModerationVersion(tx)) !== row.stateVersion) return fail("conflict", STALE);
      const taken = await tx
        .delete(domainBlockImportPreviews)
        .where(eq(domainBlockImportPreviews.token, token))
        .returning({ token: domainBlockImportPreviews.token });
      if (taken.length === 0) {
        return fail("not_found", "This import preview does not exist or was already applied");
      }
      return success(undefined);
    },
    last: async (tx) => {
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
          newlySuspended: changes.newlySuspended.length,
          confirmed: (payload.needsConfirmation ?? []).map((n) => n.domain),
          followersCut: changes.totals.followersCut,
          pendingRequestsCut: changes.totals.pendingRequestsCut,
        },
        source: "import",
      });
      await bumpModerationVersion(tx);
    },
    // The preview was taken by the first chunk; give it back so the admin can retry.
    undone: async () => {
      await db.insert(domainBlockImportPreviews).values(row).onConflictDoNothing();
    },
  });
  if (!written.ok) return written;
  return success({ changes, newlySuspended: [...new Set(written.value.flatMap(newlySuspended))] });
}

function unconfirmed(
  needed: readonly NeedsConfirmation[],
  confirm: readonly string[],
): NeedsConfirmation[] {
  const confirmed = new Set(
    confirm.flatMap((raw) => {
      const n = normalizeDomain(raw);
      return n.ok ? [n.domain] : [];
    }),
  );
  return needed.filter((n) => !confirmed.has(n.domain));
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
