import { sql } from "drizzle-orm";
import { createAccount } from "../../src/accounts/account.service.ts";
import { issueToken, type TokenSettings } from "../../src/accounts/token.service.ts";
import { createChannel } from "../../src/channels/channel.service.ts";
import type { Db } from "../../src/db/client.ts";
import { queryRows } from "../../src/db/client.ts";
import type { Bench } from "../support/bench.ts";

/**
 * The global `fetch` without the 10 s deadline Haven's composition root puts
 * on it (the orchestrator builds Haven's deps too): a slow apply must be
 * measured, not cut off.
 */
export const plainFetch: typeof fetch =
  (globalThis.fetch as unknown as Record<symbol, { original: typeof fetch } | undefined>)[
    Symbol.for("haven.fetchDeadline")
  ]?.original ?? globalThis.fetch;

/** BENCHMARKS.md S9: 50,000 entries, ⅓ suspend, ⅓ silence, ⅓ noop. */
export const ENTRIES = 50_000;
/** 2,000 followers on 1,000 of the listed hosts (every 50th line; a third suspended). */
export const FOLLOWER_HOSTS = 1_000;
const FOLLOWERS_PER_HOST = 2;
const SEVERITIES = ["suspend", "silence", "noop"] as const;

export const hostOf = (i: number) => `h${i}.list${i % 97}.s9.test`;

/** The list in Mastodon's export format, as an admin would download and upload it. */
export function blocklistCsv(): string {
  const lines = ["#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"];
  for (let i = 0; i < ENTRIES; i++) {
    const severity = SEVERITIES[i % 3]!;
    lines.push(`${hostOf(i)},${severity},${severity === "noop"},false,S9 entry ${i},false`);
  }
  return `${lines.join("\n")}\n`;
}

/** Followers expected to be cut: those on the suspended hosts. */
export function expectedCut(): number {
  let cut = 0;
  for (let k = 0; k < FOLLOWER_HOSTS; k++) if ((k * 50) % 3 === 0) cut += FOLLOWERS_PER_HOST;
  return cut;
}

/** An admin with a token and a channel on a fresh database (the embedded one before Haven opens it). */
export async function seedAdmin(db: Db, tokens: TokenSettings): Promise<string> {
  const created = await createAccount(db, {
    username: "s9admin",
    password: "bench password, not secret",
    isAdmin: true,
  });
  if (!created.ok) throw new Error(created.error.message);
  const channel = await createChannel(db, {
    name: "s9chan",
    ownerAccountId: created.value.account.id,
  });
  if (!channel.ok) throw new Error(channel.error.message);
  const token = await issueToken(db, tokens, created.value.account, {
    name: "s9",
    ttlSeconds: 24 * 3600,
  });
  return token.accessToken;
}

/**
 * Back to the state before the import: no blocks, no previews, no audit
 * entries, and the 2,000 follows (with their remote actors) in place.
 * Bumps the policy version so a running Haven reloads.
 */
export async function resetState(db: Db): Promise<void> {
  await db.execute(sql`TRUNCATE domain_blocks, domain_block_sources,
                       domain_block_import_previews, moderation_audit_log`);
  await db.execute(sql`DELETE FROM remote_actors WHERE domain LIKE '%.s9.test'`);
  const [channel] = await queryRows<{ id: string }>(
    db,
    sql`SELECT id FROM local_actors WHERE handle = 's9chan'`,
  );
  await db.execute(sql`
    INSERT INTO remote_actors (iri, type, handle, domain, inbox_url)
    SELECT 'https://' || h.host || '/users/f' || f, 'Person', 'f' || f || '@' || h.host,
           h.host, 'https://' || h.host || '/inbox'
      FROM jsonb_array_elements_text(${JSON.stringify(
        Array.from({ length: FOLLOWER_HOSTS }, (_, k) => hostOf(k * 50)),
      )}::jsonb) AS h(host)
      CROSS JOIN generate_series(1, ${FOLLOWERS_PER_HOST}) AS f`);
  await db.execute(sql`
    INSERT INTO follows (follower_id, followee_id, activity_iri, status)
    SELECT ra.id, ${channel!.id}, ra.iri || '#follow', 'accepted'
      FROM remote_actors ra WHERE ra.domain LIKE '%.s9.test'`);
  await db.execute(sql`
    INSERT INTO moderation_state (id, version, changed_at) VALUES (1, 1, now())
    ON CONFLICT (id) DO UPDATE SET version = moderation_state.version + 1, changed_at = now()`);
  await db.execute(sql`SELECT pg_notify('haven_moderation', '')`);
}

/** GETs the admin API every 250 ms from the probe process (support/probe.ts). */
export async function startProbe(b: Bench, origin: string, token: string) {
  const probe = await b.child("probe", "support/probe.ts");
  await probe.call("start", {
    url: `${origin}/api/v1/admin/domain_blocks?limit=1`,
    token,
    everyMs: 250,
  });
  return {
    stop: () => probe.call<{ waits: number[]; failures: string[] }>("stop"),
  };
}
