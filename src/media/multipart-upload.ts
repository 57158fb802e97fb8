import { rm } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { fail, type MediaError, type MediaResult, mediaError, ok } from "./media-error.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  type StagedFile,
  type StagedVideo,
  stageStream,
  stageVideoUpload,
  stalledMessage,
} from "./upload-stream.ts";
import { DEFAULT_MAX_CAPTION_BYTES, validateWebVttFile } from "./webvtt.ts";

export interface MultipartUploadOptions {
  readonly stagingDir: string;
  /** Cap on the video part. */
  readonly maxFileBytes: number;
  /** Name of the video part; default "file". */
  readonly fileField?: string;
  /** Cap on each text field; default 64 KiB. */
  readonly maxFieldBytes?: number;
  /** Default 32. */
  readonly maxFields?: number;
  /** Cap on each `captions[lang]` part; default 1 MiB. */
  readonly maxCaptionBytes?: number;
  /** Default 16. */
  readonly maxCaptions?: number;
  readonly signal?: AbortSignal;
  /**
   * Give up (400, every staged part removed) when the body stops moving for
   * this many ms; default `DEFAULT_IDLE_TIMEOUT_MS` (60 s), `Infinity` never.
   */
  readonly idleTimeoutMs?: number;
}

export interface StagedCaption extends StagedFile {
  /** Lower-cased language tag from the part name `captions[<tag>]`. */
  readonly language: string;
}

export interface MultipartUpload {
  /** Text fields (null prototype; a field sent twice is refused). */
  readonly fields: Readonly<Record<string, string>>;
  readonly file: StagedVideo;
  readonly captions: readonly StagedCaption[];
}

const CAPTION_FIELD = /^captions\[([a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8}){0,3})\]$/;
const FIELD_NAME = /^[A-Za-z0-9_.[\]-]{1,64}$/;

/**
 * Parses `multipart/form-data` as it streams in: text fields are collected
 * (each capped), the video part and caption parts go straight to server-named
 * files in the staging dir. Client file names and part Content-Types are
 * ignored. On any failure every file staged so far is deleted.
 * Pass the web body (`c.req.raw.body`), so that stopping early does not reset
 * the connection before the error response goes out.
 */
