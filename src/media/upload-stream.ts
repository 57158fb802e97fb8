import { createHash, randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { fail, type MediaError, type MediaResult, mediaError, ok } from "./media-error.ts";
import { SNIFF_BYTES, type SniffResult, sniffContainer } from "./sniff.ts";

/** A request body in any of the shapes Node and Hono hand out. */
export type UploadBody = ReadableStream<Uint8Array> | Readable | AsyncIterable<Uint8Array>;

export interface StageOptions {
  /** Directory for staged files; created (mode 0700) if missing. */
  readonly stagingDir: string;
  /** Largest accepted body; one byte more answers 413 and leaves no file behind. */
  readonly maxBytes: number;
  /** The sender's declared length (Content-Length), if any: a shorter body is truncated. */
  readonly expectedBytes?: number;
  readonly signal?: AbortSignal;
}

export interface StagedFile {
  /** Absolute path of the staged file; its name is made by the server. */
  readonly path: string;
  readonly bytes: number;
  /** Hex SHA-256 of the content, e.g. for content-unique storage keys. */
  readonly sha256: string;
}

export interface StagedVideo extends StagedFile {
  /** What the first bytes say the file is (never the name or Content-Type). */
  readonly sniff: SniffResult;
}

/**
 * Streams a video upload to a server-named file in `stagingDir`, counting bytes
 * and sniffing the first ones as they arrive: an unknown container is refused
 * (415) before the rest is read, a body past `maxBytes` is cut off (413), and
 * on any failure the partial file is deleted.
 */
export async function stageVideoUpload(
  body: UploadBody,
  options: StageOptions,
): Promise<MediaResult<StagedVideo>> {
  const seen: { sniff?: SniffResult | null } = {};
  const staged = await stageStream(body, {
    ...options,
    inspectHead(head) {
      seen.sniff = sniffContainer(head);
      return seen.sniff
        ? null
        : mediaError(
            "unsupported_type",
            415,
            "This file is not a video we can accept. Upload an MP4, MOV or WebM video.",
          );
    },
  });
  if (!staged.ok) return staged;
  if (!seen.sniff) throw new Error("stageStream accepted a body without inspecting its head");
  return ok({ ...staged.value, sniff: seen.sniff });
}

export interface StageStreamOptions extends StageOptions {
  /**
   * Called once with the first `SNIFF_BYTES` bytes (fewer if the body is
   * shorter), before anything is written; returning an error stops the upload.
   */
  readonly inspectHead?: (head: Uint8Array) => MediaError | null;
  /** File name suffix for the staged file (".vtt" …); the name itself is random. */
  readonly suffix?: string;
}

/** The generic part of `stageVideoUpload`, also used for caption files. */
export async function stageStream(
  body: UploadBody,
  options: StageStreamOptions,
): Promise<MediaResult<StagedFile>> {
  // Take hold of the body before the first await, so an error it emits
  // meanwhile is kept for the loop below instead of going unhandled.
  const chunks = iterate(body, options.signal);
  const dir = resolve(options.stagingDir);
  let file: FileHandle;
  let path: string;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    path = join(dir, `${randomBytes(16).toString("hex")}${options.suffix ?? ".upload"}`);
    file = await open(path, "wx", 0o600);
  } catch (error) {
    chunks.release();
    if (body instanceof Readable) body.destroy();
    return fail("processing_failed", 500, "The upload could not be stored.", String(error));
  }
  const hash = createHash("sha256");
  let bytes = 0;
  let pending: Uint8Array[] | null = options.inspectHead ? [] : null;
  let pendingBytes = 0;
  let outcome: MediaResult<StagedFile> | null = null;

  const flushPending = async (): Promise<MediaError | null> => {
    if (!pending) return null;
    const head = Buffer.concat(pending).subarray(0, SNIFF_BYTES);
    const rejected = bytes > 0 ? (options.inspectHead?.(head) ?? null) : null;
    if (rejected) return rejected;
    for (const chunk of pending) await file.write(chunk);
    pending = null;
    return null;
  };

  try {
    for await (const chunk of chunks.iterable) {
      if (chunk.byteLength === 0) continue;
      bytes += chunk.byteLength;
      if (bytes > options.maxBytes) {
        outcome = fail("too_large", 413, tooLargeMessage(options.maxBytes));
        break;
      }
      hash.update(chunk);
      if (pending) {
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        if (pendingBytes < SNIFF_BYTES) continue;
        const rejected = await flushPending();
        if (rejected) {
          outcome = { ok: false, error: rejected };
          break;
        }
        continue;
      }
      await file.write(chunk);
    }
    // A cancelled reader ends like a finished body: without this a chunked
    // upload whose client went away would pass as complete.
    if (!outcome && options.signal?.aborted) {
      outcome = fail("truncated", 400, "The upload was cancelled.");
    }
    if (!outcome) {
      const rejected = await flushPending();
      if (rejected) outcome = { ok: false, error: rejected };
      else if (bytes === 0) outcome = fail("empty", 400, "The upload is empty.");
      else if (options.expectedBytes !== undefined && bytes !== options.expectedBytes) {
        outcome = fail(
          "truncated",
          400,
          "The upload ended before all of the announced bytes arrived.",
          `expected ${options.expectedBytes}, got ${bytes}`,
        );
      } else {
        await file.sync();
        outcome = ok({ path, bytes, sha256: hash.digest("hex") });
      }
    }
  } catch (error) {
    outcome = options.signal?.aborted
      ? fail("truncated", 400, "The upload was cancelled.")
      : isFsError(error)
        ? fail("processing_failed", 500, "The upload could not be stored.", String(error))
        : fail("truncated", 400, "The upload was interrupted before it finished.", String(error));
  } finally {
    chunks.release();
    await file.close().catch(() => {});
    if (!outcome?.ok) await rm(path, { force: true });
  }
  return outcome;
}

