/**
 * A real, unmodified PeerTube (6.3 tried) subscribes to a Haven channel and
 * sees everything a PeerTube user depends on. PeerTube is judged by its REST
 * API and its log, never by its inbox's status (it answers 2xx, then drops
 * what its validators refuse). Opt-in: `npm run test:peers` (README).
 * The tests run in order and build on each other, as one user's story.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeTestVideo } from "../support/media-fixtures.ts";
import { peersEnv, SKIP_MESSAGE } from "./support/env.ts";
import {
  expectKeptByPeerTube,
  idleLikeARealUser,
  peerTubeProblems,
} from "./support/federation-checks.ts";
import { HavenApi, type HavenVideo, vtt } from "./support/haven-api.ts";
import { type HavenProcess, startHavenProcess } from "./support/haven-process.ts";
import { type Json, PeerTubeApi } from "./support/peertube-api.ts";
import { PeerTubeLog } from "./support/peertube-log.ts";
import { waitFor } from "./support/wait.ts";

const env = peersEnv();
if (!env) console.warn(SKIP_MESSAGE);

const runId = Date.now().toString(36);
const channelName = `skills_${runId}`;
let haven: HavenProcess;
let owner: HavenApi;
let viewer: PeerTubeApi; // subscribes by handle
let viewerAccountUrl: string;
let log: PeerTubeLog | null = null;
let handle: string; // skills_…@127.0.0.41:8080
let actorUrl: string;
const work = mkdtempSync(join(tmpdir(), "haven-peers-media-"));
let backCatalogue: HavenVideo;
const fresh: HavenVideo[] = [];
/** Haven video id → PeerTube's uuid of its copy. */
const onPeerTube = new Map<string, string>();
/** Set once PeerTube really subscribed: later tests fail fast without it instead of timing out. */
let subscribed = false;