export async function receiveMultipartUpload(
  body: ReadableStream<Uint8Array> | Readable,
  contentType: string | undefined,
  options: MultipartUploadOptions,
): Promise<MediaResult<MultipartUpload>> {
  const fileField = options.fileField ?? "file";
  const maxFieldBytes = options.maxFieldBytes ?? 64 * 1024;
  const maxCaptions = options.maxCaptions ?? 16;
  const maxCaptionBytes = options.maxCaptionBytes ?? DEFAULT_MAX_CAPTION_BYTES;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType ?? "" },
      defParamCharset: "utf8",
      limits: {
        fieldNameSize: 100,
        fieldSize: maxFieldBytes,
        fields: options.maxFields ?? 32,
        files: 1 + maxCaptions,
        parts: (options.maxFields ?? 32) + 1 + maxCaptions,
        headerPairs: 20,
      },
    });
  } catch {
    return fail("malformed_request", 400, "Expected a multipart/form-data body with a boundary.");
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
  const refusePart = (stream: Readable, message: string) => {
    bad(message);
    stream.resume();
  };
  if (options.signal?.aborted) bad("The upload was cancelled.");
  options.signal?.addEventListener("abort", () => bad("The upload was cancelled."), {
    once: true,
  });

  const fields: Record<string, string> = Object.create(null);
  const tasks: Promise<unknown>[] = [];
  const result: { video?: StagedVideo } = {};
  const captions: StagedCaption[] = [];
  const staged: StagedFile[] = [];
  let sawFile = false;
  const seenLanguages = new Set<string>();

  parser.on("field", (name, value, info) => {
    if (!FIELD_NAME.test(name) || info.nameTruncated)
      return bad("A form field has an invalid name.");
    if (info.valueTruncated) {
      return bad(`The field "${name}" is longer than ${Math.floor(maxFieldBytes / 1024)} KiB.`);
    }
    if (name in fields) return bad(`The field "${name}" was sent more than once.`);
    fields[name] = value;
  });

  parser.on("file", (name, stream, _info) => {
    // _info.filename is the client's name: deliberately unused (SECURITY.md #34).
    if (firstError) {
      stream.resume();
      return;
    }
    const stageOptions = {
      stagingDir: options.stagingDir,
      signal: abort.signal,
      idleTimeoutMs: idleMs,
    };
    if (name === fileField) {
      if (sawFile) return refusePart(stream, `Only one "${fileField}" part is allowed.`);
      sawFile = true;
      tasks.push(
        stageVideoUpload(stream, { ...stageOptions, maxBytes: options.maxFileBytes }).then((r) => {
          if (!r.ok) return failWith(r.error);
          staged.push(r.value);
          result.video = r.value;
        }),
      );
      return;
    }
    const language = CAPTION_FIELD.exec(name)?.[1]?.toLowerCase();
    if (!language) return refusePart(stream, `Unexpected file part "${name.slice(0, 64)}".`);
    if (seenLanguages.has(language)) {
      return refusePart(stream, `Captions for "${language}" were sent twice.`);
    }
    seenLanguages.add(language);
    tasks.push(
      stageStream(stream, { ...stageOptions, maxBytes: maxCaptionBytes, suffix: ".vtt" }).then(
        async (r) => {
          if (!r.ok) {
            return failWith(
              r.error.kind === "too_large"
                ? mediaError("invalid_captions", 413, `Captions "${language}": ${r.error.message}`)
                : r.error,
            );
          }
          staged.push(r.value);
          const valid = await validateWebVttFile(r.value.path, { maxBytes: maxCaptionBytes });
          if (!valid.ok) {
            return failWith({
              ...valid.error,
              message: `Captions "${language}": ${valid.error.message}`,
            });
          }
          captions.push({ ...r.value, language });
        },
      ),
    );
  });
  parser.on("fieldsLimit", () => bad("Too many form fields."));
  parser.on("filesLimit", () => bad("Too many files."));
  parser.on("partsLimit", () => bad("Too many form parts."));

  // A client that stalls between or inside non-file parts holds no staged
  // file, but would hold the handler until the server's request timeout.
  // (This clock also runs while a slow disk holds the stream back.)
  const idle = Number.isFinite(idleMs)
    ? setTimeout(
        () =>
          failWith(
            mediaError("truncated", 400, stalledMessage(idleMs), `no data for ${idleMs} ms`),
          ),
        idleMs,
      )
    : undefined;
  const moving = new Transform({
    transform(chunk, _encoding, callback) {
      idle?.refresh();
      callback(null, chunk);
    },
  });

  const source = body instanceof Readable ? body : Readable.fromWeb(body as never);
  // Errors reach us through pipeline() while it runs; these keep late ones
  // (after an abort settled it) from becoming uncaught exceptions.
  parser.on("error", () => {});
  source.on("error", () => {});
  await pipeline(source, moving, parser, { signal: abort.signal }).catch((error: unknown) => {
    if (!firstError) {
      failWith(
        mediaError(
          "truncated",
          400,
          "The upload was malformed or ended before it finished.",
          String(error),
        ),
      );
    }
  });
  clearTimeout(idle);
  await Promise.allSettled(tasks);
  const video = result.video;
  if (!firstError && !video) bad(`The form has no "${fileField}" part.`);
  if (firstError || !video) {
    await Promise.all(staged.map((f) => rm(f.path, { force: true })));
    return { ok: false, error: firstError ?? mediaError("malformed_request", 400, "No file.") };
  }
  return ok({ fields, file: video, captions });
}
