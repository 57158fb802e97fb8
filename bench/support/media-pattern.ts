import { open } from "node:fs/promises";

/**
 * S7's file: each little-endian uint32 at offset 4k holds k, so every byte
 * says where it belongs and a response can be checked at a few sample
 * points instead of against a second copy of the file.
 */
export function expectedByte(offset: number): number {
  return (Math.floor(offset / 4) >>> (8 * (offset % 4))) & 0xff;
}

export async function writePatternFile(path: string, size: number): Promise<void> {
  const chunk = 4 * 1024 * 1024;
  const file = await open(path, "w");
  try {
    for (let pos = 0; pos < size; pos += chunk) {
      const n = Math.min(chunk, size - pos);
      const buf = Buffer.allocUnsafe(n);
      for (let o = 0; o < n; o += 4) buf.writeUInt32LE((pos + o) / 4, o);
      await file.write(buf, 0, n, pos);
    }
  } finally {
    await file.close();
  }
}

/** Checks a body that starts at file offset `start`: first/last byte of each chunk and every 64 KiB. */
export function bodyChecker(start: number) {
  let error: string | null = null;
  const check = (chunk: Buffer, index: number, absolute: number) => {
    if (error === null && chunk[index] !== expectedByte(absolute)) {
      error = `byte at file offset ${absolute} is ${chunk[index]}, expected ${expectedByte(absolute)}`;
    }
  };
  return {
    onBody(chunk: Buffer, offset: number) {
      if (chunk.length === 0) return;
      const base = start + offset;
      check(chunk, 0, base);
      check(chunk, chunk.length - 1, base + chunk.length - 1);
      for (let a = Math.ceil(base / 65536) * 65536; a < base + chunk.length; a += 65536) {
        check(chunk, a - base, a);
      }
    },
    get error() {
      return error;
    },
  };
}
