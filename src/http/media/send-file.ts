import { open } from "node:fs/promises";
import type { ServerResponse } from "node:http";

/** fs's default read size, as the bare node:http baseline uses (BENCHMARKS.md S7). */
export const SEND_CHUNK = 64 * 1024;
/** Idle buffers kept for the next responses (4 MiB at most). */
const POOL_LIMIT = 64;
const pool: Buffer[] = [];

const take = (): Buffer => pool.pop() ?? Buffer.allocUnsafeSlow(SEND_CHUNK);
const give = (buffer: Buffer): void => {
  if (pool.length < POOL_LIMIT) pool.push(buffer);
};

/**
 * Sends bytes `start`…`end` (inclusive) of a file into a node:http response.
 * Two 64 KiB buffers per response, taken back into a small pool once the
 * socket has taken their bytes (the write callback): the next chunk is read
 * while the previous one is being written, and a slow reader holds two
 * chunks at most. fs.createReadStream allocates a fresh buffer per read, and
 * in a process with a large heap the garbage collector then ran for ~20 % of
 * the busy time at 600 MiB/s. Rejects (after closing the file) when the
 * client goes away or the file is shorter than planned; the caller then
 * destroys the response.
 */
export async function sendFileRange(
  path: string,
  start: number,
  end: number,
  outgoing: ServerResponse,
): Promise<void> {
  const file = await open(path, "r");
  const buffers = [take(), take()] as const;
  // A buffer whose write has not been confirmed never goes back to the pool.
  const busy = [false, false];
  try {
    let position = start;
    let writing: Promise<void> | null = null;
    let i = 0;
    while (position <= end) {
      const buffer = buffers[i] as Buffer;
      const length = Math.min(SEND_CHUNK, end - position + 1);
      const { bytesRead } = await file.read(buffer, 0, length, position);
      if (bytesRead !== length) throw new Error(`${path} is shorter than planned`);
      position += length;
      if (writing) await writing;
      busy[i] = true;
      const index = i;
      writing = written(outgoing, buffer.subarray(0, length)).then(() => {
        busy[index] = false;
      });
      // Awaited below; until then a client going away must not be an unhandled rejection.
      writing.catch(() => {});
      i = 1 - i;
    }
    if (writing) await writing;
    outgoing.end();
  } finally {
    await file.close().catch(() => {});
    buffers.forEach((buffer, k) => {
      if (!busy[k]) give(buffer);
    });
  }
}

/** Resolves once the socket has taken `chunk`; rejects if the response closes first. */
function written(outgoing: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (outgoing.destroyed) {
      reject(new Error("response closed"));
      return;
    }
    const onClose = () => reject(new Error("response closed"));
    outgoing.once("close", onClose);
    outgoing.write(chunk, (error) => {
      outgoing.off("close", onClose);
      if (error) reject(error);
      else resolve();
    });
  });
}
