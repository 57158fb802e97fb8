import { type FileHandle, open } from "node:fs/promises";
import { SNIFF_BYTES, sniffContainer } from "../media/sniff.ts";

/** What became of one chunk (one PATCH body). */
export type AppendOutcome =
  /** The body ended; the file now holds `offset` bytes, fsynced. */
  | { kind: "stored"; offset: number }
  /** The body broke off; what arrived is kept (fsynced), up to `offset`. */
  | { kind: "interrupted"; offset: number }
  /** The body went past the declared length: this chunk's bytes are removed again. */
  | { kind: "overflow" }
  /** The first bytes of the upload are no video we accept. */
  | { kind: "not_video" }
  /** The staged file is missing or shorter than the committed offset. */
  | { kind: "lost" }
  /** The lease was lost mid-chunk: another request owns the file now, hands off. */
  | { kind: "cancelled" }
  | { kind: "storage_failed"; detail: string };

export interface AppendTarget {
  readonly path: string;
  /** The committed offset: where this chunk starts. */
  readonly offset: number;
  /** The declared `Upload-Length`. */
  readonly length: number;
}

/**
 * Writes a streamed chunk into the staged file at the committed offset,
 * without buffering it. Bytes past the committed offset (left by a crash) are
 * cut off first. The file's first bytes are sniffed as soon as they are all
 * there — possibly across several chunks — and before the chunk that
 * completes them is written.
 */
export async function appendChunk(
  body: AsyncIterable<Uint8Array> | null,
  target: AppendTarget,
  signal?: AbortSignal,
): Promise<AppendOutcome> {
  let file: FileHandle;
  try {
    file = await open(target.path, "r+");
  } catch (e) {
    return (e as { code?: string }).code === "ENOENT"
      ? { kind: "lost" }
      : { kind: "storage_failed", detail: String(e) };
  }
  try {
    if ((await file.stat()).size < target.offset) {
      await file.close();
      return { kind: "lost" };
    }
    await file.truncate(target.offset);
  } catch (e) {
    await file.close().catch(() => {});
    return { kind: "storage_failed", detail: String(e) };
  }
  const iterator = (body ?? noBytes())[Symbol.asyncIterator]();
  let finished = false;
  try {
    const outcome = await copyInto(file, iterator, target, signal);
    finished = outcome.kind === "stored" || outcome.kind === "interrupted";
    return outcome;
  } catch (e) {
    // Only the file can throw here (the body's errors are an interruption).
    await file.truncate(target.offset).catch(() => {});
    return { kind: "storage_failed", detail: String(e) };
  } finally {
    // Stop reading a body we refuse; the server still answers the request.
    if (!finished) await iterator.return?.().catch(() => {});
    await file.close().catch(() => {});
  }
}

async function copyInto(
  file: FileHandle,
  body: AsyncIterator<Uint8Array>,
  target: AppendTarget,
  signal: AbortSignal | undefined,
): Promise<AppendOutcome> {
  const sniffEnd = Math.min(SNIFF_BYTES, target.length);
  let sniffed = target.offset >= sniffEnd;
  let position = target.offset;
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await body.next();
    } catch {
      if (signal?.aborted) return { kind: "cancelled" };
      // The body broke off (client gone, connection reset): keep what came.
      await file.sync();
      return { kind: "interrupted", offset: position };
    }
    if (next.done) break;
    const chunk = next.value;
    if (signal?.aborted) return { kind: "cancelled" };
    if (chunk.byteLength === 0) continue;
    // SECURITY.md #36: more bytes than declared is a conflict. Keeping the
    // part that fits would finish the upload from a request we refuse, so
    // the whole chunk goes; the client resends it from the committed offset.
    if (position + chunk.byteLength > target.length) {
      await file.truncate(target.offset);
      return { kind: "overflow" };
    }
    if (!sniffed && position + chunk.byteLength >= sniffEnd) {
      const head = Buffer.concat([
        await readPrefix(file, position),
        chunk.subarray(0, sniffEnd - position),
      ]);
      if (!sniffContainer(head)) return { kind: "not_video" };
      sniffed = true;
    }
    await write(file, chunk, position);
    position += chunk.byteLength;
  }
  await file.sync();
  return { kind: "stored", offset: position };
}

async function* noBytes(): AsyncGenerator<Uint8Array> {}

async function readPrefix(file: FileHandle, bytes: number): Promise<Buffer> {
  const prefix = Buffer.alloc(bytes);
  const { bytesRead } = await file.read(prefix, 0, bytes, 0);
  return prefix.subarray(0, bytesRead);
}

async function write(file: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.byteLength) {
    const { bytesWritten } = await file.write(
      chunk,
      done,
      chunk.byteLength - done,
      position + done,
    );
    done += bytesWritten;
  }
}
