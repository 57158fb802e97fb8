/**
 * ActivityStreams 2.0 core §2.1: a consumer that meets an
 * `application/activity+json` document whose `@context` does not include
 * the ActivityStreams context must assume that it applies. PeerTube sends
 * activities without any `@context` when it could not load the
 * ActivityStreams context (PeerTube's fixture
 * `announce-without-context.json`); other servers send one naming only
 * their own or the security vocabulary. Read as JSON-LD, such a document has
 * no ActivityStreams terms at all: Fedify answers 400 "Missing actor", or
 * queues it and drops it unread. We read it as ActivityStreams: the context
 * is put first, so the document's own definitions still win.
 *
 * The signed bytes must reach Fedify unchanged (their digest is checked), so
 * the context is added only where the JSON is parsed: Fedify 2.3.6 parses
 * `request.clone().json()` and checks the digest against a clone's
 * `arrayBuffer()`. The follow-flow test holds this in place.
 */
const ACTIVITY_STREAMS = "https://www.w3.org/ns/activitystreams";
/** The spellings of the ActivityStreams context seen in the wild (http, `.jsonld`, `#`). */
const AS_REFERENCE = /^https?:\/\/www\.w3\.org\/ns\/activitystreams(?:\.jsonld)?#?$/;

export function lacksActivityStreamsContext(activity: unknown): boolean {
  if (typeof activity !== "object" || activity === null || Array.isArray(activity)) return false;
  if (!("@context" in activity)) return true;
  const context = (activity as { "@context"?: unknown })["@context"];
  const entries = Array.isArray(context) ? context : [context];
  return !entries.some((e) => typeof e === "string" && AS_REFERENCE.test(e));
}

/** `activity` with the ActivityStreams context first, when it lacks it; else itself. */
export function withActivityStreamsContext<T>(activity: T): T {
  if (!lacksActivityStreamsContext(activity)) return activity;
  const context = (activity as { "@context"?: unknown })["@context"];
  const own = context == null ? [] : Array.isArray(context) ? context : [context];
  return {
    ...activity,
    "@context": own.length === 0 ? ACTIVITY_STREAMS : [ACTIVITY_STREAMS, ...own],
  } as T;
}

export class DefaultContextRequest extends Request {
  override clone(): DefaultContextRequest {
    return new DefaultContextRequest(super.clone());
  }

  override async json(): Promise<unknown> {
    return withActivityStreamsContext(await super.json());
  }
}
