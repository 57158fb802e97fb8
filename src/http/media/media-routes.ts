import { Hono } from "hono";
import type { Db } from "../../db/client.ts";
import type { MediaStorage } from "../../media/storage.ts";
import { keyOfVideoFileName, resolveVideoFileKey } from "../../videos/video-files.ts";
import { serveMedia } from "./serve.ts";

/**
 * Stored media under `/media/<key>`, and each video file again where
 * PeerTube's download button looks for it on the video's origin:
 * `/download/web-videos/<uuid>-<height>.mp4` (its DOWNLOAD_PATHS.WEB_VIDEOS,
 * named as in `VideoFileModel.getFileDownloadUrl`), as an attachment. A
 * video's unique file name answers for a file stored under its old name
 * (`videos/<uuid>/video.mp4`), and that old URL keeps answering too.
 */
export function mediaRoutes(storage: MediaStorage, db: Db): Hono {
  const app = new Hono();
  const resolveMissing = (key: string) => resolveVideoFileKey(db, key);
  app.on(
    ["GET", "OPTIONS"],
    "/media/:key{.+}",
    serveMedia(storage, { keyFromRequest: (c) => c.req.param("key"), resolveMissing }),
  );
  app.on(
    ["GET", "OPTIONS"],
    "/download/web-videos/:name",
    serveMedia(storage, {
      keyFromRequest: (c) => keyOfVideoFileName(c.req.param("name") ?? ""),
      resolveMissing,
      download: (c) => c.req.param("name") ?? "video.mp4",
    }),
  );
  return app;
}
