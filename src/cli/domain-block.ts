import { readFile } from "node:fs/promises";
import { findAccountByUsername } from "../accounts/account.service.ts";
import type { Database } from "../db/client.ts";
import {
  applyImport,
  applyPolicyConsequences,
  type BlockRule,
  blockDomain,
  type ChangePreview,
  exportCsv,
  isSeverity,
  listDomainBlocks,
  type ModerationActor,
  type PurgedTarget,
  previewImport,
  SYSTEM_ACTOR,
  unblockDomain,
} from "../moderation/index.ts";
import { decodeListBytes } from "../moderation/list-text.ts";
import { flagString, flagStrings, type ParsedArgs, readStdinBytes, UsageError } from "./args.ts";
import type { CliIo } from "./commands.ts";

/**
 * `haven domain-block …`: the same core services as the admin API, so the
 * same rules, audit log and purge apply. The audit log names the admin given
 * with `--as`, else `system` (whoever can run the CLI holds the database).
 * A running server learns of the change by NOTIFY.
 */
export async function domainBlockCommand(
  database: Database,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const db = database.db;
  const sub = args.positional[1];
  const actor = await actorFor(database, args);
  if (!actor.ok) {
    io.out(`error: ${actor.error}`);
    return 1;
  }
  switch (sub) {
    case "add":
      return add(database, args, io, actor.value);
    case "remove": {
      const domain = args.positional[2];
      if (!domain) throw new UsageError("domain-block remove needs a DOMAIN");
      const result = await unblockDomain(db, { domain }, actor.value, {
        exclude: args.flags.has("exclude"),
      });
      if (!result.ok) {
        io.out(`error: ${result.error.message}`);
        return 1;
      }
      await applyPolicyConsequences(db, {}, actor.value);
      const listed = result.value.stillListedBy;
      io.out(
        result.value.domainBlock && listed.length > 0
          ? `${result.value.domainBlock.domain} stays blocked: still listed by subscription ${listed.join(", ")} (use --exclude to keep lists from blocking it)`
          : `unblocked ${domain}`,
      );
      return 0;
    }
    case "list": {
      const rows = await listDomainBlocks(db, { limit: 200 });
      let page = rows;
      while (page.length === 200) {
        page = await listDomainBlocks(db, { limit: 200, maxId: page.at(-1)!.id });
        rows.push(...page);
      }
      if (rows.length === 0) io.out("no domain blocks");
      for (const r of rows) {
        const flags = [
          r.rejectMedia ? "reject-media" : null,
          r.rejectReports ? "reject-reports" : null,
          r.obfuscate ? "obfuscate" : null,
        ].filter((f) => f !== null);
        io.out(
          [r.domain, r.severity, flags.join(",") || "-", r.publicComment ?? ""]
            .join("\t")
            .trimEnd(),
        );
      }
      return 0;
    }
    case "import":
      return importList(database, args, io, actor.value);
    case "export":
      io.out((await exportCsv(db)).replace(/\n$/, ""));
      return 0;
    default:
      throw new UsageError(`domain-block needs add, remove, list, import or export`);
  }
}

export async function actorFor(
  database: Database,
  args: ParsedArgs,
): Promise<{ ok: true; value: ModerationActor } | { ok: false; error: string }> {
  const name = flagString(args, "as");
  if (name === undefined) return { ok: true, value: SYSTEM_ACTOR };
  const account = await findAccountByUsername(database.db, name);
  if (!account) return { ok: false, error: `no user named "${name}"` };
  if (!account.isAdmin) return { ok: false, error: `${name} is not an admin` };
  return { ok: true, value: { kind: "account", accountId: account.id } };
}

async function add(
  database: Database,
  args: ParsedArgs,
  io: CliIo,
  actor: ModerationActor,
): Promise<number> {
  const domain = args.positional[2];
  if (!domain) throw new UsageError("domain-block add needs a DOMAIN");
  const severity = flagString(args, "severity") ?? "suspend";
  if (!isSeverity(severity)) throw new UsageError("--severity must be suspend, silence or noop");
  const result = await blockDomain(
    database.db,
    {
      domain,
      severity,
      rejectMedia: args.flags.has("reject-media"),
      rejectReports: args.flags.has("reject-reports"),
      obfuscate: args.flags.has("obfuscate"),
      privateComment: flagString(args, "private-comment") ?? null,
      publicComment: flagString(args, "public-comment") ?? null,
    },
    actor,
  );
  if (!result.ok) {
    io.out(`error: ${result.error.message}`);
    return 1;
  }
  const purged = await applyPolicyConsequences(database.db, result.value, actor);
  io.out(
    `blocked ${result.value.domainBlock?.domain ?? domain} (${result.value.domainBlock?.severity ?? severity})`,
  );
  printPurged(io, purged);
  return 0;
}

