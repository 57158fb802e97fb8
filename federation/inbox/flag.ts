import type { InboxContext } from "@fedify/fedify";
import type { Flag } from "@fedify/vocab";
import { findActorByHandle } from "../../src/actors/actor.service.ts";
import { findCommentByIri } from "../../src/comments/comment.service.ts";
import { recordRemoteReport } from "../../src/reports/report.service.ts";
import { findVideo } from "../../src/videos/video.service.ts";
import type { HavenContext } from "../context.ts";
import { videoIdOfObjectIri } from "./interaction-target.ts";

/** More objects than this in one Flag are not looked at (bounded work, SECURITY #28). */
const MAX_FLAG_OBJECTS = 50;

interface ReportTargets {
  actorIds: string[];
  videoIds: string[];
  channelIds: string[];
  commentIds: string[];
}

async function resolveTargets(ctx: InboxContext<HavenContext>, ids: URL[]): Promise<ReportTargets> {
  const db = ctx.data.db;
  const found: ReportTargets = { actorIds: [], videoIds: [], channelIds: [], commentIds: [] };
  for (const iri of ids.slice(0, MAX_FLAG_OBJECTS)) {
    const parsed = iri.origin === ctx.canonicalOrigin ? ctx.parseUri(iri) : null;
    if (parsed?.type === "actor") {
      const actor = await findActorByHandle(db, parsed.identifier);
      if (actor) found.actorIds.push(actor.id);
      continue;
    }
    const videoId = videoIdOfObjectIri(ctx, iri);
    const video = videoId ? await findVideo(db, videoId) : null;
    if (video) {
      found.videoIds.push(video.id);
      found.channelIds.push(video.channelId);
      continue;
    }
    // PeerTube reports a comment to the server of the video it is on: us.
    const comment = await findCommentByIri(db, iri.href);
    if (comment) {
      found.commentIds.push(comment.comment.id);
      found.videoIds.push(comment.video.id);
      found.channelIds.push(comment.video.channelId);
    }
  }
  return found;
}

/**
 * A report about our channels, videos or comments on them. Mastodon sends it
 * from its instance actor with `object` = [account, posts…]; PeerTube with
 * one URL and a required `content`. Stored once (the Flag's id is unique),
 * shown only to moderators, never federated (we send nothing about reports).
 * Dropped from a domain whose reports we reject, and when it names nothing
 * of ours.
 */
export async function onFlag(ctx: InboxContext<HavenContext>, flag: Flag): Promise<void> {
  const actorId = flag.actorId;
  if (flag.id == null || actorId == null || flag.id.origin !== actorId.origin) return;
  const standing = await ctx.data.moderation.decideForActor(actorId.href);
  if (standing.action === "reject" || standing.rejectReports) return;
  const objectIds = flag.objectIds;
  const targets = await resolveTargets(ctx, objectIds);
  const targetActorId = targets.actorIds[0] ?? targets.channelIds[0] ?? null;
  if (targetActorId === null) return;
  await recordRemoteReport(ctx.data.db, {
    iri: flag.id.href,
    reporterIri: actorId.href,
    comment: flag.contents[0]?.toString() ?? "",
    objectIris: objectIds.map((u) => u.href),
    targetActorId,
    videoIds: targets.videoIds,
    commentIds: targets.commentIds,
  });
}
