import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import type { Db } from "../db/client.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import { err, type Result } from "../lib/result.ts";
import type { ImageSniff } from "../media/image-sniff.ts";
import type { MediaError } from "../media/media-error.ts";
import { type ProfileImageKind, reencodeProfileImage } from "../media/profile-image.ts";
import { isValidMediaKey, type MediaStorage } from "../media/storage.ts";
import { type Channel, type ChannelPatch, updateChannel } from "./channel.service.ts";

export interface ChannelImageInput {
  readonly kind: ProfileImageKind;
  /** The staged upload; the caller removes it afterwards. */
  readonly path: string;
  readonly sniff: ImageSniff;
}

export interface ChannelImageDeps {
  readonly db: Db;
  readonly events: OutboundEvents;
  readonly storage: MediaStorage;
  /** Where re-encoded images are written before they are stored. */
  readonly workDir: string;
  /** `https://haven.example/media/`: stored keys are served under it. */
  readonly mediaBase: string;
}

const COLUMN = { avatar: "avatarUrl", header: "headerUrl" } as const;

/**
 * A profile update with new avatar and/or header: each image is re-encoded
 * (metadata stripped, size bounded) and stored under a fresh server-made key,
 * then the profile changes and the `actor.updated` event (followers get an
 * Update) commit together. Replaced images are deleted afterwards; if
 * anything fails, the new ones are.
 */
export async function updateChannelWithImages(
  deps: ChannelImageDeps,
  channel: Channel,
  patch: ChannelPatch,
  images: readonly ChannelImageInput[],
): Promise<Result<Channel>> {
  const stored: string[] = [];
  const urls: Partial<Record<(typeof COLUMN)[ProfileImageKind], string>> = {};
  try {
    for (const image of images) {
      const made = await reencodeProfileImage(image.path, image.sniff, image.kind, {
        workDir: deps.workDir,
      });
      if (!made.ok) return mediaFailure(made.error);
      const key = `channels/${channel.id}/${image.kind}-${randomBytes(8).toString("hex")}.${made.value.extension}`;
      try {
        await deps.storage.put(key, made.value.path);
      } finally {
        await rm(made.value.path, { force: true });
      }
      stored.push(key);
      urls[COLUMN[image.kind]] = `${deps.mediaBase}${key}`;
    }
    const updated = await updateChannel(deps.db, deps.events, channel, { ...patch, ...urls });
    if (!updated.ok) return updated;
    stored.length = 0; // now in use
    for (const kind of images.map((i) => i.kind)) {
      const old = ownKey(deps.mediaBase, channel[COLUMN[kind]]);
      if (old) await deps.storage.delete(old).catch(() => {});
    }
    return updated;
  } finally {
    await Promise.all(stored.map((key) => deps.storage.delete(key).catch(() => {})));
  }
}

/** The storage key behind one of our own media URLs (a remote or odd URL → null). */
function ownKey(mediaBase: string, url: string | null): string | null {
  if (!url?.startsWith(mediaBase)) return null;
  const key = url.slice(mediaBase.length);
  return isValidMediaKey(key) ? key : null;
}

function mediaFailure(error: MediaError): Result<never> {
  if (error.status === 413) return err("too_large", error.message);
  if (error.status === 415) return err("unsupported_media_type", error.message);
  return err("unprocessable", error.message);
}
