import { createHash } from "node:crypto";
import { watch } from "node:fs";
import { access, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Hono } from "hono";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  mediaErrorResponse,
  receiveMultipartBody,
  receiveVideoBody,
} from "../../src/http/media/receive.ts";
import { probe } from "../../src/media/probe.ts";
import { listenOnLoopback, makeTestVideo, rawExchange } from "../support/media-fixtures.ts";

let fixtures: string;
let mp4: Buffer;
let staging: string;
let limit: number;
let idleTimeoutMs: number | undefined;
let server: Awaited<ReturnType<typeof listenOnLoopback>>;

const STAGED_NAME = /^[0-9a-f]{32}\.(upload|vtt)$/;

beforeAll(async () => {
  fixtures = await mkdtemp(join(tmpdir(), "haven-upload-fixtures-"));
  mp4 = await readFile(await makeTestVideo(fixtures, { container: "mp4" }));
  const app = new Hono();
  app.use(async (_c, next) => {
    inFlight++;
    try {
      await next();
    } finally {
      if (--inFlight === 0) for (const settle of whenSettled.splice(0)) settle();
    }
  });
  app.post("/raw", async (c) => {
    const staged = await receiveVideoBody(c, {
      stagingDir: staging,
      maxBytes: limit,
      ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
    });
    if (!staged.ok) return mediaErrorResponse(staged.error);
    return c.json(
      {
        name: basename(staged.value.path),
        bytes: staged.value.bytes,
        sha256: staged.value.sha256,
        container: staged.value.sniff.container,
      },
      201,
    );
  });
  app.post("/raw-checked", async (c) => {
    const staged = await receiveVideoBody(c, { stagingDir: staging, maxBytes: limit });
    if (!staged.ok) return mediaErrorResponse(staged.error);
    const probed = await probe(staged.value.path);
    if (!probed.ok) {
      await rm(staged.value.path, { force: true });
      return mediaErrorResponse(probed.error);
    }
    return c.json({ durationSeconds: probed.value.durationSeconds }, 201);
  });
  app.post("/form", async (c) => {
    const upload = await receiveMultipartBody(c, {
      stagingDir: staging,
      maxFileBytes: limit,
      ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
    });
    if (!upload.ok) return mediaErrorResponse(upload.error);
    const { fields, file, captions } = upload.value;
    return c.json(
      {
        fields,
        file: { name: basename(file.path), container: file.sniff.container, bytes: file.bytes },
        captions: captions.map((x) => ({ language: x.language, name: basename(x.path) })),
      },
      201,
    );
  });
  server = await listenOnLoopback(app.fetch);
});
afterAll(async () => {
  await server.close();
  await rm(fixtures, { recursive: true, force: true });
});
beforeEach(async () => {
  staging = await mkdtemp(join(tmpdir(), "haven-staging-"));
  limit = 1024 * 1024;
  idleTimeoutMs = undefined;
});
afterEach(() => rm(staging, { recursive: true, force: true }));

const staged = () => readdir(staging);