describe.skipIf(!env)(
  `a real PeerTube (${env?.peertubeUrl ?? "PEERTUBE_URL unset"}) and a Haven channel`,
  () => {
    beforeAll(async () => {
      const e = env!;
      haven = await startHavenProcess({
        origin: e.havenOrigin,
        adminDatabaseUrl: e.adminDatabaseUrl,
        runId,
      });
      const ownerName = `owner_${runId}`;
      await haven.cli(
        ["user", "create", ownerName, "--password-stdin"],
        "correct horse battery staple",
      );
      owner = new HavenApi(haven.origin, (await haven.cli(["token", "create", ownerName])).trim());
      await owner.ok("POST", "/api/v1/channels", {
        name: channelName,
        display_name: "Skills for hard days",
        summary: "Short DBT skills.",
      });
      handle = `${channelName}@${new URL(haven.origin).host}`;
      actorUrl = `${haven.origin}/users/${channelName}`;
      const admin = new PeerTubeApi(e.peertubeUrl, e.peertubeToken);
      const username = `haven_${runId}`;
      viewer = await admin.createUser(username, "peers-password-1");
      viewerAccountUrl = (await viewer.me()).account.url;
      log = e.peertubeLog ? new PeerTubeLog(e.peertubeLog, new URL(e.peertubeUrl).host) : null;
      // Published before anyone subscribes: the back catalogue.
      backCatalogue = await publish("Back catalogue: box breathing", "Breathe in four");
    }, 240_000);

    afterAll(async () => {
      await haven?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    async function publish(title: string, cue: string): Promise<HavenVideo> {
      const file = await makeTestVideo(work, { seconds: 2 });
      return owner.publishVideo(
        file,
        {
          channel: channelName,
          title,
          description: `About ${title}.`,
          language: "en",
          comments_policy: "open",
        },
        { en: vtt(`${cue} (en)`), fr: vtt(`${cue} (fr)`) },
      );
    }

    const mark = async () => (log ? log.mark() : 0);
    /** For a failure message: what PeerTube and Haven logged, evaluated when the wait failed. */
    const explainPeerTube = (since: number, extra?: () => Promise<string>) => async () =>
      `${extra ? await extra() : ""}\n${await peerTubeProblems(log, since, haven.origin)}\nHaven's log (${haven.logPath}):\n${haven.logTail(25)}`;

    function requireSubscribed(): void {
      if (!subscribed)
        throw new Error("PeerTube is not subscribed: an earlier test (subscribe by handle) failed");
    }

    function copyOf(video: HavenVideo | undefined): string {
      const uuid = video && onPeerTube.get(video.id);
      if (!uuid)
        throw new Error("PeerTube has no copy of this video: an earlier test (new videos) failed");
      return uuid;
    }

    /** PeerTube's copy of a Haven video, found in the channel's video list. */
    async function waitOnPeerTube(video: HavenVideo, since: number): Promise<string> {
      let last = "";
      const uuid = await waitFor(
        `PeerTube to list "${video.title}" (${video.url}) in ${handle}'s videos`,
        async () => {
          const answer = await viewer.channelVideos(handle);
          last = answer.summary;
          return answer.body?.data?.find((v: Json) => v.url === video.url || v.name === video.title)
            ?.uuid as string | undefined;
        },
        {
          timeoutMs: 60_000,
          explain: async () => `last answer: ${last}\n${await explainPeerTube(since)()}`,
        },
      );
      onPeerTube.set(video.id, uuid);
      return uuid;
    }

    async function havenFollowers(): Promise<string[]> {
      const rows = await owner.ok("GET", `/api/v1/channels/${channelName}/followers?limit=200`);
      return rows.map((r: { actor_id: string }) => r.actor_id);
    }

    test("PeerTube finds the channel by its URL (search)", async () => {
      const since = await mark();
      const answer = await viewer.searchChannels(actorUrl);
      expect(
        answer.body?.data?.map((c: Json) => c.url),
        `${answer.summary}\n${await explainPeerTube(since)()}`,
      ).toContain(actorUrl);
    });

    test("PeerTube finds the channel by its handle (search)", async () => {
      const since = await mark();
      const answer = await viewer.searchChannels(handle);
      expect(
        answer.body?.data?.map((c: Json) => c.url),
        `${answer.summary}\n${await explainPeerTube(since)()}`,
      ).toContain(actorUrl);
    });

    test("subscribe by handle: Haven lists the PeerTube user as a follower, PeerTube lists the subscription", async () => {
      const since = await mark();
      const answer = await viewer.subscribe(handle);
      expect(answer.status, answer.summary).toBe(204);
      await waitFor(
        `Haven to list ${viewerAccountUrl} among ${channelName}'s followers`,
        async () => ((await havenFollowers()).includes(viewerAccountUrl) ? true : undefined),
        {
          explain: explainPeerTube(
            since,
            async () =>
              `Haven's followers: ${JSON.stringify(await havenFollowers().catch(() => []))}`,
          ),
        },
      );
      await expectKeptByPeerTube(log, since, haven.origin, {
        types: ["Accept"],
        mentions: viewerAccountUrl,
      });
      const subs = await viewer.subscriptions();
      expect(
        subs.body?.data?.map((c: Json) => c.url),
        subs.summary,
      ).toContain(actorUrl);
      subscribed = true;
    });

    test("the back catalogue (published before subscribing) is imported", async () => {
      requireSubscribed();
      const since = await mark();
      await waitOnPeerTube(backCatalogue, since);
    });

    test("subscribe by URL: a second PeerTube user pastes the channel's URL, then subscribes", async () => {
      const e = env!;
      const second = await new PeerTubeApi(e.peertubeUrl, e.peertubeToken).createUser(
        `haven2_${runId}`,
        "peers-password-2",
      );
      const secondUrl = (await second.me()).account.url;
      const since = await mark();
      const found = await second.searchChannels(actorUrl);
      const channel = found.body?.data?.find((c: Json) => c.url === actorUrl);
      expect(channel, found.summary).toBeDefined();
      const answer = await second.subscribe(`${channel.name}@${channel.host}`);
      expect(answer.status, answer.summary).toBe(204);
      await waitFor(
        `Haven to list ${secondUrl} among the followers`,
        async () => ((await havenFollowers()).includes(secondUrl) ? true : undefined),
        { explain: explainPeerTube(since) },
      );
    });

    test("two new videos arrive with their captions, which list and download", async () => {
      requireSubscribed();
      for (const [title, cue] of [
        ["Opposite action", "Act opposite"],
        ["Check the facts", "Check facts"],
      ] as const) {
        const since = await mark();
        const video = await publish(title, cue);
        fresh.push(video);
        await expectKeptByPeerTube(log, since, haven.origin, {
          types: ["Announce", "Create"],
          object: video.url,
          objectTypes: ["Video"],
        });
        const uuid = await waitOnPeerTube(video, since);
        const captions = await viewer.captions(uuid);
        expect(
          captions.body?.data?.map((c: Json) => c.language.id).sort(),
          captions.summary,
        ).toEqual(["en", "fr"]);
        for (const caption of captions.body.data) {
          const file = await viewer.download(caption.captionPath);
          expect(
            file.status,
            `${title} ${caption.language.id}: ${file.summary}\n${await peerTubeProblems(log, since, haven.origin)}`,
          ).toBe(200);
          expect(file.text).toContain(`${cue} (${caption.language.id})`);
        }
      }
    });

    test("an edited title shows on PeerTube", async () => {
      const video = fresh[0]!;
      const uuid = copyOf(video);
      const since = await mark();
      const title = "Opposite action, step by step";
      await owner.ok("PATCH", `/api/v1/videos/${video.id}`, { title });
      // PeerTube's test mode re-fetches a video after 10 s, which would hide a
      // dropped Update: the log's kept request is the proof; REST confirms.
      await expectKeptByPeerTube(log, since, haven.origin, {
        types: ["Update"],
        object: video.url,
        objectTypes: ["Video"],
      });
      let last = "";
      await waitFor(
        `PeerTube to show the new title of ${uuid}`,
        async () => {
          const answer = await viewer.video(uuid);
          last = answer.summary;
          return answer.body?.name === title ? true : undefined;
        },
        {
          timeoutMs: 10_000,
          intervalMs: 250,
          explain: async () => `last answer: ${last}\n${await explainPeerTube(since)()}`,
        },
      );
    });

    test("channel profile changes (display name, summary) show on PeerTube", async () => {
      requireSubscribed();
      const since = await mark();
      const displayName = "Skills for harder days";
      const summary = "Short DBT skills, one a week.";
      await owner.ok("PATCH", `/api/v1/channels/${channelName}`, {
        display_name: displayName,
        summary,
      });
      await expectKeptByPeerTube(log, since, haven.origin, {
        types: ["Update"],
        object: actorUrl,
        objectTypes: ["Group"],
      });
      let last = "";
      await waitFor(
        `PeerTube to show ${handle}'s new profile`,
        async () => {
          const answer = await viewer.channel(handle);
          last = answer.summary;
          return answer.body?.displayName === displayName &&
            answer.body?.description?.includes(summary)
            ? true
            : undefined;
        },
        {
          timeoutMs: 10_000,
          intervalMs: 250,
          explain: async () => `last answer: ${last}\n${await explainPeerTube(since)()}`,
        },
      );
    });

    test("a comment and a reply from PeerTube reach Haven, the reply with its parent", async () => {
      const video = fresh[1]!;
      const uuid = copyOf(video);
      const comments = async () =>
        (await owner.ok("GET", `/api/v1/videos/${video.id}/comments?state=all`)) as Json[];
      await idleLikeARealUser();
      let since = await mark();
      const thread = await viewer.commentThread(uuid, "This helped me **today**.");
      expect(thread.status, thread.summary).toBe(200);
      const parent = await waitFor(
        "Haven to have PeerTube's comment",
        async () => (await comments()).find((c) => c.uri === thread.body.comment.url),
        {
          explain: explainPeerTube(
            since,
            async () => `Haven's comments: ${JSON.stringify(await comments().catch(() => []))}`,
          ),
        },
      );
      expect(parent.content).toContain("This helped me");
      await idleLikeARealUser();
      since = await mark();
      const reply = await viewer.reply(uuid, thread.body.comment.id, "And again tonight.");
      expect(reply.status, reply.summary).toBe(200);
      const child = await waitFor(
        "Haven to have PeerTube's reply",
        async () => (await comments()).find((c) => c.uri === reply.body.comment.url),
        {
          explain: explainPeerTube(
            since,
            async () => `Haven's comments: ${JSON.stringify(await comments().catch(() => []))}`,
          ),
        },
      );
      expect(child.in_reply_to_id).toBe(parent.id);
    });

    test("a held comment that a moderator rejects: its author stays subscribed", async () => {
      requireSubscribed();
      const video = fresh[1]!;
      const uuid = copyOf(video);
      await owner.ok("PATCH", `/api/v1/videos/${video.id}`, { comments_policy: "approval" });
      const held = async () =>
        (await owner.ok("GET", `/api/v1/videos/${video.id}/comments?state=held`)) as Json[];
      await idleLikeARealUser();
      const thread = await viewer.commentThread(uuid, "Not for this channel.");
      expect(thread.status, thread.summary).toBe(200);
      const comment = await waitFor("Haven to hold PeerTube's comment", async () =>
        (await held()).find((c) => c.uri === thread.body.comment.url),
      );
      const since = await mark();
      await owner.ok("POST", `/api/v1/comments/${comment.id}/reject`);
      // PeerTube applies any Accept or Reject from the channel to its user's follow:
      // nothing may reach it for a moderation decision.
      await new Promise((r) => setTimeout(r, 5_000));
      if (log) {
        const answers = (await log.receiptsSince(since, haven.origin)).filter((r) =>
          r.offered.some((a) => a.type === "Accept" || a.type === "Reject"),
        );
        expect(answers).toEqual([]);
      }
      const subs = await viewer.subscriptions();
      expect(
        subs.body?.data?.map((c: Json) => c.url),
        subs.summary,
      ).toContain(actorUrl);
    });

    test("like, unlike, like again: Haven's count follows PeerTube's", async () => {
      const video = fresh[1]!;
      const uuid = copyOf(video);
      const likes = async () => {
        const [row] = await haven.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM video_reactions WHERE video_id = ${video.id} AND kind = 'like'`;
        return row!.n;
      };
      for (const [rating, expected] of [
        ["like", 1],
        ["none", 0],
        ["like", 1],
      ] as const) {
        await idleLikeARealUser();
        const since = await mark();
        const answer = await viewer.rate(uuid, rating);
        expect(answer.status, answer.summary).toBe(204);
        await waitFor(
          `Haven's like count to be ${expected} after PeerTube's "${rating}"`,
          async () => ((await likes()) === expected ? true : undefined),
          {
            explain: explainPeerTube(
              since,
              async () =>
                `Haven's count: ${await likes()}; PeerTube shows likes=${(await viewer.video(uuid)).body?.likes} and this user's rating ${(await viewer.myRating(uuid)).summary}; Haven's reactions: ${JSON.stringify(await haven.sql`SELECT iri, kind FROM video_reactions WHERE video_id = ${video.id}`)}`,
            ),
          },
        );
      }
    });

    test("a deleted video is gone from PeerTube", async () => {
      const video = fresh[0]!;
      const uuid = copyOf(video);
      const since = await mark();
      await owner.ok("DELETE", `/api/v1/videos/${video.id}`);
      await expectKeptByPeerTube(log, since, haven.origin, {
        types: ["Delete"],
        object: video.url,
      });
      let last = "";
      await waitFor(
        `PeerTube to answer 404 for ${uuid}`,
        async () => {
          const answer = await viewer.video(uuid);
          last = answer.summary;
          return answer.status === 404 ? true : undefined;
        },
        {
          timeoutMs: 10_000,
          intervalMs: 250,
          explain: async () => `last answer: ${last}\n${await explainPeerTube(since)()}`,
        },
      );
    });

    test("unsubscribe: Haven no longer lists the PeerTube user", async () => {
      requireSubscribed();
      await idleLikeARealUser();
      const since = await mark();
      const answer = await viewer.unsubscribe(handle);
      expect(answer.status, answer.summary).toBe(204);
      await waitFor(
        `Haven to drop ${viewerAccountUrl} from the followers`,
        async () => ((await havenFollowers()).includes(viewerAccountUrl) ? undefined : true),
        {
          explain: explainPeerTube(
            since,
            async () =>
              `Haven's followers: ${JSON.stringify(await havenFollowers().catch(() => []))}`,
          ),
        },
      );
    });
  },
);
