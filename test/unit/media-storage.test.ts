import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  InvalidMediaKeyError,
  isValidMediaKey,
  LocalMediaStorage,
} from "../../src/media/storage.ts";

let base: string;
let storage: LocalMediaStorage;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "haven-storage-"));
  storage = new LocalMediaStorage(join(base, "media"));
});
afterEach(() => rm(base, { recursive: true, force: true }));

async function staged(content: string): Promise<string> {
  const path = join(base, `staged-${Math.random().toString(36).slice(2)}`);
  await writeFile(path, content);
  return path;
}

describe("media keys", () => {
  it.each([
    "videos/0b7f3c2e-8d1a-4b7e-9f00-1c2d3e4f5a6b/720.mp4",
    "posters/abc.jpg",
    "captions/abc/en-gb.vtt",
    "a",
  ])("accepts %s", (key) => expect(isValidMediaKey(key)).toBe(true));

  it.each([
    "",
    "../etc/passwd",
    "videos/../../etc/passwd",
    "videos/./x.mp4",
    "videos/..",
    "/etc/passwd",
    "videos//x.mp4",
    "videos/x.mp4/",
    "Videos/X.mp4",
    "videos\\..\\x.mp4",
    "videos/x.mp4\0.jpg",
    "videos/%2e%2e/x",
    ".hidden",
    "-rf",
    "a".repeat(256),
  ])("refuses %j", (key) => expect(isValidMediaKey(key)).toBe(false));
});

describe("LocalMediaStorage", () => {
  it("puts, stats, reads whole and in ranges, and deletes", async () => {
    const from = await staged("0123456789");
    await storage.put("videos/v1/file.mp4", from);
    await expect(readdir(base)).resolves.not.toContain(from.slice(base.length + 1)); // moved
    const info = await storage.stat("videos/v1/file.mp4");
    expect(info?.size).toBe(10);
    expect(info?.mtime).toBeInstanceOf(Date);
    expect(await text(storage.createReadStream("videos/v1/file.mp4"))).toBe("0123456789");
    expect(await text(storage.createReadStream("videos/v1/file.mp4", { start: 2, end: 4 }))).toBe(
      "234",
    );
    await storage.delete("videos/v1/file.mp4");
    expect(await storage.stat("videos/v1/file.mp4")).toBeNull();
    await storage.delete("videos/v1/file.mp4"); // idempotent
  });

  it("replaces an existing object atomically and leaves no temp files", async () => {
    await storage.put("posters/p.jpg", await staged("old"));
    await storage.put("posters/p.jpg", await staged("new"));
    expect(await readFile(join(base, "media/posters/p.jpg"), "utf8")).toBe("new");
    expect(await readdir(join(base, "media/posters"))).toEqual(["p.jpg"]);
  });

  it("stat of a missing key or a directory is null", async () => {
    await storage.put("videos/v1/a.mp4", await staged("a"));
    expect(await storage.stat("videos/v2/a.mp4")).toBeNull();
    expect(await storage.stat("videos/v1")).toBeNull();
    expect(await storage.stat("videos/v1/a.mp4/x")).toBeNull();
  });

  it("deletePrefix removes a video's folder or the keys sharing a name prefix", async () => {
    for (const key of ["videos/v1/a.mp4", "videos/v1/b.jpg", "videos/v10/a.mp4", "videos/v2.jpg"]) {
      await storage.put(key, await staged(key));
    }
    await storage.deletePrefix("videos/v1/");
    expect(await storage.stat("videos/v1/a.mp4")).toBeNull();
    expect(await storage.stat("videos/v1/b.jpg")).toBeNull();
    expect(await storage.stat("videos/v10/a.mp4")).not.toBeNull();
    await storage.deletePrefix("videos/v");
    expect(await readdir(join(base, "media/videos"))).toEqual([]);
    await storage.deletePrefix("nothing/here/"); // missing is fine
  });

  it("refuses traversal keys in every operation, touching nothing outside the root", async () => {
    const outside = join(base, "outside.txt");
    await writeFile(outside, "keep me");
    const from = await staged("x");
    const evil = "../outside.txt";
    await expect(storage.put(evil, from)).rejects.toBeInstanceOf(InvalidMediaKeyError);
    expect(() => storage.createReadStream(evil)).toThrow(InvalidMediaKeyError);
    await expect(storage.stat(evil)).rejects.toBeInstanceOf(InvalidMediaKeyError);
    await expect(storage.delete(evil)).rejects.toBeInstanceOf(InvalidMediaKeyError);
    await expect(storage.deletePrefix("../")).rejects.toBeInstanceOf(InvalidMediaKeyError);
    await expect(storage.deletePrefix("")).rejects.toBeInstanceOf(InvalidMediaKeyError);
    expect(await readFile(outside, "utf8")).toBe("keep me");
  });
});