let inFlight = 0;
const whenSettled: (() => void)[] = [];
/** True once no request handler is running, false if one still is after `ms`. */
function handlersSettled(ms: number): Promise<boolean> {
  if (inFlight === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    whenSettled.push(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Nothing is left once the server is done with the request. A client whose
 * connection was closed (by the handler's answer or by Node's parser) may get
 * here before the handler has returned, so first wait for the handlers in
 * flight, up to 2 s: one still running by then is a hang and fails the test.
 */
async function expectStagingEmptySoon() {
  expect(await handlersSettled(2000), "a request handler is still running").toBe(true);
  expect(await staged()).toEqual([]);
}

/** The names that appeared in the staging dir while `run` ran, even if deleted again. */
async function createdDuring<T>(run: () => Promise<T>): Promise<{ result: T; created: string[] }> {
  const created = new Set<string>();
  const watcher = watch(staging, (_event, name) => {
    if (name) created.add(name);
  });
  try {
    const result = await run();
    await handlersSettled(2000);
    await new Promise((r) => setTimeout(r, 50)); // let late events arrive
    return { result, created: [...created] };
  } finally {
    watcher.close();
  }
}
const post = (path: string, body: BodyInit | Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`${server.origin}${path}`, {
    method: "POST",
    body: body as BodyInit,
    headers,
    duplex: "half",
  } as RequestInit);

describe("raw video body", () => {
  it("stores a real MP4 under a server-made name, with its size and hash", async () => {
    const res = await post("/raw", mp4, { "content-type": "video/mp4" });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      name: string;
      bytes: number;
      sha256: string;
      container: string;
    };
    expect(body).toMatchObject({ bytes: mp4.length, container: "mp4" });
    expect(body.sha256).toBe(createHash("sha256").update(mp4).digest("hex"));
    expect(await staged()).toEqual([body.name]);
    expect(body.name).toMatch(STAGED_NAME);
    expect(await readFile(join(staging, body.name))).toEqual(mp4);
  });

  it("one byte over the limit → 413 and nothing left (declared length)", async () => {
    limit = mp4.length - 1;
    const res = await post("/raw", mp4);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe("too_large");
    await expectStagingEmptySoon();
  });

  it("one byte over the limit → 413 and the partial file removed (chunked, no length)", async () => {
    limit = mp4.length - 1;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < mp4.length; at += 8192)
          controller.enqueue(mp4.subarray(at, at + 8192));
        controller.close();
      },
    });
    const res = await post("/raw", body);
    expect(res.status).toBe(413);
    await expectStagingEmptySoon();
  });

  it("exactly at the limit is accepted", async () => {
    limit = mp4.length;
    expect((await post("/raw", mp4)).status).toBe(201);
  });

  it("a Content-Length smaller than the body: the extra bytes never join the upload", async () => {
    const { result: reply, created } = await createdDuring(() =>
      rawExchange(server.port, [
        `POST /raw HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\nContent-Length: 10\r\n\r\n`,
        mp4,
      ]),
    );
    // Ten bytes of an MP4 are not a video (415), unless Node's parser, reading
    // the rest as a malformed second request, answers 400 first and drops the
    // connection while the handler still runs.
    expect(reply).toMatch(/^HTTP\/1\.1 (415|400) /);
    await expectStagingEmptySoon();
    // Ten bytes never make a head worth sniffing, so no file was ever made.
    expect(created).toEqual([]);
  });

  it("a Content-Length larger than what arrives before the client hangs up: nothing left", async () => {
    await rawExchange(
      server.port,
      [`POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: ${mp4.length + 5000}\r\n\r\n`, mp4],
      { endAfterWrite: true, waitMs: 500 },
    );
    await expectStagingEmptySoon();
  });

  it("a client that stops sending mid-body → 400 after the idle deadline, nothing left", async () => {
    idleTimeoutMs = 300;
    const started = Date.now();
    const reply = await rawExchange(
      server.port,
      [
        `POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: ${mp4.length}\r\n\r\n`,
        mp4.subarray(0, 20_000),
      ],
      { waitMs: 5000 },
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toMatch(/stalled: nothing arrived for 300 ms/);
    expect(Date.now() - started).toBeLessThan(4000);
    await expectStagingEmptySoon();
  });

  it("a declared length over the limit is refused before the body is read", async () => {
    limit = 1000;
    const reply = await rawExchange(server.port, [
      `POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000000\r\n\r\n`,
    ]);
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(await staged()).toEqual([]);
  });

  it("an empty body → 400", async () => {
    const res = await post("/raw", new Uint8Array(0));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("empty");
    expect(await staged()).toEqual([]);
  });

  const elf = Buffer.concat([
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
    Buffer.alloc(5000),
  ]);
  const png = Buffer.concat([
    Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"),
    Buffer.alloc(5000),
  ]);
  const html = Buffer.from(
    `<!doctype html><script>alert(document.cookie)</script>${" ".repeat(5000)}`,
  );
  it.each([
    ["HTML", html],
    ["PNG", png],
    ["ELF", elf],
  ])(
    "%s named clip.mp4 with Content-Type video/mp4 → 415, nothing stored",
    async (_name, bytes) => {
      const { result: res, created } = await createdDuring(() =>
        post("/raw", bytes, {
          "content-type": "video/mp4",
          "content-disposition": 'attachment; filename="clip.mp4"',
        }),
      );
      expect(res.status).toBe(415);
      expect(((await res.json()) as { message: string }).message).toMatch(/not a video/);
      await expectStagingEmptySoon();
      expect(created).toEqual([]); // refused on its first bytes: never written
    },
  );

  it("a truncated MP4 → 422 with a reason, nothing left", async () => {
    limit = 10 * 1024 * 1024;
    const res = await post("/raw-checked", mp4.subarray(0, Math.floor(mp4.length * 0.7)));
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      error: "truncated",
      message: expect.stringMatching(/cut short/),
    });
    expect(await staged()).toEqual([]);
  });

  it("the whole MP4 passes the same check", async () => {
    const res = await post("/raw-checked", mp4);
    expect(res.status).toBe(201);
    expect(((await res.json()) as { durationSeconds: number }).durationSeconds).toBeCloseTo(2, 0);
  });
});

