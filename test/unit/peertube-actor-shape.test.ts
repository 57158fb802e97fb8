import { beforeEach, expect, test } from "vitest";
import { looksLikePeerTubeActor } from "../../federation/videos/peertube-actor-shape.ts";
import type { FollowerActorShape } from "../../src/follows/follower-actor-shapes.ts";

beforeEach(() => {
  expect.hasAssertions();
});

const shape = (o: Partial<FollowerActorShape> & { iri: string }): FollowerActorShape => ({
  type: "Person",
  inboxUrl: `${o.iri}/inbox`,
  sharedInboxUrl: o.sharedInboxUrl === undefined ? `${URL.parse(o.iri)?.origin}/inbox` : null,
  hasPlaylists: false,
  peertubeContext: false,
  ...o,
});

test("PeerTube's URL scheme alone: accounts, channels and the instance account", () => {
  expect(looksLikePeerTubeActor(shape({ iri: "https://pt.example/accounts/bob" }))).toBe(true);
  expect(
    looksLikePeerTubeActor(shape({ iri: "https://pt.example/video-channels/c", type: "Group" })),
  ).toBe(true);
  expect(
    looksLikePeerTubeActor(
      shape({ iri: "https://pt.example/accounts/peertube", type: "Application" }),
    ),
  ).toBe(true);
});

test("PeerTube's vocabulary, when the stored document kept it, is enough", () => {
  const odd = { iri: "https://pt.example/x/bob", sharedInboxUrl: null };
  expect(looksLikePeerTubeActor(shape({ ...odd, hasPlaylists: true }))).toBe(true);
  expect(looksLikePeerTubeActor(shape({ ...odd, peertubeContext: true }))).toBe(true);
  expect(looksLikePeerTubeActor(shape(odd))).toBe(false);
});

test("Mastodon, GoToSocial and Misskey actors are not PeerTube", () => {
  expect(looksLikePeerTubeActor(shape({ iri: "https://m.example/users/alice" }))).toBe(false);
  expect(
    looksLikePeerTubeActor(shape({ iri: "https://gts.example/users/carol", sharedInboxUrl: null })),
  ).toBe(false);
  expect(looksLikePeerTubeActor(shape({ iri: "https://mk.example/users/9abc" }))).toBe(false);
});

test("a partial match of the URL scheme is not enough", () => {
  const iri = "https://x.example/accounts/bob";
  expect(looksLikePeerTubeActor(shape({ iri, sharedInboxUrl: null }))).toBe(false);
  expect(looksLikePeerTubeActor(shape({ iri, inboxUrl: "https://x.example/inbox/bob" }))).toBe(
    false,
  );
  expect(looksLikePeerTubeActor(shape({ iri, type: "Group" }))).toBe(false);
  expect(looksLikePeerTubeActor(shape({ iri: "https://x.example/video-channels/c" }))).toBe(false);
  expect(looksLikePeerTubeActor(shape({ iri: "https://x.example/accounts/bob/extra" }))).toBe(
    false,
  );
  expect(
    looksLikePeerTubeActor(shape({ iri: "not a url", sharedInboxUrl: null, inboxUrl: "" })),
  ).toBe(false);
});
