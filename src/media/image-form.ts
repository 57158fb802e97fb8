import { rm } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { type ImageSniff, sniffImage } from "./image-sniff.ts";
import { type MediaError, type MediaResult, mediaError, ok } from "./media-error.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  type StagedFile,
  stageStream,
  stalledMessage,
} from "./upload-stream.ts";

export interface StagedImage extends StagedFile {
  /** What the first bytes say the file is (never its name or Content-Type). */
  readonly sniff: ImageSniff;
}

export interface ImageForm {
  /** Text fields (null prototype; a field sent twice is refused). */
  readonly fields: Readonly<Record<string, string>>;
  /** Staged images by part name; the caller removes them when done. */
  readonly images: Readonly<Record<string, StagedImage>>;
}

export interface ImageFormOptions {
  readonly stagingDir: string;
  /** The file parts accepted, e.g. `["avatar", "header"]`; any other is refused. */
  readonly imageParts: readonly string[];
  readonly maxImageBytes: number;
  /** Cap on each text field; default 64 KiB. */
  readonly maxFieldBytes?: number;
  readonly signal?: AbortSignal;
}

const FIELD_NAME = /^[A-Za-z0-9_.[\]-]{1,64}$/;
const NOT_AN_IMAGE = "This file is not an image we can accept. Upload a PNG, JPEG, GIF or WebP.";

/**
 * A small `multipart/form-data` form with image parts (a profile update):
 * text fields are collected, each image goes to a server-named file in the
 * staging dir while its first bytes are sniffed (not an image → 415 before the
 * rest is read) and counted (past the cap → 413). On any failure every
 * staged file is deleted. Pass the web body (`c.req.raw.body`).
 */
export async function receiveImageForm(
  body: ReadableStream<Uint8Array>,
  contentType: string | undefined,
  options: ImageFormOptions,
): Promise<MediaResult<ImageForm>> {
  const maxFieldBytes = options.maxFieldBytes ?? 64 * 1024;
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType ?? "" },
      defParamCharset: "utf8",
      limits: {
        fieldNameSize: 100,
        fieldSize: maxFieldBytes,
        fields: 32,
        files: options.imageParts.length,
        parts: 32 + options.imageParts.length,
        headerPairs: 20,
      },
    });
  } catch {
    return {
      ok: false,
      error: mediaError("malformed_request", 400, "Expected a multipart/form-data body."),
    };
  }

  const abort = new AbortController();
  let firstError: MediaError | null = null;
  const failWith = (error: MediaError) => {
    if (firstError) return;
    firstError = error;
    // Not from inside busboy's own event handler: tear down on the next turn.
    setImmediate(() => abort.abort());
  };
  const bad = (message: string) => failWith(mediaError("malformed_request", 400, message));
  options.signal?.addEventListener("abort", () => bad("The upload was cancelled."), {
    once: true,
  });

  const fields: Record<string, string> = Object.create(null);
  const images: Record<string, StagedImage> = Object.create(null);
  const staged: StagedFile[] = [];
  const tasks: Promise<unknown>[] = [];

  parser.on("field", (name, value, info) => {
    if (!FIELD_NAME.test(name) || info.nameTruncated)
      return bad("A form field has an invalid name.");
    if (info.valueTruncated) return bad(`The field "${name}" is too long.`);
    if (name in fields) return bad(`The field "${name}" was sent more than once.`);
    fields[name] = value;
  });

  parser.on("file", (name, stream) => {
    // The client's file name and part Content-Type are deliberately unused.
    if (firstError) return void stream.resume();
    if (!options.imageParts.includes(name) || name in images || tasks.length >= 8) {
      stream.resume();
      return bad(`Unexpected file part "${name.slice(0, 64)}".`);
    }
    const seen: { sniff?: ImageSniff | null } = {};
    tasks.push(
      stageStream(stream, {
        stagingDir: options.stagingDir,
        maxBytes: options.maxImageBytes,
        signal: abort.signal,
        inspectHead(head) {
          seen.sniff = sniffImage(head);
          return seen.sniff ? null : mediaError("unsupported_type", 415, NOT_AN_IMAGE);
        },
      }).then((r) => {
        if (!r.ok) return failWith(r.error);
        staged.push(r.value);
        if (!seen.sniff) return failWith(mediaError("unsupported_type", 415, NOT_AN_IMAGE));
        images[name] = { ...r.value, sniff: seen.sniff };
      }),
    );
  });
  parser.on("fieldsLimit", () => bad("Too many form fields."));
  parser.on("filesLimit", () => bad("Too many files."));
  parser.on("partsLimit", () => bad("Too many form parts."));

  // A client that stalls between parts would otherwise hold the handler
  // until the server's request timeout.
  const idleMs = DEFAULT_IDLE_TIMEOUT_MS;
  const idle = setTimeout(
    () => failWith(mediaError("truncated", 400, stalledMessage(idleMs))),
    idleMs,
  );
  const moving = new Transform({
    transform(chunk, _encoding, callback) {
      idle.refresh();
      callback(null, chunk);
    },
  });
  const source = Readable.fromWeb(body as never);
  parser.on("error", () => {});
  source.on("error", () => {});
  await pipeline(source, moving, parser, { signal: abort.signal }).catch((error: unknown) => {
    if (!firstError) {
      failWith(
        mediaError("truncated", 400, "The form was malformed or ended early.", String(error)),
      );
    }
  });
  clearTimeout(idle);
  await Promise.allSettled(tasks);
  if (firstError) {
    await Promise.all(staged.map((f) => rm(f.path, { force: true })));
    return { ok: false, error: firstError };
  }
  return ok({ fields, images });
}
