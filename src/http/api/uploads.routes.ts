import { type Context, Hono } from "hono";
import { tooLargeMessage } from "../../media/upload-stream.ts";
import {
  countOpenUploads,
  createUpload,
  findUpload,
  isComplete,
  MAX_OPEN_UPLOADS,
  type ResumableUpload,
  terminateUpload,
} from "../../uploads/upload.service.ts";
import { type AuthEnv, requireAuth } from "../auth.ts";
import type { HttpDeps } from "../deps.ts";
import { errorResponse } from "../errors.ts";
import {
  encodeUploadMetadata,
  httpDate,
  parseByteCount,
  parseUploadMetadata,
  TUS_EXTENSIONS,
  TUS_VERSION,
  tusResumable,
} from "./tus-protocol.ts";
import { busy, patchUploadHandler } from "./upload-patch.ts";
import { checkVideoPublish } from "./video-publish.ts";

/**
 * Resumable video uploads, tus 1.0.0 with the creation, termination and
 * expiration extensions: `POST` reserves an upload, `PATCH` appends chunks,
 * `HEAD` says how far it got, `DELETE` gives up. The last chunk turns the
 * upload into a video exactly as `POST /api/v1/videos` would.
 */
export function uploadRoutes(deps: HttpDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const auth = requireAuth(db, deps.tokens);

  app.use("*", tusResumable());

  // Discovery, also the CORS preflight a browser sends without credentials:
  // it tells nothing that is not in the documentation.
  const options = (c: Context) => {
    c.header("Tus-Version", TUS_VERSION);
    c.header("Tus-Extension", TUS_EXTENSIONS);
    c.header("Tus-Max-Size", String(deps.config.maxUploadBytes));
    return c.body(null, 204);
  };
  app.options("/", options);
  app.options("/:id", options);

  app.post("/", auth, async (c) => {
    if (c.req.header("upload-defer-length") !== undefined) {
      return errorResponse(c, 400, "Upload-Defer-Length is not supported: send Upload-Length");
    }
    const length = parseByteCount(c.req.header("upload-length"));
    if (length === null) {
      return errorResponse(c, 400, "Upload-Length is required: the size of the video in bytes");
    }
    if (length > deps.config.maxUploadBytes) {
      return errorResponse(c, 413, tooLargeMessage(deps.config.maxUploadBytes));
    }
    if (length === 0) return errorResponse(c, 400, "The upload is empty.");
    const metadata = parseUploadMetadata(c.req.header("upload-metadata"));
    if (!metadata.ok) return errorResponse(c, 400, metadata.message);
    const account = c.get("principal").account;
    // Refuse now what would be refused after the last byte (checked again then).
    const checked = await checkVideoPublish(db, account, metadata.value);
    if (!checked.ok) return errorResponse(c, checked.error.status, checked.error.message);
    const now = new Date();
    if ((await countOpenUploads(db, account.id, now)) >= MAX_OPEN_UPLOADS) {
      return errorResponse(
        c,
        429,
        `You have ${MAX_OPEN_UPLOADS} unfinished uploads: finish or delete one first.`,
      );
    }
    const upload = await createUpload(db, {
      ownerAccountId: account.id,
      uploadLength: length,
      metadata: metadata.value,
      stagingDir: deps.stagingDir,
      now,
    });
    c.header("Location", new URL(`/api/v1/uploads/${upload.id}`, deps.config.publicUrl).href);
    c.header("Upload-Expires", httpDate(upload.expiresAt));
    c.header("Upload-Offset", "0");
    return c.body(null, 201);
  });

  // Hono answers HEAD with this GET handler minus the body: the tus headers
  // for clients, and the same facts as JSON for everyone else.
  app.get("/:id", auth, async (c) => {
    c.header("Cache-Control", "no-store");
    const found = await ownUpload(c, c.req.param("id"));
    if (found instanceof Response) return found;
    const complete = isComplete(found);
    c.header("Upload-Offset", String(found.uploadOffset));
    c.header("Upload-Length", String(found.uploadLength));
    const metadata = encodeUploadMetadata(found.metadata);
    if (metadata !== "") c.header("Upload-Metadata", metadata);
    if (!complete) c.header("Upload-Expires", httpDate(found.expiresAt));
    if (found.videoId) c.header("Haven-Video-Id", found.videoId);
    return c.json({
      id: found.id,
      offset: found.uploadOffset,
      length: found.uploadLength,
      complete,
      expires_at: complete ? null : found.expiresAt.toISOString(),
      video_id: found.videoId,
    });
  });

  app.patch("/:id", auth, patchUploadHandler(deps, ownUpload));

  app.delete("/:id", auth, async (c) => {
    const found = await ownUpload(c, c.req.param("id"), { evenExpired: true });
    if (found instanceof Response) return found;
    // A finished upload only loses its record: the video stays (DELETE it
    // under /api/v1/videos), and its file belongs to the processing job.
    if (!(await terminateUpload(db, found.id, new Date()))) return busy(c);
    return c.body(null, 204);
  });

  /** The caller's upload, or the response that says why not. */
  async function ownUpload(
    c: Context<AuthEnv>,
    id: string,
    options: { evenExpired?: boolean } = {},
  ): Promise<ResumableUpload | Response> {
    const upload = await findUpload(db, id);
    if (!upload) return errorResponse(c, 404, "upload not found");
    if (upload.ownerAccountId !== c.get("principal").account.id) {
      return errorResponse(c, 403, "this upload belongs to someone else");
    }
    if (!options.evenExpired && !isComplete(upload) && upload.expiresAt <= new Date()) {
      return errorResponse(c, 410, "this upload has expired: start a new one");
    }
    return upload;
  }

  return app;
}
