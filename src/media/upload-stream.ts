import { createHash, randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { fail, type MediaError, type MediaResult, mediaError, ok } from "./media-error.ts";
import { SNIFF_BYTES, type SniffResult, sniffContainer } from "./sniff.ts";

/** A request body in any of the shapes Node and Hono hand out. */
export type UploadBody = ReadableStream<Uint8Array> | Readable | AsyncIterable<Uint8Array>;

/** How long an upload may go without a single byte arriving before it is given up. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export interface StageOptions {
  /** Directory for staged files; created (mode 0700) if missing. */
  readonly stagingDir: string;
  /** Largest accepted body; one byte more answers 413 and leaves no file behind. */
  readonly maxBytes: number;
  /** The sender's declared length (Content-Length), if any: a shorter body is truncated. */
  readonly expectedBytes?: number;
  /** Fires when the client is gone (the request's signal): the upload is dropped. */
  readonly signal?: AbortSignal;
  /**
   * Give up (400 "truncated", nothing kept) when no byte arrives for this many ms, so a
   * client that stalls without closing its connection does not hold a
   * handler and an open file until the server's request timeout. Default
   * `DEFAULT_IDLE_TIMEOUT_MS` (60 s); `Infinity` waits forever.
   */
  readonly idleTimeoutMs?: number;
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

/**
 * The generic part of `stageVideoUpload`, also used for caption files. The
 * file is created only once there is something to keep: with `inspectHead`,
 * when the head has been accepted. A body that is refused, empty, cancelled
 * or stalled before that point never touches the disk.
 */
export async function stageStream(
  body: UploadBody,
  options: StageStreamOptions,
): Promise<MediaResult<StagedFile>> {
  // Take hold of the body before the first await, so an error it emits
  // meanwhile is kept for the loop below instead of going unhandled.
  const reader = readBody(body, options.signal, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
  const dir = resolve(options.stagingDir);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    reader.release();
    return fail("processing_failed", 500, "The upload could not be stored.", String(error));
  }
  // Set once the first accepted bytes are written.
  const staged: { file?: FileHandle; path?: string } = {};
  const hash = createHash("sha256");
  let bytes = 0;
  let pending: Uint8Array[] | null = options.inspectHead ? [] : null;
  let pendingBytes = 0;
  let outcome: MediaResult<StagedFile> | null = null;

  const write = async (chunk: Uint8Array): Promise<void> => {
    if (!staged.file) {
      // The client may have left while the head was being inspected.
      if (options.signal?.aborted) throw new UploadCancelled();
      try {
        staged.path = join(dir, `${randomBytes(16).toString("hex")}${options.suffix ?? ".upload"}`);
        staged.file = await open(staged.path, "wx", 0o600);
      } catch (error) {
        throw new StagingFailed(error);
      }
    }
    await staged.file.write(chunk);
  };

  const flushPending = async (): Promise<MediaError | null> => {
    if (!pending) return null;
    const head = Buffer.concat(pending).subarray(0, SNIFF_BYTES);
    const rejected = bytes > 0 ? (options.inspectHead?.(head) ?? null) : null;
    if (rejected) return rejected;
    for (const chunk of pending) await write(chunk);
    pending = null;
    return null;
  };

  try {
    for (let chunk = await reader.read(); chunk; chunk = await reader.read()) {
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
      await write(chunk);
    }
    // A body cancelled by someone else ends like a finished one: without
    // this a chunked upload whose client went away would pass as complete.
    if (!outcome && options.signal?.aborted) throw new UploadCancelled();
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
      } else if (!staged.file || !staged.path) {
        throw new Error("stageStream accepted bytes without writing them");
      } else {
        await staged.file.sync();
        outcome = ok({ path: staged.path, bytes, sha256: hash.digest("hex") });
      }
    }
  } catch (error) {
    outcome =
      error instanceof UploadStalled
        ? fail("truncated", 400, error.message, `no data for ${error.idleMs} ms`)
        : error instanceof UploadCancelled || options.signal?.aborted
          ? fail("truncated", 400, "The upload was cancelled.")
          : error instanceof StagingFailed || isFsError(error)
            ? fail("processing_failed", 500, "The upload could not be stored.", String(error))
            : fail(
                "truncated",
                400,
                "The upload was interrupted before it finished.",
                String(error),
              );
  } finally {
    reader.release();
    await staged.file?.close().catch(() => {});
    if (!outcome?.ok && staged.path) await rm(staged.path, { force: true });
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

/** The client went away (the request's signal fired). */
class UploadCancelled extends Error {
  constructor() {
    super("The upload was cancelled.");
  }
}

/** "The upload stalled: nothing arrived for 60 seconds." */
export function stalledMessage(idleMs: number): string {
  const wait = idleMs >= 1000 ? `${Math.round(idleMs / 1000)} seconds` : `${idleMs} ms`;
  return `The upload stalled: nothing arrived for ${wait}.`;
}

/** No byte arrived within the idle deadline. */
class UploadStalled extends Error {
  constructor(readonly idleMs: number) {
    super(stalledMessage(idleMs));
  }
}

/** The staged file could not be created. */
class StagingFailed extends Error {
  constructor(cause: unknown) {
    super(String(cause), { cause });
  }
}

interface BodyReader {
  /**
   * The next chunk, or null at the end of the body. Rejects when the body
   * fails, when `signal` fires (`UploadCancelled`) and when nothing arrives
   * for `idleMs` (`UploadStalled`); the body is cancelled in the last two cases.
   */
  read(): Promise<Uint8Array | null>;
  /** Stops reading; see `sourceOf`. Safe to call more than once. */
  release(): void;
}

/** Reads any body shape chunk by chunk, bounded by `signal` and an idle deadline. */
function readBody(body: UploadBody, signal: AbortSignal | undefined, idleMs: number): BodyReader {
  const source = sourceOf(body);
  return {
    async read() {
      if (signal?.aborted) {
        source.cancel(signal.reason);
        throw new UploadCancelled();
      }
      const next = source.next();
      // If a deadline wins the race, the read it abandons may still reject.
      next.catch(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: (() => void) | undefined;
      const stop = new Promise<never>((_, reject) => {
        const give = (error: Error) => {
          source.cancel(error);
          reject(error);
        };
        onAbort = () => give(new UploadCancelled());
        signal?.addEventListener("abort", onAbort, { once: true });
        if (Number.isFinite(idleMs))
          timer = setTimeout(() => give(new UploadStalled(idleMs)), idleMs);
      });
      try {
        return await Promise.race([next, stop]);
      } finally {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener("abort", onAbort);
      }
    },
    release: () => source.release(),
  };
}

interface ChunkSource {
  next(): Promise<Uint8Array | null>;
  /** Abandon the body: the upload failed and will not be read any further. */
  cancel(reason: unknown): void;
  release(): void;
}

/**
 * One way to read every body shape. `release` stops reading without tearing
 * the connection down: for a web stream it only cancels our reader (Hono's
 * Node adapter then drains or closes the socket after the response), so the
 * client still receives the 413/415; a Node stream left unfinished is
 * destroyed, as `for await` would.
 */
function sourceOf(body: UploadBody): ChunkSource {
  let done = false;
  let released = false;
  if (body instanceof ReadableStream) {
    const reader = body.getReader();
    const cancel = (reason?: unknown) => {
      if (done) return;
      done = true;
      reader.cancel(reason).catch(() => {});
    };
    return {
      async next() {
        const chunk = await reader.read();
        if (chunk.done) done = true;
        return chunk.done ? null : chunk.value;
      },
      cancel,
      release() {
        if (released) return;
        released = true;
        cancel();
        reader.releaseLock();
      },
    };
  }
  if (body instanceof Readable) body.on("error", () => {}); // seen through next(); see stageStream
  const iterator = body[Symbol.asyncIterator]();
  const cancel = (reason?: unknown) => {
    if (done) return;
    done = true;
    if (body instanceof Readable) body.destroy(reason instanceof Error ? reason : undefined);
    // An async generator busy in an await only returns once that settles: don't wait.
    else Promise.resolve(iterator.return?.()).catch(() => {});
  };
  return {
    async next() {
      const chunk = await iterator.next();
      if (chunk.done) done = true;
      return chunk.done ? null : chunk.value;
    },
    cancel,
    release() {
      if (released) return;
      released = true;
      cancel();
    },
  };
}
