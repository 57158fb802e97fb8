/**
 * `POST /api/v1/reports` from visitors: the per-address limit (5 per 10
 * minutes) is kept in the database, so two web processes (two Havens, each
 * with its own connection pool and HTTP server, on one database) share it.
 * Bad input is refused precisely and nothing of it is stored or counted.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type Database, openPostgres } from "../../src/db/client.ts";
import { remoteReports, reportRateLimits } from "../../src/db/schema/index.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo } from "../support/video-fixtures.ts";

let t: TestDatabase;
let second: Database;
let web1: TestHaven;
let web2: TestHaven;
let video: SupportVideo;
let memberToken: string;

function report(haven: TestHaven, body: unknown, token?: string) {
  return fetch(`${haven.origin}/api/v1/reports`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}
const stored = async () => (await t.database.db.select().from(remoteReports)).length;

beforeAll(async () => {
  t = await createTestDatabase();
  if (!t.url) throw new Error("this test needs PostgreSQL (two processes share it)");
  second = openPostgres(t.url, { max: 4 });
  web1 = await startHaven(t.database, { workers: false });
  web2 = await startHaven(second, { workers: false });
  const channel = await createTestChannel(web1, "host", "calm");
  video = await publishVideo(web1, channel, {}, { event: false });
  memberToken = (await web2.createUser("member")).token;
});
afterAll(async () => {
  await web1?.close();
  await web2?.close();
  await second?.close();
  await t?.close();
});
beforeEach(async () => {
  await t.database.db.delete(reportRateLimits);
  await t.database.db.delete(remoteReports);
});

describe("anonymous reports", () => {
  test("5 per address per 10 minutes across two web processes; the sixth is a 429 with Retry-After", async () => {
    const body = { video_id: video.id, category: "spam", comment: "ads" };
    const statuses: number[] = [];
    // Alternate between the processes, three at a time in parallel.
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all([
        report(web1, body),
        report(web2, body),
        report(round === 0 ? web1 : web2, body),
      ]);
      statuses.push(...answers.map((r) => r.status));
      if (round === 1) {
        const refused = answers.find((r) => r.status === 429)!;
        expect(await refused.json()).toEqual({
          error: "Too many reports, please try again later",
        });
        const retryAfter = Number(refused.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(600);
      }
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(await stored()).toBe(5);
    // Still refused on either process.
    expect((await report(web1, body)).status).toBe(429);
    expect((await report(web2, body)).status).toBe(429);
    // A signed-in member is not limited by the address (their account answers for them).
    expect((await report(web2, body, memberToken)).status).toBe(201);
    expect(await stored()).toBe(6);
  });

  test("the answer: id, category, created_at and the crisis resources", async () => {
    const res = await report(web2, {
      video_id: video.id,
      category: "someone_may_be_at_risk",
      comment: "The person in the video sounds like they are in danger",
    });
    expect(res.status).toBe(201);
    const json = (await res.json()) as Record<string, unknown>;
    expect(json).toEqual({
      id: expect.any(String),
      category: "someone_may_be_at_risk",
      created_at: expect.any(String),
      crisis_resources: {
        text: expect.stringContaining("local emergency services"),
        entries: [],
      },
    });
  });

  test("bad input: precise statuses, nothing stored or counted", async () => {
    const cases: [unknown, number, string][] = [
      [{ category: "spam" }, 422, "Give exactly one of video_id or comment_id"],
      [
        { video_id: video.id, comment_id: video.id, category: "spam" },
        422,
        "Give exactly one of video_id or comment_id",
      ],
      [
        { video_id: video.id, category: "rude" },
        422,
        "category must be one of: spam, harassment, someone_may_be_at_risk, other",
      ],
      [
        { video_id: video.id, category: "other", comment: "x".repeat(1001) },
        422,
        "comment is longer than 1000 characters",
      ],
      [
        { video_id: "00000000-0000-4000-8000-000000000000", category: "spam" },
        404,
        "Video not found",
      ],
      [{ comment_id: "nope", category: "spam" }, 404, "Comment not found"],
    ];
    for (const [body, status, error] of cases) {
      const res = await report(web1, body);
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ error });
    }
    const broken = await fetch(`${web1.origin}/api/v1/reports`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{",
    });
    expect(broken.status).toBe(400);
    expect((await report(web1, { video_id: video.id, category: "spam" }, "bad")).status).toBe(401);
    expect(await stored()).toBe(0);
    expect(await t.database.db.select().from(reportRateLimits)).toEqual([]);
  });
});
