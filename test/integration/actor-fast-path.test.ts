import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../../src/app.ts";
import { localActors } from "../../src/db/schema/accounts.ts";
import { HTTP_SERVER_OPTIONS } from "../../src/http/server.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";

let t: TestDatabase;
let haven: TestHaven;
/** The same deps served without the fast path: what Fedify answers today. */
let slow: { server: Server; origin: string };
let ownerToken: string;
let adminToken: string;

const AP = "application/activity+json";
const LD_AS = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { workers: false });
  // The same server settings as Haven's (its Keep-Alive header is compared too).
  const server = createServer(
    HTTP_SERVER_OPTIONS,
    getRequestListener(createApp({ ...haven.deps, actorFastPath: null }).fetch),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  slow = { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  ownerToken = (await haven.createUser("creator")).token;
  adminToken = (await haven.createUser("boss", { admin: true })).token;
  const res = await api("POST", "/api/v1/channels", ownerToken, {
    name: "skills",
    display_name: "DBT skills",
    summary: "Short clips.\n\nOne skill each.",
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  slow?.server.closeAllConnections();
  await new Promise<void>((resolve) => (slow ? slow.server.close(() => resolve()) : resolve()));
  await haven?.close();
  await t?.close();
});

function api(method: string, path: string, token: string, body: unknown): Promise<Response> {
  return fetch(`${haven.origin}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function get(
  origin: string,
  path: string,
  accept: string | null,
  method = "GET",
): Promise<Answer> {
  const res = await fetch(`${origin}${path}`, {
    method,
    redirect: "manual",
    headers: accept === null ? {} : { Accept: accept },
  });
  const headers = Object.fromEntries(res.headers);
  delete headers.date;
  return { status: res.status, headers, body: await res.text() };
}

/** Asks both servers; returns both answers and how many the fast path served. */
async function fastAndSlow(path: string, accept: string | null, method = "GET") {
  const before = haven.deps.actorFastPath?.served ?? 0;
  const fast = await get(haven.origin, path, accept, method);
  const servedFast = (haven.deps.actorFastPath?.served ?? 0) - before;
  const reference = await get(slow.origin, path, accept, method);
  expect(haven.deps.actorFastPath?.served ?? 0).toBe(before + servedFast);
  return { fast, reference, servedFast };
}

describe("actor documents served before Fedify", () => {
  test("Person, Group and Application: status, every header and body as Fedify serves them", async () => {
    for (const handle of ["creator", "skills", "instance"]) {
      for (const [accept, method] of [
        [AP, "GET"],
        [LD_AS, "GET"],
        [`${AP}, ${LD_AS}, text/html;q=0.1`, "GET"],
        [AP, "HEAD"],
      ] as const) {
        const label = `${method} ${handle} ${accept}`;
        const { fast, reference, servedFast } = await fastAndSlow(
          `/users/${handle}`,
          accept,
          method,
        );
        expect(servedFast, label).toBe(1);
        expect(fast, label).toEqual(reference);
        expect(fast.status, label).toBe(200);
        expect(fast.headers["content-type"], label).toBe(AP);
        expect(fast.headers.vary, label).toBe("Accept");
        if (method === "GET") {
          const doc = JSON.parse(fast.body) as Record<string, unknown>;
          expect(doc.id, label).toBe(`${haven.origin}/users/${handle}`);
          expect(doc.type, label).toBe(
            { creator: "Person", skills: "Group", instance: "Application" }[handle],
          );
        }
      }
    }
    const group = JSON.parse((await get(haven.origin, "/users/skills", AP)).body);
    expect(group.attributedTo).toEqual([{ type: "Person", id: `${haven.origin}/users/creator` }]);
    expect(group.publicKey.owner).toBe(`${haven.origin}/users/skills`);
  });

  test("negotiates as Fedify does: browsers get HTML, odd Accept headers the same answer", async () => {
    const cases: [string | null, boolean][] = [
      [BROWSER, false],
      [null, false],
      ["*/*", false],
      ["text/html, application/activity+json", false],
      ["Application/Activity+JSON", false],
      ["application/activity+json;q=0", false],
      ["application/json", true],
      ["application/ld+json", true],
      ["text/html;q=0.5, application/activity+json", true],
      ['application/activity+json;q="0.9", text/html;q=0.8', true],
    ];
    for (const [accept, json] of cases) {
      const { fast, reference, servedFast } = await fastAndSlow("/users/skills", accept);
      expect(servedFast, String(accept)).toBe(json ? 1 : 0);
      expect(fast, String(accept)).toEqual(reference);
    }
    const page = await get(haven.origin, "/users/skills", BROWSER);
    expect(page.status).toBe(302);
    expect(page.headers.location).toMatch(/\/@skills$/);
  });

  test("unknown handles, query strings, other paths and other methods stay with Fedify", async () => {
    for (const path of ["/users/ghost", "/users/Skills", "/users/skills/", "/users/skills?x=1"]) {
      const { fast, reference, servedFast } = await fastAndSlow(path, AP);
      expect(servedFast, path).toBe(0);
      expect(fast, path).toEqual(reference);
    }
    // Fedify's not-found falls through to the web routes, which answer 404 themselves.
    const ghost = await fetch(`${haven.origin}/users/ghost`, {
      headers: { Accept: AP },
      redirect: "manual",
    });
    expect(ghost.status).toBe(404);
    // (A collection's `first` link follows the request's origin, so only the status is compared.)
    const outbox = await fastAndSlow("/users/skills/outbox", AP);
    expect(outbox.servedFast).toBe(0);
    expect(outbox.fast.status).toBe(200);
    expect(outbox.reference.status).toBe(200);
  });

  test("a PATCHed display name and avatar row are served at once, from the fast path", async () => {
    const warm = await fastAndSlow("/users/skills", AP);
    expect(JSON.parse(warm.fast.body).name).toBe("DBT skills");

    const res = await api("PATCH", "/api/v1/channels/skills", ownerToken, {
      display_name: "Mindfulness",
    });
    expect(res.status).toBe(200);
    const after = await fastAndSlow("/users/skills", AP);
    expect(after.servedFast).toBe(1);
    expect(JSON.parse(after.fast.body).name).toBe("Mindfulness");
    expect(after.fast).toEqual(after.reference);

    // Another process's write: only the row changes; the next GET reads it.
    await t.database.db
      .update(localActors)
      .set({ avatarUrl: "https://cdn.example/a.png", updatedAt: new Date() })
      .where(eq(localActors.handle, "skills"));
    const elsewhere = await fastAndSlow("/users/skills", AP);
    expect(elsewhere.servedFast).toBe(1);
    expect(JSON.parse(elsewhere.fast.body).icon).toEqual({
      type: "Image",
      url: "https://cdn.example/a.png",
      mediaType: "image/png",
    });
    expect(elsewhere.fast).toEqual(elsewhere.reference);
  });

  test("authorized fetch on: an unsigned GET is refused (401), not served from the cache", async () => {
    const warm = await fastAndSlow("/users/creator", AP);
    expect(warm.servedFast).toBe(1);
    const on = await api("PATCH", "/api/v1/admin/federation_settings", adminToken, {
      authorized_fetch: true,
    });
    expect(on.status).toBe(200);
    try {
      const refused = await fastAndSlow("/users/creator", AP);
      expect(refused.servedFast).toBe(0);
      expect(refused.fast.status).toBe(401);
      expect(refused.fast).toEqual(refused.reference);
      // The instance actor stays public (through Fedify while authorized fetch is on).
      const instance = await fastAndSlow("/users/instance", AP);
      expect(instance.fast.status).toBe(200);
      expect(instance.fast).toEqual(instance.reference);
    } finally {
      const off = await api("PATCH", "/api/v1/admin/federation_settings", adminToken, {
        authorized_fetch: false,
      });
      expect(off.status).toBe(200);
    }
    expect((await fastAndSlow("/users/creator", AP)).servedFast).toBe(1);
  });
});
