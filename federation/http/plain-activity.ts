import { preloadedContexts } from "@fedify/fedify";

/**
 * The activities the inbox fast path takes as they are: the types our
 * listeners handle (inbox/listeners.ts), as Mastodon, PeerTube and
 * GoToSocial send them. Anything else goes to Fedify, which parses it as
 * JSON-LD on the web process and answers 400 for what it cannot read.
 */
const TYPES = new Set([
  "Create",
  "Follow",
  "Like",
  "Dislike",
  "Announce",
  "Undo",
  "Update",
  "Delete",
  "Flag",
]);

export interface PlainActivity {
  readonly id: string;
  readonly type: string;
  readonly actor: string;
}

/**
 * The activity when it is plain, or null. Not plain: no `@context` (the
 * guard has already given one lacking ActivityStreams its context, see
 * default-context.ts), a context Fedify would have to fetch, a Linked Data `signature` or an integrity
 * `proof` (Fedify verifies those itself), an embedded actor, no id.
 */
export function plainActivity(activity: unknown): PlainActivity | null {
  if (typeof activity !== "object" || activity === null || Array.isArray(activity)) return null;
  const a = activity as Record<string, unknown>;
  if (!plainContext(a["@context"])) return null;
  if ("signature" in a || "proof" in a) return null;
  const { id, type, actor } = a;
  if (typeof id !== "string" || typeof actor !== "string" || typeof type !== "string") return null;
  if (!TYPES.has(type)) return null;
  return { id, type, actor };
}

function plainContext(context: unknown): boolean {
  const entries = Array.isArray(context) ? context : [context];
  if (entries.length === 0) return false;
  return entries.every((entry) =>
    typeof entry === "string"
      ? Object.hasOwn(preloadedContexts, entry)
      : typeof entry === "object" &&
        entry !== null &&
        !Array.isArray(entry) &&
        // A scoped or imported context inside would be fetched.
        !/"@(?:context|import)"/.test(JSON.stringify(entry)),
  );
}
