import { Hono } from "hono";
import type { AuthEnv } from "../../auth.ts";
import type { AdminDeps } from "./deps.ts";
import { adminAuth, readParams } from "./support.ts";

const DAY_MS = 24 * 3600 * 1000;

/** Mastodon's daily axis: every day from start_at to end_at, both included. */
function days(startAt: unknown, endAt: unknown): string[] {
  const start = typeof startAt === "string" ? Date.parse(startAt) : Number.NaN;
  const end = typeof endAt === "string" ? Date.parse(endAt) : Number.NaN;
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return [];
  const out: string[] = [];
  for (let t = Math.floor(start / DAY_MS) * DAY_MS; t <= end && out.length < 400; t += DAY_MS) {
    out.push(new Date(t).toISOString());
  }
  return out;
}

/**
 * `POST /api/v1/admin/measures`, the one measure blocklist tools need:
 * FediBlockHole asks `instance_follows` for a domain before suspending it,
 * and lowers the block to silence when local accounts follow accounts there.
 * Haven's members and channels follow no remote accounts (remote people
 * follow our channels, not the reverse), so the count is 0 by construction.
 * Unknown keys are skipped, as Mastodon does.
 */
export function measureRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.post("/", adminAuth(deps, "admin:read"), async (c) => {
    const body = await readParams(c);
    if (!body.ok) return body.response;
    const p = body.params;
    const raw = p.keys ?? p["keys[]"];
    const keys = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String);
    const axis = days(p.start_at, p.end_at);
    const measures = keys
      .filter((key) => key === "instance_follows")
      .map((key) => ({
        key,
        unit: null,
        total: "0",
        data: axis.map((date) => ({ date, value: "0" })),
      }));
    return c.json(measures);
  });
  return app;
}