/** "The file is larger than the limit of 500 MiB." */
export function tooLargeMessage(maxBytes: number): string {
  const mib = maxBytes / (1024 * 1024);
  const limit = mib >= 1 ? `${Math.floor(mib * 10) / 10} MiB` : `${maxBytes} bytes`;
  return `The file is larger than the limit of ${limit}.`;
}

function isFsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E(NOSPC|DQUOT|ACCES|PERM|ROFS|IO|MFILE|NFILE)$/.test(code);
}

/**
 * One way to read every body shape. `release` stops reading without tearing
 * the connection down: for a web stream it only cancels our reader (Hono's
 * Node adapter then drains or closes the socket after the response), so the
 * client still receives the 413/415.
 */
function iterate(
  body: UploadBody,
  signal: AbortSignal | undefined,
): { iterable: AsyncIterable<Uint8Array>; release: () => void } {
  if (body instanceof ReadableStream) {
    const reader = body.getReader();
    let done = false;
    const onAbort = () => reader.cancel(signal?.reason).catch(() => {});
    signal?.addEventListener("abort", onAbort, { once: true });
    return {
      iterable: {
        async *[Symbol.asyncIterator]() {
          while (true) {
            if (signal?.aborted) throw signal.reason ?? new Error("aborted");
            const next = await reader.read();
            if (next.done) {
              done = true;
              return;
            }
            yield next.value;
          }
        },
      },
      release() {
        signal?.removeEventListener("abort", onAbort);
        if (!done) reader.cancel().catch(() => {});
        reader.releaseLock();
      },
    };
  }
  if (body instanceof Readable) {
    body.on("error", () => {}); // seen by the for-await loop; see stageStream
    const onAbort = () => body.destroy(signal?.reason ?? new Error("aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    return {
      iterable: body,
      release: () => signal?.removeEventListener("abort", onAbort),
    };
  }
  return { iterable: body, release: () => {} };
}
