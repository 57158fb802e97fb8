import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";

export interface MediaStat {
  readonly size: number;
  readonly mtime: Date;
}

export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive (as in HTTP `Range`). */
  readonly end: number;
}

/**
 * Where processed media lives, addressed by keys like
 * `videos/<uuid>/720.mp4`. Keys are content-unique: a changed file gets a new
 * key, which is what lets the HTTP layer cache them as immutable.
 */
export interface MediaStorage {
  /** Moves (or copies) a local file into the store under `key`, replacing any old one. */
  put(key: string, fromPath: string): Promise<void>;
  /** Streams the whole object or an inclusive byte range. */
  createReadStream(key: string, range?: ByteRange): Readable;
  /** null when missing. */
  stat(key: string): Promise<MediaStat | null>;
  /** Removes one object; missing is fine. */
  delete(key: string): Promise<void>;
  /** Removes every object whose key starts with `prefix` (e.g. `videos/<uuid>/`). */
  deletePrefix(prefix: string): Promise<void>;
}

export class InvalidMediaKeyError extends Error {
  constructor(key: string) {
    super(`Invalid media key: ${JSON.stringify(key.slice(0, 100))}`);
    this.name = "InvalidMediaKeyError";
  }
}

/**
 * Read size per chunk: fs's own 64 KiB default, as the bare node:http
 * baseline uses. 128 KiB was no faster on loopback but doubled what each slow
 * reader holds (one chunk read ahead, one in the socket): 100 readers grew
 * the web process by ~67 MiB instead of ~23 MiB (BENCHMARKS.md S7: ≤ 50 MiB).
 */
const READ_CHUNK = 64 * 1024;

const KEY = /^[a-z0-9][a-z0-9/_.-]*$/;

/**
 * Lower-case ASCII letters, digits, `/ _ . -`; no empty, `.` or `..` segment;
 * at most 255 characters. Anything a client could use to climb out is refused.
 */
export function isValidMediaKey(key: string): boolean {
  if (key.length === 0 || key.length > 255 || !KEY.test(key) || key.endsWith("/")) return false;
  return key.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

/** A prefix is a key, optionally ending in `/`. */
export function isValidMediaKeyPrefix(prefix: string): boolean {
  return isValidMediaKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
}

/** Files under one directory (`$DATA_DIR/media`), one file per key. */
export class LocalMediaStorage implements MediaStorage {
  readonly root: string;

  constructor(rootDir: string) {
    this.root = resolve(rootDir);
  }

  /** The file for a key; throws on a key that is invalid or would leave the root. */
  pathFor(key: string): string {
    if (!isValidMediaKey(key)) throw new InvalidMediaKeyError(key);
    const path = resolve(this.root, key);
    const rel = relative(this.root, path);
    if (rel === "" || rel.startsWith("..") || rel.startsWith(sep))
      throw new InvalidMediaKeyError(key);
    return path;
  }

  async put(key: string, fromPath: string): Promise<void> {
    const target = this.pathFor(key);
    await mkdir(dirname(target), { recursive: true });
    // Write beside the target, then rename: readers never see half a file.
    const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await rename(fromPath, temp);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
      await copyFile(fromPath, temp);
      await unlink(fromPath);
    }
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  createReadStream(key: string, range?: ByteRange): Readable {
    const path = this.pathFor(key);
    return range
      ? createReadStream(path, { start: range.start, end: range.end, highWaterMark: READ_CHUNK })
      : createReadStream(path, { highWaterMark: READ_CHUNK });
  }

  async stat(key: string): Promise<MediaStat | null> {
    try {
      const info = await stat(this.pathFor(key));
      return info.isFile() ? { size: info.size, mtime: info.mtime } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathFor(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!isValidMediaKeyPrefix(prefix)) throw new InvalidMediaKeyError(prefix);
    if (prefix.endsWith("/")) {
      await rm(this.pathFor(prefix.slice(0, -1)), { recursive: true, force: true });
      return;
    }
    // "videos/abc" also matches "videos/abc.jpg" and "videos/abcdef/…".
    const path = this.pathFor(prefix);
    const dir = dirname(path);
    const base = path.slice(dir.length + 1);
    const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [] as string[];
      throw error;
    });
    await Promise.all(
      entries
        .filter((name) => name.startsWith(base))
        .map((name) => rm(join(dir, name), { recursive: true, force: true })),
    );
  }
}
