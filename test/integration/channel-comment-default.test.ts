/**
 * The comment policy a new upload gets when it does not choose: the channel's default, else
 * the instance's (approval), set through `PATCH /api/v1/channels/:name`.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { addChannelMember } from "../../src/channels/channel-members.service.ts";
import { checkVideoPublish } from "../../src/http/api/video-publish.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel } from "../support/video-fixtures.ts";

let t: TestDatabase;
let haven: TestHaven;
let owner: { id: string; isAdmin: boolean };
let token: string;

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database);
  const created = await haven.createUser("owner");
  owner = { id: created.accountId, isAdmin: false };
  token = created.token;
  const channel = await createTestChannel(haven, "host", "calm");
  // The owner of "calm" is "host"; "owner" becomes a member, so may publish and manage it.
  const added = await addChannelMember(t.database.db, channel.channel, "owner");
  if (!added.ok) throw new Error(added.error.message);
});
afterAll(async () => {
  await haven?.close();
  await t?.close();
});

const policyOf = async (fields: Record<string, unknown>) => {
  const checked = await checkVideoPublish(t.database.db, owner, {
    channel: "calm",
    title: "A video",
    ...fields,
  });
  if (!checked.ok) throw new Error(checked.error.message);
  return checked.value.metadata.commentsPolicy;
};

const patch = (body: unknown) =>
  fetch(`${haven.origin}/api/v1/channels/calm`, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

test("approval unless the channel or the upload chooses otherwise", async () => {
  expect(await policyOf({})).toBe("approval");
  expect(await policyOf({ comments_policy: "open" })).toBe("open");

  const res = await patch({ default_comments_policy: "open" });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { default_comments_policy: string }).default_comments_policy).toBe(
    "open",
  );
  expect(await policyOf({})).toBe("open");
  expect(await policyOf({ comments_policy: "closed" })).toBe("closed");

  // null: back to the instance default.
  expect((await patch({ default_comments_policy: null })).status).toBe(200);
  expect(await policyOf({})).toBe("approval");
});

test("the instance default is the admins' setting (`default_comments_policy`)", async () => {
  const admin = await haven.createUser("root_admin", { admin: true });
  const setInstanceDefault = (policy: string | null) =>
    fetch(`${haven.origin}/api/v1/admin/instance_settings`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${admin.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ default_comments_policy: policy }),
    });
  expect((await setInstanceDefault("closed")).status).toBe(200);
  expect(await policyOf({})).toBe("closed");
  const res = await fetch(`${haven.origin}/api/v1/channels/calm`);
  expect(((await res.json()) as { default_comments_policy: string }).default_comments_policy).toBe(
    "closed",
  );
  // A channel's own default still wins; back to approval once the setting is cleared.
  expect((await patch({ default_comments_policy: "open" })).status).toBe(200);
  expect(await policyOf({})).toBe("open");
  expect((await patch({ default_comments_policy: null })).status).toBe(200);
  expect((await setInstanceDefault(null)).status).toBe(200);
  expect(await policyOf({})).toBe("approval");
});
