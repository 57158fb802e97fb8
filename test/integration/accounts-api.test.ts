/**
 * Accounts and channel membership through the real HTTP app on real
 * PostgreSQL: admins create members, members change their password (which
 * revokes every earlier token), owners and admins add people to a channel.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { findAccountByUsername } from "../../src/accounts/account.service.ts";
import { issueToken } from "../../src/accounts/token.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { makeTestVideo } from "../support/media-fixtures.ts";

let t: TestDatabase;
let haven: TestHaven;
let admin: string;
let member: string;
const work = mkdtempSync(join(tmpdir(), "haven-accounts-"));

const api = (path: string, init: RequestInit & { token?: string } = {}) => {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  if (typeof init.body === "string" && !headers.has("Content-Type"))
    headers.set("Content-Type", "application/json");
  return fetch(`${haven.origin}${path}`, { ...init, headers });
};

const login = async (username: string, password: string) => {
  const res = await api("/api/v1/auth/token", {
    method: "POST",
    body: JSON.stringify({ username, password }),
  });
  return { status: res.status, body: await res.json() };
};

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { workers: false });
  ({ token: admin } = await haven.createUser("ada", { admin: true }));
  ({ token: member } = await haven.createUser("mel"));
});
afterAll(async () => {
  await haven.close();
  await t.close();
  rmSync(work, { recursive: true, force: true });
});

describe("admin accounts API", () => {
  test("an admin creates a member with a generated password, shown once, that logs in", async () => {
    const res = await api("/api/v1/admin/accounts", {
      method: "POST",
      token: admin,
      body: JSON.stringify({ username: "Clinician_1" }),
    });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toMatchObject({ username: "clinician_1", admin: false });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof created.password).toBe("string");
    expect(created.password.length).toBeGreaterThanOrEqual(10);
    expect((await login("clinician_1", created.password)).status).toBe(200);

    const read = await api(`/api/v1/admin/accounts/${created.id}`, { token: admin });
    expect(read.status).toBe(200);
    const shown = await read.json();
    expect(shown).toEqual({
      id: created.id,
      username: "clinician_1",
      admin: false,
      created_at: created.created_at,
    });
    expect(shown.password).toBeUndefined();
  });

  test("a form with a chosen password and admin=true; the password is not echoed", async () => {
    const res = await api("/api/v1/admin/accounts", {
      method: "POST",
      token: admin,
      body: new URLSearchParams({
        username: "second_admin",
        password: "a long password",
        admin: "true",
      }),
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ username: "second_admin", admin: true });
    expect(body.password).toBeUndefined();
    const token = await login("second_admin", "a long password");
    expect(token.body.scope).toContain("admin:write");
  });

  test("taken names (people and channels share them) are 409; invalid input is 422", async () => {
    await api("/api/v1/channels", {
      method: "POST",
      token: member,
      body: JSON.stringify({ name: "dbt_group" }),
    });
    for (const username of ["mel", "MEL", "dbt_group"]) {
      const res = await api("/api/v1/admin/accounts", {
        method: "POST",
        token: admin,
        body: JSON.stringify({ username }),
      });
      expect(res.status).toBe(409);
      expect((await res.json()).error).toMatch(/taken/);
    }
    for (const body of [
      { username: "has spaces" },
      { username: "admin" },
      { username: "" },
      { password: "long enough password" },
      { username: "short_pw", password: "short" },
      { username: "bad_flag", admin: "maybe" },
    ]) {
      const res = await api("/api/v1/admin/accounts", {
        method: "POST",
        token: admin,
        body: JSON.stringify(body),
      });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(typeof (await res.json()).error).toBe("string");
    }
    // Nothing half-made: the refused names do not exist.
    const list = await (await api("/api/v1/admin/accounts?limit=200", { token: admin })).json();
    const names = list.map((a: { username: string }) => a.username);
    expect(names).not.toContain("short_pw");
    expect(names).not.toContain("bad_flag");
  });

  test("the list is newest first and pages with max_id and Link", async () => {
    for (const name of ["page_a", "page_b", "page_c"]) {
      await api("/api/v1/admin/accounts", {
        method: "POST",
        token: admin,
        body: JSON.stringify({ username: name }),
      });
    }
    const first = await api("/api/v1/admin/accounts?limit=2", { token: admin });
    expect(first.status).toBe(200);
    const page1 = await first.json();
    expect(page1.map((a: { username: string }) => a.username)).toEqual(["page_c", "page_b"]);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get("link") ?? "")?.[1];
    expect(next).toBe(`${haven.origin}/api/v1/admin/accounts?limit=2&max_id=${page1[1].id}`);
    const page2 = await (
      await fetch(next!, { headers: { Authorization: `Bearer ${admin}` } })
    ).json();
    expect(page2[0].username).toBe("page_a");
  });

  test("no token → 401, a member's token → 403, unknown id → 404", async () => {
    expect((await api("/api/v1/admin/accounts")).status).toBe(401);
    expect((await api("/api/v1/admin/accounts", { token: member })).status).toBe(403);
    const post = await api("/api/v1/admin/accounts", {
      method: "POST",
      token: member,
      body: JSON.stringify({ username: "sneaky" }),
    });
    expect(post.status).toBe(403);
    for (const id of ["00000000-0000-4000-8000-000000000000", "nope"]) {
      expect((await api(`/api/v1/admin/accounts/${id}`, { token: admin })).status).toBe(404);
    }
  });
});

describe("a refused token says why", () => {
  const me = () => api("/api/v1/admin/accounts", { token: issued });
  let issued = "";
  const issue = async (tokens: { key: Uint8Array; issuer: string }, ttlSeconds = 600) => {
    const account = await findAccountByUsername(t.database.db, "ada");
    issued = (await issueToken(t.database.db, tokens, account!, { name: "t", ttlSeconds }))
      .accessToken;
  };

  test("made for another PUBLIC_URL (token create before PUBLIC_URL was set)", async () => {
    await issue({ key: haven.deps.tokens.key, issuer: "http://localhost:3000" });
    const res = await me();
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe(
      `The access token was made for http://localhost:3000, not for ${haven.origin} (PUBLIC_URL): ` +
        "create a new one with `haven token create USERNAME` where PUBLIC_URL is set as this server's, or log in again",
    );
  });

  test("expired", async () => {
    await issue(haven.deps.tokens, -60);
    const res = await me();
    expect(res.status).toBe(401);
    expect((await res.json()).error).toMatch(/^The access token has expired/);
  });

  test("signed with another key: nothing it claims is repeated", async () => {
    const key = new TextEncoder().encode("another server's key, 32 bytes long");
    await issue({ key, issuer: "http://attacker.example" });
    const res = await me();
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe("The access token is invalid");
  });
});

describe("password change", () => {
  test("revokes every earlier token, including the one used, and returns a working one", async () => {
    const user = await haven.createUser("changer");
    const second = await login("changer", "correct horse battery");
    const res = await api("/api/v1/auth/password", {
      method: "POST",
      token: user.token,
      body: JSON.stringify({
        current_password: "correct horse battery",
        new_password: "a brand new passphrase",
      }),
    });
    expect(res.status).toBe(200);
    const fresh = await res.json();
    expect(fresh).toMatchObject({ token_type: "Bearer", scope: "read write" });
    expect(fresh.expires_in).toBeGreaterThan(0);

    const tryToken = (token: string) =>
      api("/api/v1/channels", {
        method: "POST",
        token,
        body: JSON.stringify({ name: `c_${Math.random().toString(36).slice(2, 10)}` }),
      });
    expect((await tryToken(user.token)).status).toBe(401);
    expect((await tryToken(second.body.access_token)).status).toBe(401);
    expect((await tryToken(fresh.access_token)).status).toBe(201);
    expect((await login("changer", "correct horse battery")).status).toBe(401);
    expect((await login("changer", "a brand new passphrase")).status).toBe(200);
  });

  test("a wrong current password is 401 and changes nothing; a short new one is 422", async () => {
    const user = await haven.createUser("careful");
    const wrong = await api("/api/v1/auth/password", {
      method: "POST",
      token: user.token,
      body: JSON.stringify({
        current_password: "not it at all",
        new_password: "another passphrase",
      }),
    });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error).toMatch(/current_password/);
    const short = await api("/api/v1/auth/password", {
      method: "POST",
      token: user.token,
      body: JSON.stringify({ current_password: "correct horse battery", new_password: "short" }),
    });
    expect(short.status).toBe(422);
    const missing = await api("/api/v1/auth/password", {
      method: "POST",
      token: user.token,
      body: JSON.stringify({ current_password: "correct horse battery" }),
    });
    expect(missing.status).toBe(400);
    // The token still works and the old password still logs in.
    const still = await api("/api/v1/channels", {
      method: "POST",
      token: user.token,
      body: JSON.stringify({ name: "careful_ch" }),
    });
    expect(still.status).toBe(201);
    expect((await login("careful", "correct horse battery")).status).toBe(200);
    expect((await api("/api/v1/auth/password", { method: "POST", body: "{}" })).status).toBe(401);
  });
});

describe("channel members", () => {
  let owner: string;
  let clinician: string;
  let outsider: string;

  const upload = async (token: string, title: string) => {
    const video = await makeTestVideo(work, { seconds: 1 });
    const body = new FormData();
    body.set("channel", "team");
    body.set("title", title);
    body.set("file", new Blob([readFileSync(video)]), "clip.mp4");
    return api("/api/v1/videos", { method: "POST", token, body });
  };

  beforeAll(async () => {
    ({ token: owner } = await haven.createUser("owner_o"));
    ({ token: clinician } = await haven.createUser("clin"));
    ({ token: outsider } = await haven.createUser("outsider"));
    const res = await api("/api/v1/channels", {
      method: "POST",
      token: owner,
      body: JSON.stringify({ name: "team" }),
    });
    expect(res.status).toBe(201);
  });

  test("a non-member cannot publish, a member can, and a removed member cannot", async () => {
    expect((await upload(clinician, "before")).status).toBe(403);

    const add = await api("/api/v1/channels/team/members", {
      method: "POST",
      token: owner,
      body: JSON.stringify({ username: "clin" }),
    });
    expect(add.status).toBe(201);
    expect(await add.json()).toMatchObject({ username: "clin", role: "member" });

    const published = await upload(clinician, "by a member");
    expect(published.status).toBe(202);
    const video = await published.json();
    // Members edit the channel's videos and answer its follow requests.
    const edit = await api(`/api/v1/videos/${video.id}`, {
      method: "PATCH",
      token: clinician,
      body: JSON.stringify({ title: "edited by a member" }),
    });
    expect(edit.status).toBe(200);
    expect((await api("/api/v1/channels/team/follow_requests", { token: clinician })).status).toBe(
      200,
    );
    expect((await api("/api/v1/channels/team/follow_requests", { token: outsider })).status).toBe(
      403,
    );
    expect((await upload(outsider, "outsider")).status).toBe(403);

    const members = await (await api("/api/v1/channels/team/members", { token: clinician })).json();
    expect(members.map((m: { username: string; role: string }) => [m.username, m.role])).toEqual([
      ["owner_o", "owner"],
      ["clin", "member"],
    ]);

    const remove = await api("/api/v1/channels/team/members/clin", {
      method: "DELETE",
      token: owner,
    });
    expect(remove.status).toBe(204);
    expect((await upload(clinician, "after removal")).status).toBe(403);
    const editAgain = await api(`/api/v1/videos/${video.id}`, {
      method: "PATCH",
      token: clinician,
      body: JSON.stringify({ title: "no longer" }),
    });
    expect(editAgain.status).toBe(403);
    expect((await api("/api/v1/channels/team/members", { token: clinician })).status).toBe(403);
  });

  test("only the owner or an admin changes members", async () => {
    await api("/api/v1/channels/team/members", {
      method: "POST",
      token: owner,
      body: JSON.stringify({ username: "clin" }),
    });
    // A member may not add or remove others.
    const byMember = await api("/api/v1/channels/team/members", {
      method: "POST",
      token: clinician,
      body: JSON.stringify({ username: "outsider" }),
    });
    expect(byMember.status).toBe(403);
    const removeByMember = await api("/api/v1/channels/team/members/clin", {
      method: "DELETE",
      token: clinician,
    });
    expect(removeByMember.status).toBe(403);
    const byAdmin = await api("/api/v1/channels/team/members", {
      method: "POST",
      token: admin,
      body: new URLSearchParams({ username: "outsider" }),
    });
    expect(byAdmin.status).toBe(201);
    const byAdminRemove = await api("/api/v1/channels/team/members/outsider", {
      method: "DELETE",
      token: admin,
    });
    expect(byAdminRemove.status).toBe(204);
  });

  test("duplicates and the owner are 409, unknown users 422, non-members 404", async () => {
    const post = (username: string) =>
      api("/api/v1/channels/team/members", {
        method: "POST",
        token: owner,
        body: JSON.stringify({ username }),
      });
    await post("clin");
    expect((await post("clin")).status).toBe(409);
    expect((await post("owner_o")).status).toBe(409);
    expect((await post("nobody_here")).status).toBe(422);
    expect(
      (await api("/api/v1/channels/team/members/outsider", { method: "DELETE", token: owner }))
        .status,
    ).toBe(404);
    expect((await api("/api/v1/channels/nothing/members", { token: owner })).status).toBe(404);
  });
});
