/**
 * Activities as Mastodon builds them (ids under the actor's instance, fresh each call). Pure
 * functions: pass the result to `remote.send(...)`, which also serves it (and an embedded
 * object) by id so the receiver can re-fetch it from its origin.
 */
import { randomUUID } from "node:crypto";
import type { FakeActor, JsonObject } from "./types.ts";

export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const AS = "https://www.w3.org/ns/activitystreams";

export interface Activity extends JsonObject {
  "@context": unknown;
  id: string;
  type: string;
  actor: string;
}

let counter = 0;
/** Mastodon-like snowflake-ish status id. */
function statusId(): string {
  return `${Date.now()}${String(++counter).padStart(4, "0")}`;
}

export function follow(actor: FakeActor, objectIri: string): Activity {
  return {
    "@context": AS,
    id: `${actor.origin}/${randomUUID()}`,
    type: "Follow",
    actor: actor.id,
    object: objectIri,
  };
}

/** Undo with the original activity embedded (Mastodon embeds the Follow, Like or Announce). */
export function undo(actor: FakeActor, activity: JsonObject & { id: string }): Activity {
  const { "@context": _context, ...object } = activity;
  return { "@context": AS, id: `${activity.id}/undo`, type: "Undo", actor: actor.id, object };
}

export interface NoteOptions {
  content: string;
  inReplyTo?: string;
  to?: string[];
  cc?: string[];
  summary?: string;
  sensitive?: boolean;
  tag?: JsonObject[];
  attachment?: JsonObject[];
}

export function createNote(actor: FakeActor, options: NoteOptions): Activity {
  const id = `${actor.id}/statuses/${statusId()}`;
  const to = options.to ?? [PUBLIC];
  const cc = options.cc ?? [actor.followers];
  const published = new Date().toISOString();
  const note: JsonObject = {
    id,
    type: "Note",
    summary: options.summary ?? null,
    inReplyTo: options.inReplyTo ?? null,
    published,
    url: `${actor.url}/${id.split("/").pop()}`,
    attributedTo: actor.id,
    to,
    cc,
    sensitive: options.sensitive ?? false,
    content: options.content,
    tag: options.tag ?? [],
    attachment: options.attachment ?? [],
  };
  return {
    "@context": [AS, { sensitive: "as:sensitive", Hashtag: "as:Hashtag" }],
    id: `${id}/activity`,
    type: "Create",
    actor: actor.id,
    published,
    to,
    cc,
    object: note,
  };
}

export function like(actor: FakeActor, objectIri: string): Activity {
  return {
    "@context": AS,
    id: `${actor.id}#likes/${statusId()}`,
    type: "Like",
    actor: actor.id,
    object: objectIri,
  };
}

export function announce(actor: FakeActor, objectIri: string): Activity {
  return {
    "@context": AS,
    id: `${actor.id}/statuses/${statusId()}/activity`,
    type: "Announce",
    actor: actor.id,
    published: new Date().toISOString(),
    to: [PUBLIC],
    cc: [actor.followers],
    object: objectIri,
  };
}

/**
 * A report. Mastodon sends it from its instance actor with `object` = [account, posts…];
 * PeerTube with a single URL `object`. Pass a string for the PeerTube shape.
 */
export function flag(actor: FakeActor, objects: string | string[], content: string): Activity {
  return {
    "@context": AS,
    id: `${actor.origin}/${randomUUID()}`,
    type: "Flag",
    actor: actor.id,
    content,
    object: objects,
  };
}
