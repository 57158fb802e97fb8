import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import { appendChunk } from "../../uploads/append-chunk.ts";
import {
  completeUpload,
  discardUpload,
  findUpload,
  isComplete,
  leaseUpload,
  type ResumableUpload,
  releaseUpload,
  renewLease,
  UPLOAD_LEASE_MS,
  type UploadLease,
} from "../../uploads/upload.service.ts";
import type { AuthEnv } from "../auth.ts";
import type { HttpDeps } from "../deps.ts";
import { errorResponse } from "../errors.ts";
import { httpDate, OFFSET_STREAM, parseByteCount } from "./tus-protocol.ts";
import { publishStagedVideo } from "./video-publish.ts";

export type OwnUpload = (c: Context<AuthEnv>, id: string) => Promise<ResumableUpload | Response>;

/** tus servers answer 423 while another request writes to the same upload. */
export function busy(c: Context): Response {
  return errorResponse(c, 423, "another request is still writing to this upload; retry shortly");
}

const NOT_A_VIDEO = "This file is not a video we can accept. Upload an MP4, MOV or WebM video.";

/**
 * `PATCH /api/v1/uploads/:id`: appends one chunk at `Upload-Offset`. The last
 * chunk publishes the video (`Haven-Video-Id` in the 204) or, if the file or
 * its metadata is refused, answers why and removes the upload.
 */
export function patchUploadHandler(deps: HttpDeps, ownUpload: OwnUpload) {
  const db = deps.database.db;
  const logger = getLogger(["haven", "uploads"]);

  return async (c: Context<AuthEnv>) => {
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== OFFSET_STREAM) {
      return errorResponse(c, 415, `send the bytes with Content-Type: ${OFFSET_STREAM}`);
    }
    const offset = parseByteCount(c.req.header("upload-offset"));
    if (offset === null) {
      return errorResponse(c, 400, "Upload-Offset must be the number of bytes already uploaded");
    }
    const contentLength = c.req.header("content-length");
    const chunkBytes = contentLength === undefined ? null : parseByteCount(contentLength);
    if (contentLength !== undefined && chunkBytes === null) {
      return errorResponse(c, 400, "Content-Length must be a number of bytes");
    }
    const found = await ownUpload(c, c.req.param("id") ?? "");
    if (found instanceof Response) return found;
    c.header("Upload-Offset", String(found.uploadOffset));
    const repeated = c.req.header("upload-length");
    if (repeated !== undefined && parseByteCount(repeated) !== found.uploadLength) {
      return errorResponse(
        c,
        400,
        "Upload-Length differs from the length the upload was made with",
      );
    }
    if (isComplete(found)) return errorResponse(c, 409, "this upload is already complete");
    if (offset !== found.uploadOffset) return offsetConflict(c, offset, found.uploadOffset);
    if (chunkBytes !== null && offset + chunkBytes > found.uploadLength) {
      return errorResponse(
        c,
        409,
        `this chunk goes past the declared Upload-Length of ${found.uploadLength} bytes`,
      );
    }

    const taken = await leaseUpload(db, found.id, offset, new Date());
    if (!taken) {
      const now = await findUpload(db, found.id);
      if (!now) return errorResponse(c, 404, "upload not found");
      if (isComplete(now)) return errorResponse(c, 409, "this upload is already complete");
      if (now.uploadOffset !== offset) return offsetConflict(c, offset, now.uploadOffset);
      return busy(c);
    }
    const { lease, upload } = taken;
    // Keep the lease while bytes flow (and while the last chunk is probed);
    // if it is ever not ours any more, stop writing at once.
    const lostLease = new AbortController();
    const renewal = setInterval(() => {
      renewLease(db, lease, new Date()).then(
        (ours) => ours || lostLease.abort(),
        () => {}, // a database hiccup: try again at the next tick
      );
    }, UPLOAD_LEASE_MS / 3);
    let settled = false;
    const release = async (to: number) => {
      settled = true;
      await releaseUpload(db, lease, to, new Date());
    };
    const discard = async () => {
      settled = true;
      await discardUpload(db, upload);
    };
    try {
      const outcome = await appendChunk(
        c.req.raw.body,
        { path: upload.stagedPath, offset, length: upload.uploadLength },
        lostLease.signal,
      );
      switch (outcome.kind) {
        case "stored":
          if (outcome.offset === upload.uploadLength) {
            const result = await finish(c, lease, upload);
            settled = true;
            return result;
          }
          await release(outcome.offset);
          c.header("Upload-Offset", String(outcome.offset));
          c.header("Upload-Expires", httpDate(upload.expiresAt));
          return c.body(null, 204);
        case "interrupted":
          await release(outcome.offset);
          c.header("Upload-Offset", String(outcome.offset));
          return errorResponse(c, 400, "the chunk was cut short; resume from Upload-Offset");
        case "overflow":
          await release(offset);
          return errorResponse(
            c,
            409,
            `more bytes than the declared Upload-Length of ${upload.uploadLength}; none of this chunk was kept`,
          );
        case "not_video":
          await discard();
          return errorResponse(c, 415, NOT_A_VIDEO);
        case "lost":
          await discard();
          return errorResponse(c, 410, "this upload's data was lost: start a new upload");
        case "cancelled":
          settled = true; // the lease is someone else's now
          return busy(c);
        case "storage_failed":
          logger.error("Upload {id} could not be stored: {detail}", {
            id: upload.id,
            detail: outcome.detail,
          });
          await release(offset);
          return errorResponse(c, 500, "The upload could not be stored.");
      }
    } finally {
      clearInterval(renewal);
      // A throw leaves the committed offset as it was; the next PATCH cuts
      // the file back to it.
      if (!settled) await releaseUpload(db, lease, offset, new Date()).catch(() => {});
    }
  };

  /** The last byte is in: check and probe as the multipart route does, then create the video. */
  async function finish(
    c: Context<AuthEnv>,
    lease: UploadLease,
    upload: ResumableUpload,
  ): Promise<Response> {
    const published = await publishStagedVideo(
      deps,
      c.get("principal").account,
      upload.metadata,
      { path: upload.stagedPath, captions: [] },
      (tx, video) => completeUpload(tx, lease, upload, video.id, new Date()),
    );
    if (!published.ok) {
      await discardUpload(db, upload);
      return errorResponse(c, published.error.status, published.error.message);
    }
    c.header("Upload-Offset", String(upload.uploadLength));
    c.header("Haven-Video-Id", published.value.id);
    return c.body(null, 204);
  }
}

function offsetConflict(c: Context, sent: number, actual: number): Response {
  c.header("Upload-Offset", String(actual));
  return errorResponse(c, 409, `Upload-Offset is ${sent} but the upload is at ${actual}`);
}
