import type { Context } from "hono";
import type { MediaError, MediaResult } from "../../media/media-error.ts";
import {
  type MultipartUpload,
  type MultipartUploadOptions,
  receiveMultipartUpload,
} from "../../media/multipart-upload.ts";
import { type StagedVideo, stageVideoUpload, tooLargeMessage } from "../../media/upload-stream.ts";
import { DEFAULT_MAX_CAPTION_BYTES } from "../../media/webvtt.ts";

export interface ReceiveVideoOptions {
  readonly stagingDir: string;
  readonly maxBytes: number;
  /** No byte for this long → 400 and nothing kept; default 60 s (see `stageStream`). */
  readonly idleTimeoutMs?: number;
}

/**
 * A raw video request body (`PUT`/`POST` with the bytes as the body) to a
 * staged file. A declared Content-Length over the limit is refused before a
 * byte is read; a lying one changes nothing, since the bytes are counted.
 */
export async function receiveVideoBody(
  c: Context,
  options: ReceiveVideoOptions,
): Promise<MediaResult<StagedVideo>> {
  const declared = declaredLength(c, options.maxBytes, options.maxBytes);
  if (!declared.ok) return declared;
  const body = c.req.raw.body;
  if (!body) return { ok: false, error: emptyError };
  return stageVideoUpload(body, {
    stagingDir: options.stagingDir,
    maxBytes: options.maxBytes,
    ...(declared.value === undefined ? {} : { expectedBytes: declared.value }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    signal: c.req.raw.signal,
  });
}

/**
 * A `multipart/form-data` upload (fields, `file`, `captions[xx]`) parsed as it
 * streams; see `receiveMultipartUpload`.
 */
export async function receiveMultipartBody(
  c: Context,
  options: MultipartUploadOptions,
): Promise<MediaResult<MultipartUpload>> {
  // The form may legitimately carry its fields and captions besides the file.
  const slack =
    (options.maxFields ?? 32) * (options.maxFieldBytes ?? 64 * 1024) +
    (options.maxCaptions ?? 16) * (options.maxCaptionBytes ?? DEFAULT_MAX_CAPTION_BYTES) +
    64 * 1024;
  const declared = declaredLength(c, options.maxFileBytes + slack, options.maxFileBytes);
  if (!declared.ok) return declared;
  const body = c.req.raw.body;
  if (!body) return { ok: false, error: emptyError };
  return receiveMultipartUpload(body, c.req.header("content-type"), {
    ...options,
    signal: options.signal ?? c.req.raw.signal,
  });
}

/**
 * The answer for a media error: JSON `{error, message}` with its status. When
 * the upload was refused midway, `Connection: close` tells the client not to
 * reuse a connection whose request body was not read to the end.
 */
export function mediaErrorResponse(error: MediaError): Response {
  const unread = error.status === 413 || error.status === 415 || error.kind === "malformed_request";
  return Response.json(
    { error: error.kind, message: error.message },
    {
      status: error.status,
      headers: unread ? { connection: "close" } : {},
    },
  );
}

const emptyError: MediaError = { kind: "empty", status: 400, message: "The upload is empty." };

function declaredLength(
  c: Context,
  max: number,
  fileLimit: number,
): MediaResult<number | undefined> {
  const header = c.req.header("content-length");
  if (header === undefined) return { ok: true, value: undefined };
  if (!/^\d+$/.test(header.trim())) {
    return {
      ok: false,
      error: { kind: "malformed_request", status: 400, message: "Invalid Content-Length." },
    };
  }
  const length = Number(header);
  if (length > max) {
    return {
      ok: false,
      error: {
        kind: "too_large",
        status: 413,
        message: tooLargeMessage(fileLimit),
      },
    };
  }
  return { ok: true, value: length };
}