async function importList(
  database: Database,
  args: ParsedArgs,
  io: CliIo,
  actor: ModerationActor,
): Promise<number> {
  const file = args.positional[2];
  if (!file) throw new UsageError("domain-block import needs a FILE (or - for stdin)");
  const mode = flagString(args, "mode") ?? "merge";
  if (mode !== "merge" && mode !== "replace") {
    throw new UsageError("--mode must be merge or replace");
  }
  // Bytes, not "utf8": Node would turn a binary file into text with U+FFFD.
  const text = decodeListBytes(file === "-" ? await readStdinBytes() : await readFile(file));
  if (!text.ok) {
    io.out(`error: ${text.error.message}`);
    return 1;
  }
  const preview = await previewImport(database.db, text.value, {
    mode,
    sourceName: file === "-" ? "stdin" : file,
    ...(actor.kind === "account" ? { accountId: actor.accountId } : {}),
  });
  if (!preview.ok) {
    io.out(`error: ${preview.error.message}`);
    return 1;
  }
  const p = preview.value;
  io.out(`format: ${p.format}`);
  printChanges(io, p.changes);
  for (const e of p.errors) io.out(`line ${e.line}: error: ${e.message}`);
  for (const d of p.duplicates) io.out(`line ${d.line}: duplicate: ${d.message}`);
  for (const o of p.obfuscated) io.out(`line ${o.line}: skipped obfuscated entry ${o.domain}`);
  const confirm = flagStrings(args, "confirm").map((d) => d.toLowerCase());
  for (const n of p.needsConfirmation) {
    const given = confirm.includes(n.domain) ? "confirmed" : `needs --confirm ${n.domain}`;
    io.out(`line ${n.line}: ${given}: ${n.reason}`);
  }
  if (!args.flags.has("apply") && !args.flags.has("yes")) {
    io.out("nothing applied; run again with --apply to apply these changes");
    return 0;
  }
  const applied = await applyImport(database.db, p.token, actor, { confirm });
  if (!applied.ok) {
    io.out(`error: ${applied.error.message}`);
    const missing = applied.error.needsConfirmation ?? [];
    if (missing.length > 0) {
      io.out(`to apply, add: ${missing.map((m) => `--confirm ${m.domain}`).join(" ")}`);
    }
    return 1;
  }
  const purged = await applyPolicyConsequences(database.db, applied.value, actor);
  io.out(
    `applied: ${applied.value.changes.totals.new} new, ${applied.value.changes.totals.changed} changed, ${applied.value.changes.totals.removed} removed`,
  );
  printPurged(io, purged);
  return 0;
}

function printChanges(io: CliIo, c: ChangePreview): void {
  const t = c.totals;
  io.out(
    `${t.new} new, ${t.changed} changed, ${t.removed} removed, ${t.unchanged} unchanged; ` +
      `${t.followersCut} followers and ${t.pendingRequestsCut} follow requests would be cut`,
  );
  for (const e of c.new) io.out(`+ ${e.domain} ${e.after?.severity ?? ""}`.trimEnd());
  for (const e of c.changed) io.out(`~ ${e.domain} ${describeChange(e.before, e.after)}`);
  for (const e of c.removed) io.out(`- ${e.domain}`);
}

const FIELDS = [
  ["severity", "severity"],
  ["rejectMedia", "reject-media"],
  ["rejectReports", "reject-reports"],
  ["publicComment", "public comment"],
  ["privateComment", "private comment"],
  ["obfuscate", "obfuscate"],
] as const;

/** `silence -> suspend, public comment` */
function describeChange(before: BlockRule | null, after: BlockRule | null): string {
  const parts: string[] = [];
  for (const [key, label] of FIELDS) {
    const a = before?.[key] ?? null;
    const b = after?.[key] ?? null;
    if (a === b) continue;
    parts.push(key === "severity" ? `${a ?? "-"} -> ${b ?? "-"}` : label);
  }
  return parts.join(", ");
}

function printPurged(io: CliIo, purged: readonly PurgedTarget[]): void {
  for (const p of purged) {
    const removed = Object.entries(p.removed)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${n} ${name}`)
      .join(", ");
    io.out(`purged ${p.target} (${p.reason}): ${removed || "nothing stored"}`);
  }
}
