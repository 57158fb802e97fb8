import { request as httpRequest } from "node:http";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BodyTooLargeError, readBody } from "../../federation/http/body-limit.ts";
import { isLengthFramed } from "../../federation/http/length-framed.ts";
import { listenOnLoopback } from "../support/media-fixtures.ts";

let server: Awaited<ReturnType<typeof listenOnLoopback>>;

beforeAll(async () => {
  const app = new Hono();
  app.post("/echo", async (c) => {
    const framed = isLengthFramed(c.env);
    try {
      const body = await readBody(c.req.raw, 1024, framed);
      return c.json({ framed, size: body.byteLength, text: new TextDecoder().decode(body) });
    } catch (e) {
      if (e instanceof BodyTooLargeError) return c.json({ framed, tooLarge: true }, 413);
      throw e;
    }
  });
  server = await listenOnLoopback(app.fetch);
});
afterAll(() => server.close());

function post(body: string[], headers: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.origin}/echo`, { method: "POST", headers }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => {
        text += d.toString();
      });
      res.on("end", () => resolve(JSON.parse(text)));
    });
    req.on("error", reject);
    for (const part of body) req.write(part);
    req.end();
  });
}

describe("inbox body reading", () => {
  it("reads a Content-Length body directly, and a chunked one through the capped stream", async () => {
    expect(await post(['{"a":1}'], { "content-length": "7" })).toEqual({
      framed: true,
      size: 7,
      text: '{"a":1}',
    });
    expect(await post(['{"a":', "1}"], { "transfer-encoding": "chunked" })).toEqual({
      framed: false,
      size: 7,
      text: '{"a":1}',
    });
  });

  it("still cuts a chunked body off at the limit", async () => {
    const parts = Array.from({ length: 8 }, () => "x".repeat(512));
    expect(await post(parts, { "transfer-encoding": "chunked" })).toEqual({
      framed: false,
      tooLarge: true,
    });
  });

  it("refuses a framed body over the limit even if the caller did not check the length", async () => {
    await expect(
      readBody(new Request("http://x/", { method: "POST", body: "y".repeat(2000) }), 1024, true),
    ).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(isLengthFramed(undefined)).toBe(false);
  });
});
