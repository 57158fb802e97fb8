import { type FileHandle, open } from "node:fs/promises";
import { type MediaError, mediaError } from "./media-error.ts";
import type { FfmpegDemuxer } from "./sniff.ts";

export interface TopLevelBox {
  readonly type: string;
  readonly offset: number;
  readonly size: number;
}

export interface BoxWalk {
  readonly boxes: readonly TopLevelBox[];
  readonly fileSize: number;
  /** The last box claims more bytes than the file has. */
  readonly truncated: boolean;
  /** A box header made no sense (size < 8, or too many boxes). */
  readonly malformed: boolean;
}

/**
 * Walks the top-level ISO BMFF boxes (ftyp, moov, mdat …) by their headers.
 * ffprobe happily reports a duration for an MP4 whose `mdat` was cut short
 * (the index in `moov` still describes every sample), so this is how a
 * truncated faststart upload is caught; it also tells whether `moov` comes
 * before `mdat` (faststart: playback starts before the download ends).
 */
export async function readTopLevelBoxes(path: string, maxBoxes = 10_000): Promise<BoxWalk> {
  const file = await open(path, "r");
  try {
    const fileSize = (await file.stat()).size;
    const boxes: TopLevelBox[] = [];
    const header = Buffer.alloc(16);
    let offset = 0;
    while (offset < fileSize) {
      if (boxes.length >= maxBoxes) return { boxes, fileSize, truncated: false, malformed: true };
      const { bytesRead } = await file.read(header, 0, 16, offset);
      if (bytesRead < 8) return { boxes, fileSize, truncated: true, malformed: false };
      let size = header.readUInt32BE(0);
      const type = header.toString("latin1", 4, 8);
      if (size === 1) {
        if (bytesRead < 16) return { boxes, fileSize, truncated: true, malformed: false };
        size = Number(header.readBigUInt64BE(8));
      } else if (size === 0) {
        size = fileSize - offset;
      }
      if (size < 8) return { boxes, fileSize, truncated: false, malformed: true };
      boxes.push({ type, offset, size });
      if (offset + size > fileSize) return { boxes, fileSize, truncated: true, malformed: false };
      offset += size;
    }
    return { boxes, fileSize, truncated: false, malformed: false };
  } finally {
    await file.close();
  }
}

const TRUNCATED_MESSAGE =
  "The video file is cut short: it ends before its data does. The upload or the recording may have been interrupted.";

/**
 * Cheap structural checks that catch truncated files ffprobe would accept.
 * Returns null when the file looks whole.
 */
export async function checkContainerIntegrity(
  path: string,
  demuxer: FfmpegDemuxer,
): Promise<MediaError | null> {
  if (demuxer === "mov") {
    const walk = await readTopLevelBoxes(path);
    if (walk.truncated) return mediaError("truncated", 422, TRUNCATED_MESSAGE, "box past EOF");
    if (walk.malformed) {
      return mediaError("undecodable", 422, "The video file is damaged.", "bad box header");
    }
    if (!walk.boxes.some((b) => b.type === "moov")) {
      return mediaError(
        "truncated",
        422,
        "The video file is incomplete: its index (moov) is missing. If the recording was interrupted, export it again.",
        "no moov box",
      );
    }
    return null;
  }
  const segment = await readMatroskaSegmentExtent(path);
  if (segment && segment.end > segment.fileSize) {
    return mediaError("truncated", 422, TRUNCATED_MESSAGE, "segment past EOF");
  }
  return null;
}

const SEGMENT_ID = 0x18538067;

/** The byte range the Matroska Segment claims, or null when its size is "unknown" (live). */
async function readMatroskaSegmentExtent(
  path: string,
): Promise<{ end: number; fileSize: number } | null> {
  const file = await open(path, "r");
  try {
    const fileSize = (await file.stat()).size;
    let offset = 0;
    for (let i = 0; i < 4 && offset < fileSize; i++) {
      const element = await readElementHeader(file, offset);
      if (!element) return null;
      const dataAt = offset + element.headerLength;
      if (element.id === SEGMENT_ID) {
        return element.size === null ? null : { end: dataAt + element.size, fileSize };
      }
      if (element.size === null) return null;
      offset = dataAt + element.size;
    }
    return null;
  } finally {
    await file.close();
  }
}

async function readElementHeader(
  file: FileHandle,
  offset: number,
): Promise<{ id: number; size: number | null; headerLength: number } | null> {
  const buf = Buffer.alloc(12);
  const { bytesRead } = await file.read(buf, 0, 12, offset);
  const id = vint(buf, 0, bytesRead, true);
  if (!id) return null;
  const size = vint(buf, id.length, bytesRead, false);
  if (!size) return null;
  return {
    id: id.value,
    size: size.unknown ? null : size.value,
    headerLength: id.length + size.length,
  };
}

function vint(
  b: Buffer,
  at: number,
  available: number,
  keepMarker: boolean,
): { value: number; length: number; unknown: boolean } | null {
  const first = b[at];
  if (first === undefined || first === 0 || at >= available) return null;
  let length = 1;
  while ((first & (0x80 >> (length - 1))) === 0) length++;
  if (at + length > available) return null;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = b[at + i] ?? 0;
    value = value * 256 + byte;
    if (byte !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}
