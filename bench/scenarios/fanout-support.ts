import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { type Channel, createChannel } from "../../src/channels/channel.service.ts";
import { queryRows } from "../../src/db/client.ts";
import { supportVideos } from "../../src/db/schema/index.ts";
import { type Bench, check, log, now } from "../support/bench.ts";
import type { RpcChild } from "../support/rpc.ts";
import type { SinkReport } from "../support/sink.ts";

export const HOSTS = 1_000;
export const FOLLOWERS = 10_000;
/** Queues a fan-out goes through, from the domain event to the deliveries. */
export const FANOUT_QUEUES = ["events", "fanout", "outbox", "raw-outbox"] as const;

export interface Audience {
  sink: RpcChild;
  port: number;
  addresses: string[];
}

/** The sink (1,000 loopback hosts) and 10,000 followers each for the two fan-out channels. */
export function audience(b: Bench): Promise<Audience> {
  return b.once("audience", async () => {
    const sink = await b.child("sink", "support/sink.ts");
    const { port, addresses } = await sink.call<{ port: number; addresses: string[] }>("start", {
      hosts: HOSTS,
    });
    const started = now();
    await seedFollowers(b, b.channels.shared, {
      port,
      prefix: "s",
      shared: true,
      count: FOLLOWERS,
    });
    await seedFollowers(b, b.channels.personal, {
      port,
      prefix: "p",
      shared: false,
      count: FOLLOWERS,
    });
    log(
      `sink on ${HOSTS} loopback hosts (:${port}); 2 × ${FOLLOWERS} followers seeded in ${Math.round(now() - started)} ms`,
    );
    return { sink, port, addresses };
  });
}

/** Follower g lives on host g mod 1,000 (the sink's address for that index). */
async function seedFollowers(
  b: Bench,
  channel: Channel,
  o: { port: number; prefix: string; shared: boolean; count: number },
): Promise<void> {
  await b.db.execute(sql`
    WITH hosts AS (
      SELECT g, '127.0.' || (1 + (g % ${HOSTS}) / 250) || '.' || (1 + (g % ${HOSTS}) % 250) AS host
      FROM generate_series(0, ${o.count - 1}) g
    ), inserted AS (
      INSERT INTO remote_actors (iri, type, handle, domain, inbox_url, shared_inbox_url, display_name)
      SELECT 'http://' || host || ':' || ${o.port}::int || '/users/' || ${o.prefix}::text || g,
             'Person',
             ${o.prefix}::text || g || '@' || host,
             host,
             'http://' || host || ':' || ${o.port}::int || '/users/' || ${o.prefix}::text || g || '/inbox',
             CASE WHEN ${o.shared}::boolean THEN 'http://' || host || ':' || ${o.port}::int || '/inbox' END,
             'Follower ' || g
      FROM hosts
      RETURNING id
    )
    INSERT INTO follows (follower_id, followee_id, activity_iri, status, accepted_at)
    SELECT id, ${channel.id}::uuid, 'http://bench.invalid/follows/' || id, 'accepted', now()
    FROM inserted`);
}

export interface Published {
  /** When the publish began (shared clock). */
  startedAt: number;
  /** How long the publish request (or transaction) took. */
  ms: number;
}

export type Trigger = "video" | "actor";

let publishCount = 0;

/** A published video and its `video.published` event, in one transaction (what processing does). */
async function publishVideo(b: Bench, channel: Channel): Promise<Published> {
  const startedAt = now();
  await b.db.transaction(async (tx) => {
    const [video] = await tx
      .insert(supportVideos)
      .values({
        channelId: channel.id,
        title: `Bench video ${++publishCount}`,
        description: "When everything feels like too much: five small steps. ".repeat(4),
        tags: ["support", "bench"],
        language: "en",
        state: "published",
        durationSeconds: 300,
        width: 1280,
        height: 720,
        fps: 30,
        sizeBytes: 1_048_576,
        mediaKey: "bench/video.mp4",
        posterKey: "bench/poster.jpg",
        publishedAt: new Date(),
      })
      .returning({ id: supportVideos.id });
    await b.deps.events.record(tx, { type: "video.published", videoId: video!.id });
  });
  return { startedAt, ms: now() - startedAt };
}

/** A channel profile edit through the HTTP API: records `actor.updated` (an Update to followers). */
async function publishProfileUpdate(b: Bench, channel: Channel): Promise<Published> {
  const startedAt = now();
  const res = await fetch(`${b.origin}/api/v1/channels/${channel.handle}`, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${b.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ display_name: `Bench ${channel.handle} ${++publishCount}` }),
  });
  await res.arrayBuffer();
  const ms = now() - startedAt;
  check(res.status === 200, `PATCH /api/v1/channels/${channel.handle} answered ${res.status}`);
  return { startedAt, ms };
}

export function publish(b: Bench, trigger: Trigger, channel: Channel): Promise<Published> {
  return trigger === "video" ? publishVideo(b, channel) : publishProfileUpdate(b, channel);
}

/**
 * What starts a fan-out. `video.published` is the real thing; while its
 * federation is not wired, a channel profile update (Update to followers,
 * shared inboxes preferred) is the closest path. "auto" publishes a video to
 * five followers and waits for them.
 */
export function trigger(b: Bench): Promise<Trigger> {
  return b.once("trigger", async () => {
    if (b.options.trigger !== "auto") return b.options.trigger;
    const a = await audience(b);
    await mkdir(join(b.dataDir, "media", "bench"), { recursive: true });
    await writeFile(join(b.dataDir, "media", "bench", "video.mp4"), Buffer.alloc(1_048_576));
    const channel = await probeChannel(b, a.port);
    await a.sink.call("configure", { delayMs: 0, deadHosts: [] });
    await a.sink.call("arm");
    await publishVideo(b, channel);
    const report = await a.sink.call<SinkReport>("waitFor", { count: 5, timeoutMs: 6_000 });
    await b.waitQueuesIdle(FANOUT_QUEUES, 10_000, true).catch(() => 0);
    await b.purgeDeliveries();
    const found: Trigger = report.healthy >= 5 ? "video" : "actor";
    log(
      found === "video"
        ? "fan-out trigger: video.published (a published video's event, recorded in its transaction)"
        : "fan-out trigger: actor.updated via PATCH /api/v1/channels/:name (video.published does not federate yet)",
    );
    return found;
  });
}

async function probeChannel(b: Bench, port: number): Promise<Channel> {
  const [owner] = await queryRows<{ account_id: string }>(
    b.db,
    sql`SELECT account_id FROM local_actors WHERE handle = 'bench'`,
  );
  const result = await createChannel(b.db, { name: "fanprobe", ownerAccountId: owner!.account_id });
  if (!result.ok) throw new Error(result.error.message);
  await seedFollowers(b, result.value, { port, prefix: "probe", shared: true, count: 5 });
  return result.value;
}
