import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { changePassword } from "../../src/accounts/account.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";

let t: TestDatabase;
let haven: TestHaven;
let owner: { token: string; accountId: string };
let other: { token: string; accountId: string };

const api = (path: string, init: RequestInit & { token?: string } = {}) => {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  if (init.body && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  return fetch(`${haven.origin}${path}`, { ...init, headers });
};

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { workers: false });
  owner = await haven.createUser("creator");
  other = await haven.createUser("someone");
});
afterAll(async () => {
  await haven.close();
  await t.close();
});

describe("auth", () => {
  test("password login returns a bearer token that works", async () => {
    const res = await api("/api/v1/auth/token", {
      method: "POST",
      body: JSON.stringify({ username: "creator", password: "correct horse battery" }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBeGreaterThan(0);
    const use = await api("/api/v1/channels", {
      method: "POST",
      token: body.access_token,
      body: JSON.stringify({ name: "login_works" }),
    });
    expect(use.status).toBe(201);
  });

  test("wrong password is 401 with an error message", async () => {
    const res = await api("/api/v1/auth/token", {
      method: "POST",
      body: JSON.stringify({ username: "creator", password: "nope nope nope" }),
    });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toMatch(/invalid/i);
  });

  test("a password change revokes earlier tokens", async () => {
    const user = await haven.createUser("changer");
    const before = await api("/api/v1/channels", {
      method: "POST",
      token: user.token,
      body: JSON.stringify({ name: "changer_ch" }),
    });
    expect(before.status).toBe(201);
    await changePassword(t.database.db, user.accountId, "a brand new password");
    const after = await api("/api/v1/channels/changer_ch", {
      method: "PATCH",
      token: user.token,
      body: JSON.stringify({ summary: "x" }),
    });
    expect(after.status).toBe(401);
  });

  test("malformed, unsigned and alg:none tokens are refused", async () => {
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(
      JSON.stringify({ sub: owner.accountId, exp: 9999999999 }),
    ).toString("base64url")}.`;
    for (const token of ["garbage", none]) {
      const res = await api("/api/v1/channels", { method: "POST", token, body: "{}" });
      expect(res.status).toBe(401);
    }
  });
});

describe("channels", () => {
  test("create, read, and a taken name is 409", async () => {
    const res = await api("/api/v1/channels", {
      method: "POST",
      token: owner.token,
      body: JSON.stringify({
        name: "dbt_skills",
        display_name: "DBT skills",
        summary: "Short clips",
      }),
    });
    expect(res.status).toBe(201);
    const channel = await res.json();
    expect(channel).toMatchObject({
      name: "dbt_skills",
      display_name: "DBT skills",
      handle: `dbt_skills@${haven.host}`,
      manually_approves_followers: false,
      followers_count: 0,
    });
    const again = await api("/api/v1/channels", {
      method: "POST",
      token: other.token,
      body: JSON.stringify({ name: "DBT_Skills" }),
    });
    expect(again.status).toBe(409);
    // People and channels share one namespace.
    const clash = await api("/api/v1/channels", {
      method: "POST",
      token: owner.token,
      body: JSON.stringify({ name: "someone" }),
    });
    expect(clash.status).toBe(409);
    const read = await api("/api/v1/channels/dbt_skills");
    expect((await read.json()).summary).toBe("Short clips");
  });

  test("invalid names and bodies are 400 with a reason", async () => {
    for (const body of [
      '{"name":"Has Spaces"}',
      '{"name":"instance"}',
      "{not json",
      '{"name": 5}',
    ]) {
      const res = await api("/api/v1/channels", { method: "POST", token: owner.token, body });
      expect(res.status).toBe(400);
      expect(typeof (await res.json()).error).toBe("string");
    }
  });

  test("only the owner (or an admin) may edit a channel", async () => {
    await api("/api/v1/channels", {
      method: "POST",
      token: owner.token,
      body: JSON.stringify({ name: "owned" }),
    });
    const denied = await api("/api/v1/channels/owned", {
      method: "PATCH",
      token: other.token,
      body: JSON.stringify({ summary: "hijack" }),
    });
    expect(denied.status).toBe(403);
    const allowed = await api("/api/v1/channels/owned", {
      method: "PATCH",
      token: owner.token,
      body: JSON.stringify({ summary: "updated", manually_approves_followers: true }),
    });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({
      summary: "updated",
      manually_approves_followers: true,
    });
  });

  test("missing channel is 404 JSON; unknown API path is 404 JSON", async () => {
    const res = await api("/api/v1/channels/nothing_here");
    expect(res.status).toBe(404);
    expect((await res.json()).error).toBe("channel not found");
    const unknown = await api("/api/v1/nope");
    expect(unknown.status).toBe(404);
  });
});

describe("discovery", () => {
  test("health reports the database", async () => {
    const res = await api("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", database: "ok" });
  });

  test("WebFinger resolves channels, people and the instance actor; unknown is 404", async () => {
    await api("/api/v1/channels", {
      method: "POST",
      token: owner.token,
      body: JSON.stringify({ name: "wf_channel" }),
    });
    for (const name of ["wf_channel", "creator", "instance"]) {
      const res = await api(`/.well-known/webfinger?resource=acct:${name}@${haven.host}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("application/jrd+json");
      const jrd = await res.json();
      expect(jrd.subject).toBe(`acct:${name}@${haven.host}`);
      const self = jrd.links.find((l: { rel: string }) => l.rel === "self");
      expect(self).toEqual({
        rel: "self",
        type: "application/activity+json",
        href: `${haven.origin}/users/${name}`,
      });
    }
    const missing = await api(`/.well-known/webfinger?resource=acct:ghost@${haven.host}`);
    expect(missing.status).toBe(404);
    const actor = await api("/users/ghost", { headers: { Accept: "application/activity+json" } });
    expect(actor.status).toBe(404);
  });

  test("the actor URL answers JSON-LD to servers and HTML to browsers", async () => {
    await api("/api/v1/channels", {
      method: "POST",
      token: owner.token,
      body: JSON.stringify({ name: "negotiated", display_name: "Negotiated" }),
    });
    const ap = await api("/users/negotiated", { headers: { Accept: "application/activity+json" } });
    expect(ap.status).toBe(200);
    expect(ap.headers.get("content-type")).toContain("application/activity+json");
    const group = await ap.json();
    expect(group.type).toBe("Group");
    expect(group.attributedTo).toEqual([{ type: "Person", id: `${haven.origin}/users/creator` }]);
    expect(group.publicKey.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(group.publicKey.id).toBe(`${haven.origin}/users/negotiated#main-key`);
    // A plain string: PeerTube 6.x refuses an actor whose `url` is an array of Links.
    expect(group.url).toBe(`${haven.origin}/@negotiated`);
    expect(group.endpoints.sharedInbox).toBe(`${haven.origin}/inbox`);

    const html = await fetch(`${haven.origin}/@negotiated`, { headers: { Accept: "text/html" } });
    expect(html.status).toBe(200);
    const page = await html.text();
    expect(page).toContain("Negotiated");
    expect(page).toContain(`@negotiated@${haven.host}`);
  });

  test("NodeInfo 2.1 is linked from the well-known document", async () => {
    const wk = await (await api("/.well-known/nodeinfo")).json();
    const link = wk.links.find((l: { rel: string }) => l.rel.endsWith("/2.1"));
    expect(link).toBeDefined();
    const info = await (await fetch(link.href)).json();
    expect(info.software.name).toBe("haven");
    expect(info.protocols).toEqual(["activitypub"]);
  });
});
