/**
 * Shared setup for the interaction tests: a controllable moderation gate and
 * replies shaped like the real software's (Mastodon: fixture
 * create-bad-signature.json, freshly signed; PeerTube: a video comment).
 */
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import type { ModerationDecision, ModerationGate } from "../../federation/context.ts";
import type { Db } from "../../src/db/client.ts";
import { remoteActors, videoComments } from "../../src/db/schema/index.ts";
import {
  type Activity,
  createNote,
  type FakeActor,
  type JsonObject,
  PUBLIC,
} from "../support/fake-remote/index.ts";

/** A ModerationGate whose answers the test sets per host. */
export class TestModerationGate implements ModerationGate {
  readonly #byHost = new Map<string, Partial<ModerationDecision>>();
  set(host: string, decision: Partial<ModerationDecision>): void {
    this.#byHost.set(host, decision);
  }
  clear(): void {
    this.#byHost.clear();
  }
  async decideForDomain(host: string): Promise<ModerationDecision> {
    return {
      action: "accept",
      rejectMedia: false,
      rejectReports: false,
      ...this.#byHost.get(host),
    };
  }
  decideForActor(actorIri: string): Promise<ModerationDecision> {
    return this.decideForDomain(new URL(actorIri).hostname);
  }
}

/** Mastodon's @context from the fixture. */
export const MASTODON_CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  "https://w3id.org/security/v1",
  {
    manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
    sensitive: "as:sensitive",
    movedTo: { "@id": "as:movedTo", "@type": "@id" },
    Hashtag: "as:Hashtag",
    ostatus: "http://ostatus.org#",
    atomUri: "ostatus:atomUri",
    inReplyToAtomUri: "ostatus:inReplyToAtomUri",
    conversation: "ostatus:conversation",
    toot: "http://joinmastodon.org/ns#",
    Emoji: "toot:Emoji",
    focalPoint: { "@container": "@list", "@id": "toot:focalPoint" },
    featured: { "@id": "toot:featured", "@type": "@id" },
    schema: "http://schema.org#",
    PropertyValue: "schema:PropertyValue",
    value: "schema:value",
  },
];

/**
 * A Mastodon reply, the fields of fixtures/peertube/create-bad-signature.json: the mention of
 * the channel as h-card, `contentMap`, `atomUri`, `inReplyToAtomUri`, `conversation`, the
 * channel in `cc` and a Mention tag.
 */
export function mastodonReply(
  actor: FakeActor,
  options: {
    inReplyTo: string;
    mention: { id: string; acct: string };
    text: string;
    summary?: string;
    note?: JsonObject;
  },
): Activity & { object: JsonObject & { id: string } } {
  const [user] = options.mention.acct.split("@");
  const content = `<p><span class="h-card"><a href="${options.mention.id}" class="u-url mention">@<span>${user}</span></a></span> ${options.text}</p>`;
  const activity = createNote(actor, {
    content,
    inReplyTo: options.inReplyTo,
    cc: [actor.followers, options.mention.id],
    tag: [{ type: "Mention", href: options.mention.id, name: `@${options.mention.acct}` }],
    ...(options.summary ? { summary: options.summary, sensitive: true } : {}),
  });
  const note = activity.object as JsonObject & { id: string };
  Object.assign(note, {
    atomUri: note.id,
    inReplyToAtomUri: options.inReplyTo,
    conversation: `tag:${new URL(actor.origin).host},2024-05-01:objectId=72:objectType=Conversation`,
    contentMap: { en: content },
    ...options.note,
  });
  return { ...activity, "@context": MASTODON_CONTEXT, object: note };
}

let peertubeCommentId = 0;
/** A PeerTube comment (VideoCommentModel#toActivityPubObject): Markdown text, no contentMap. */
export function peertubeComment(
  actor: FakeActor,
  options: { inReplyTo: string; text: string },
): Activity & { object: JsonObject & { id: string } } {
  const id = `${actor.origin}/videos/watch/${crypto.randomUUID()}/comments/${++peertubeCommentId}`;
  const now = new Date().toISOString();
  const object = {
    type: "Note",
    id,
    content: options.text,
    mediaType: "text/markdown",
    inReplyTo: options.inReplyTo,
    updated: now,
    published: now,
    url: id,
    attributedTo: actor.id,
    tag: [],
    to: [PUBLIC],
    cc: [actor.followers],
  };
  return {
    "@context": [
      "https://www.w3.org/ns/activitystreams",
      "https://w3id.org/security/v1",
      { pt: "https://joinpeertube.org/ns#", sc: "http://schema.org/" },
    ],
    type: "Create",
    id: `${id}/activity`,
    actor: actor.id,
    to: [PUBLIC],
    cc: [actor.followers],
    object,
  };
}

/** Mastodon's Update of a status: the whole new Note embedded. */
export function mastodonUpdate(actor: FakeActor, note: JsonObject & { id: string }): Activity {
  const updated = new Date().toISOString();
  return {
    "@context": MASTODON_CONTEXT,
    id: `${note.id}#updates/${Date.now()}`,
    type: "Update",
    actor: actor.id,
    published: updated,
    to: [PUBLIC],
    object: { ...note, updated },
  };
}

/** Mastodon's Delete of a status: a Tombstone with the Note's id. */
export function mastodonDelete(actor: FakeActor, noteId: string): Activity {
  return {
    "@context": MASTODON_CONTEXT,
    id: `${noteId}#delete`,
    type: "Delete",
    actor: actor.id,
    to: [PUBLIC],
    object: { id: noteId, type: "Tombstone", atomUri: noteId },
  };
}

export async function commentByIri(db: Db, iri: string) {
  const [row] = await db
    .select({ comment: videoComments, authorIri: remoteActors.iri })
    .from(videoComments)
    .innerJoin(remoteActors, eq(remoteActors.id, videoComments.authorId))
    .where(eq(videoComments.iri, iri));
  return row ?? null;
}

/** Waits until the reply is stored (the inbox works through a queue). */
export async function waitForComment(db: Db, iri: string) {
  await expect.poll(() => commentByIri(db, iri), { timeout: 15_000, interval: 50 }).not.toBeNull();
  return (await commentByIri(db, iri))!;
}
