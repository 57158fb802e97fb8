import type { Context } from "@fedify/fedify";
import { Note } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import {
  findCommentByIri,
  insertRemoteComment,
  type VideoComment,
} from "../../src/comments/comment.service.ts";
import { replyVerdict } from "../../src/comments/comment-policy.ts";
import { domainOf } from "../../src/remote/remote-actor.service.ts";
import type { HavenContext } from "../context.ts";
import { isAuthoredBy, mediaDescriptionsOf, readRemoteNote } from "../objects/remote-note.ts";
import { type ReplyTarget, resolveReplyTarget } from "./interaction-target.ts";
import { signedLoader } from "./loader.ts";
import { recentOrFetchedActor } from "./remote-author.ts";
import { circumstancesOf, type ReplyToJudge } from "./reply-circumstances.ts";

/**
 * How many ancestors of a reply we fetch when we do not have them: 5. A
 * reply reaches us with parents we never got when people answer each other
 * under one of our videos without mentioning the channel (Mastodon then
 * delivers only to those mentioned; PeerTube sends every comment on our
 * video to us, so its replies arrive with such gaps). A gap is usually one
 * or two comments; a chain of five unknown comments is a conversation that
 * happened elsewhere. Each hop is a signed fetch with its own 10 s deadline,
 * all inside one inbox job, so the bound also caps that job near 50 s and
 * what one crafted reply can make us fetch. (PeerTube allows 100 hops,
 * Mastodon resolves parents one worker job at a time.)
 */
export const MAX_FETCHED_ANCESTORS = 5;

const logger = getLogger(["haven", "federation", "replies"]);

/** A parent we did not have, fetched from its origin and read like a delivered reply. */
export type FetchedAncestor = ReplyToJudge;

export interface ReplyThread {
  /** What the farthest fetched ancestor (or, without any, the reply) answers. */
  target: ReplyTarget;
  /** Fetched ancestors, farthest first: the order they are stored in. */
  missing: FetchedAncestor[];
}

/**
 * Walks a reply's `inReplyTo` chain up to one of our videos or a comment we
 * hold, fetching at most MAX_FETCHED_ANCESTORS parents we lack. Null when
 * the chain ends anywhere else (we are not a cache of other conversations),
 * loops, runs too deep, or passes a parent we may not fetch or keep.
 */
export async function resolveReplyThread(
  ctx: Context<HavenContext>,
  reply: { iri: string; inReplyTo: URL | null },
): Promise<ReplyThread | null> {
  const seen = new Set<string>([reply.iri]);
  const missing: FetchedAncestor[] = [];
  // Harmless and common (a reply to someone else's post): debug, not a warning.
  const drop = (why: string) => {
    logger.debug("Reply {iri} not kept: {why}", { iri: reply.iri, why });
    return null;
  };
  let cursor = reply.inReplyTo;
  while (cursor != null) {
    // A reply to itself, or A → B → A.
    if (seen.has(cursor.href)) return drop(`its thread loops at ${cursor.href}`);
    seen.add(cursor.href);
    const target = await resolveReplyTarget(ctx, cursor);
    if (target) return { target, missing: missing.reverse() };
    if (missing.length >= MAX_FETCHED_ANCESTORS) {
      return drop(`more than ${MAX_FETCHED_ANCESTORS} parents missing`);
    }
    const ancestor = await fetchAncestor(ctx, cursor);
    if (!ancestor) return drop(`parent ${cursor.href} was not fetched, or may not be kept`);
    // The loader may have followed the document to its own id.
    if (ancestor.fields.iri !== cursor.href) {
      if (seen.has(ancestor.fields.iri)) return drop(`its thread loops at ${ancestor.fields.iri}`);
      seen.add(ancestor.fields.iri);
    }
    missing.push(ancestor);
    cursor = ancestor.fields.inReplyTo;
  }
  return missing.length > 0 ? drop("its thread does not lead to one of our videos") : null;
}

/**
 * A parent from its own origin, checked as a delivered reply is: a public
 * Note whose author is on the Note's origin (PeerTube checks the same), from
 * a domain and an author the moderation policy does not reject.
 */
async function fetchAncestor(
  ctx: Context<HavenContext>,
  iri: URL,
): Promise<FetchedAncestor | null> {
  // Ours but no video, or a comment we hold on a video not (or no longer)
  // published: nothing to fetch.
  if (iri.origin === ctx.canonicalOrigin) return null;
  if (await findCommentByIri(ctx.data.db, iri.href)) return null;
  // Asked first so a blocked domain sees no request at all. The document
  // loader refuses it too (refuse-suspended-hosts.ts), and refuses private
  // addresses (ADR 0002).
  const domain = await ctx.data.moderation.decideForDomain(domainOf(iri.href));
  if (domain.action === "reject") return null;
  const note = await ctx.lookupObject(iri.href, await signedLoader(ctx)).catch(() => null);
  if (!(note instanceof Note)) return null;
  const author = note.attributionIds[0];
  if (author == null || !isAuthoredBy(note, author)) return null;
  const standing = await ctx.data.moderation.decideForActor(author.href);
  if (standing.action === "reject") return null;
  const fields = readRemoteNote(note);
  // A followers-only parent is not for a public page, and neither is its thread.
  if (!fields?.isPublic) return null;
  return {
    fields,
    author,
    standing: standing.action,
    mediaDescriptions: await mediaDescriptionsOf(note),
  };
}

/**
 * Stores a reply under `target` the one way every reply is stored: the
 * video's comment policy, the author's standing and trust, lockdowns and
 * the watched words give its state (held, with why; visible; or not kept:
 * null), its author is resolved from its origin. A row stored meanwhile by
 * a concurrent delivery is returned.
 */
export async function storeReply(
  ctx: Context<HavenContext>,
  reply: ReplyToJudge,
  target: ReplyTarget,
): Promise<VideoComment | null> {
  const verdict = replyVerdict(await circumstancesOf(ctx, target.video, reply));
  if (verdict === null) return null;
  const author = await recentOrFetchedActor(ctx, reply.author);
  if (!author) return null;
  const { fields } = reply;
  const inserted = await insertRemoteComment(ctx.data.db, {
    ...fields,
    videoId: target.video.id,
    authorId: author.id,
    parentId: target.parent?.id ?? null,
    inReplyToIri: fields.inReplyTo?.href ?? "",
    publishedAt: fields.published,
    ...verdict,
  });
  return inserted ?? (await findCommentByIri(ctx.data.db, fields.iri))?.comment ?? null;
}

/** Stores the fetched ancestors top-down; the target the reply itself then answers. */
export async function storeAncestors(
  ctx: Context<HavenContext>,
  thread: ReplyThread,
): Promise<ReplyTarget | null> {
  let target = thread.target;
  for (const ancestor of thread.missing) {
    const stored = await storeReply(ctx, ancestor, target);
    if (!stored) return null;
    target = { video: target.video, parent: stored };
  }
  return target;
}
