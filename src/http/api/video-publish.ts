import { type Channel, canManageChannel, findChannel } from "../../channels/channel.service.ts";
import { defaultCommentsPolicyOf } from "../../comments/comment-defaults.ts";
import type { Db } from "../../db/client.ts";
import { probe } from "../../media/probe.ts";
import { createVideo, type SupportVideo } from "../../videos/video.service.ts";
import { parseVideoMetadata, type VideoMetadata } from "../../videos/video-metadata.ts";
import type { HttpDeps } from "../deps.ts";

/**
 * What every way of uploading a video (multipart, tus) checks before a video
 * exists: the channel, the caller's right to publish there, the metadata, and
 * that the staged file is a whole, decodable video.
 */

/** A refusal with the status and a message safe to show the uploader. */
export interface PublishRefusal {
  readonly status: 400 | 403 | 404 | 413 | 415 | 422 | 500;
  readonly message: string;
}

export type PublishResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: PublishRefusal };

type Uploader = { readonly id: string; readonly isAdmin: boolean };
type Fields = Readonly<Record<string, unknown>>;

const refuse = (status: PublishRefusal["status"], message: string) =>
  ({ ok: false, error: { status, message } }) as const;

/** The cheap checks: channel, permission, metadata. No file is looked at. */
export async function checkVideoPublish(
  db: Db,
  uploader: Uploader,
  fields: Fields,
): Promise<PublishResult<{ channel: Channel; metadata: VideoMetadata }>> {
  const name = typeof fields.channel === "string" ? fields.channel : "";
  const channel = await findChannel(db, name);
  if (!channel) return name ? refuse(404, "channel not found") : refuse(400, "channel is required");
  if (!(await canManageChannel(db, channel, uploader))) {
    return refuse(403, "you cannot publish to this channel");
  }
  const metadata = parseVideoMetadata(fields, false);
  if (!metadata.ok) return refuse(400, metadata.error.message);
  // An upload that does not choose gets its channel's default (else the instance's).
  const chosen = typeof fields.comments_policy === "string" && fields.comments_policy.trim() !== "";
  const commentsPolicy = chosen
    ? metadata.value.commentsPolicy
    : await defaultCommentsPolicyOf(db, channel);
  return { ok: true, value: { channel, metadata: { ...metadata.value, commentsPolicy } } };
}

export interface StagedVideoFiles {
  readonly path: string;
  readonly captions: readonly { language: string; path: string }[];
}

/**
 * Checks, probes and creates the video, queueing its processing job. The
 * files are the caller's until this succeeds (then the job owns them): on a
 * refusal or a throw, the caller removes them. `inTransaction` runs in the
 * transaction that creates the video, so whatever it records commits with it.
 */
export async function publishStagedVideo(
  deps: Pick<HttpDeps, "database" | "jobs">,
  uploader: Uploader,
  fields: Fields,
  files: StagedVideoFiles,
  inTransaction?: (tx: Db, video: SupportVideo) => Promise<void>,
): Promise<PublishResult<SupportVideo>> {
  const db = deps.database.db;
  const checked = await checkVideoPublish(db, uploader, fields);
  if (!checked.ok) return checked;
  // Refuse a truncated or undecodable file now, with its reason, rather
  // than after the uploader has gone.
  const probed = await probe(files.path);
  if (!probed.ok) return refuse(probed.error.status, probed.error.message);
  const input = {
    channelId: checked.value.channel.id,
    uploaderAccountId: uploader.id,
    metadata: checked.value.metadata,
    stagedPath: files.path,
    captions: files.captions.map((x) => ({ language: x.language, path: x.path })),
  };
  const video = inTransaction
    ? await db.transaction(async (tx) => {
        const created = await createVideo(tx, deps.jobs, input);
        await inTransaction(tx, created);
        return created;
      })
    : await createVideo(db, deps.jobs, input);
  return { ok: true, value: video };
}