const BOUNDARY = "----haven-test-boundary-7MA4YWxkTrZu0gW";
type Part = {
  name: string;
  filename?: string;
  rawDisposition?: string;
  type?: string;
  body: string | Uint8Array;
};
function multipart(parts: Part[], { close = true } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition =
      p.rawDisposition ??
      `form-data; name="${p.name}"${p.filename === undefined ? "" : `; filename="${p.filename}"`}`;
    chunks.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ""}\r\n`,
        "latin1",
      ),
      Buffer.from(p.body),
      Buffer.from("\r\n"),
    );
  }
  if (close) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}
const postForm = (parts: Part[]) =>
  post("/form", multipart(parts), { "content-type": `multipart/form-data; boundary=${BOUNDARY}` });
const VTT = "WEBVTT\n\n00:00.000 --> 00:01.000\nYou are not alone.\n";

describe("multipart upload", () => {
  it("streams the file and captions to server-named files and collects the fields", async () => {
    const res = await postForm([
      { name: "title", body: "Grounding exercise" },
      { name: "description", body: "Five things you can see… 🌱" },
      { name: "file", filename: "clip.mp4", type: "video/mp4", body: mp4 },
      { name: "captions[en]", filename: "en.vtt", type: "text/vtt", body: VTT },
      { name: "captions[pt-BR]", filename: "pt.vtt", body: VTT },
    ]);
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      fields: Record<string, string>;
      file: { name: string; container: string; bytes: number };
      captions: { language: string; name: string }[];
    };
    expect(body.fields).toEqual({
      title: "Grounding exercise",
      description: "Five things you can see… 🌱",
    });
    expect(body.file).toMatchObject({ container: "mp4", bytes: mp4.length });
    expect(body.captions.map((x) => x.language).sort()).toEqual(["en", "pt-br"]);
    const names = await staged();
    expect(names.sort()).toEqual([body.file.name, ...body.captions.map((x) => x.name)].sort());
    for (const name of names) expect(name).toMatch(STAGED_NAME);
    expect(await readFile(join(staging, body.file.name))).toEqual(mp4);
  });

  it.each([
    ['filename="../../etc/x.mp4"'],
    ['filename="/abs/x.mp4"'],
    ['filename="..\\\\x.mp4"'],
    ["filename*=UTF-8''..%2F..%2Fetc%2Fx.mp4"],
  ])("hostile file name %s → stored only under a server-made name", async (filenameParam) => {
    const res = await postForm([
      { name: "file", rawDisposition: `form-data; name="file"; ${filenameParam}`, body: mp4 },
    ]);
    expect(res.status).toBe(201);
    const { file } = (await res.json()) as { file: { name: string } };
    expect(await staged()).toEqual([file.name]);
    expect(file.name).toMatch(STAGED_NAME);
    for (const escaped of ["../../etc/x.mp4", "../x.mp4", "x.mp4", "/abs/x.mp4"]) {
      await expect(access(join(staging, escaped))).rejects.toThrow();
    }
    await expect(access(join(staging, "..", "..", "etc", "x.mp4"))).rejects.toThrow();
  });

  it("a NUL byte in the file name → the part header is refused (400), nothing stored", async () => {
    const res = await postForm([
      { name: "file", rawDisposition: 'form-data; name="file"; filename="x\0.mp4"', body: mp4 },
    ]);
    expect(res.status).toBe(400);
    await expectStagingEmptySoon();
  });

  it("HTML disguised as clip.mp4 in a form → 415, nothing left", async () => {
    const res = await postForm([
      { name: "title", body: "t" },
      {
        name: "file",
        filename: "clip.mp4",
        type: "video/mp4",
        body: `<html>${"x".repeat(9000)}</html>`,
      },
    ]);
    expect(res.status).toBe(415);
    await expectStagingEmptySoon();
  });

  it("a file over the limit → 413 and every staged part removed", async () => {
    limit = mp4.length - 1;
    const res = await postForm([
      { name: "captions[en]", filename: "en.vtt", body: VTT },
      { name: "file", filename: "clip.mp4", body: mp4 },
    ]);
    expect(res.status).toBe(413);
    await expectStagingEmptySoon();
  });

  it("captions that are not WebVTT → 422 naming the language, and the video is not kept", async () => {
    const res = await postForm([
      { name: "file", filename: "clip.mp4", body: mp4 },
      {
        name: "captions[fr]",
        filename: "fr.srt",
        body: "1\n00:00:00,000 --> 00:00:01,000\nSalut\n",
      },
    ]);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/"fr".*WEBVTT/);
    await expectStagingEmptySoon();
  });

  it.each([
    [
      "a text field over 64 KiB",
      [{ name: "description", body: "x".repeat(64 * 1024 + 1) }],
      /longer than 64 KiB/,
    ],
    [
      "the same field twice",
      [
        { name: "title", body: "a" },
        { name: "title", body: "b" },
      ],
      /more than once/,
    ],
    [
      "an unexpected file part",
      [{ name: "avatar", filename: "a.png", body: "x" }],
      /Unexpected file part/,
    ],
    ["two video parts", [{ name: "file", filename: "b.mp4", body: "later" }], /Only one/],
    [
      "captions with a bogus language",
      [{ name: "captions[../../x]", filename: "x.vtt", body: VTT }],
      /Unexpected file part/,
    ],
  ])("%s → 400, nothing left", async (_name, extra, message) => {
    const res = await postForm([
      { name: "file", filename: "clip.mp4", body: mp4 },
      ...(extra as Part[]),
    ]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(message);
    await expectStagingEmptySoon();
  });

  it("a form without a file → 400", async () => {
    const res = await postForm([{ name: "title", body: "t" }]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/no "file" part/);
  });

  it("a form cut off before its closing boundary → 400, nothing left", async () => {
    const body = multipart([{ name: "file", filename: "clip.mp4", body: mp4 }], { close: false });
    const res = await post("/form", body.subarray(0, body.length - 1000), {
      "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
    });
    expect(res.status).toBe(400);
    await expectStagingEmptySoon();
  });

  it("a form that stops arriving mid-field → 400 after the idle deadline, nothing left", async () => {
    idleTimeoutMs = 300;
    const form = multipart([
      { name: "file", filename: "clip.mp4", body: mp4 },
      { name: "title", body: "x".repeat(10_000) },
    ]);
    const reply = await rawExchange(
      server.port,
      [
        `POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${form.length}\r\n\r\n`,
        form.subarray(0, form.length - 5000),
      ],
      { waitMs: 5000 },
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toMatch(/stalled/);
    await expectStagingEmptySoon();
  });

  it("a body that is not multipart → 400", async () => {
    const res = await post("/form", mp4, { "content-type": "video/mp4" });
    expect(res.status).toBe(400);
    expect(await staged()).toEqual([]);
  });
});
