/**
 * PeerTube sends an activity without `@context` when it could not load the
 * ActivityStreams context (INTEROP.md §3.6; PeerTube's fixture
 * `announce-without-context.json`). Read as JSON-LD, such a document has no
 * terms at all, and Fedify answers 400 "Missing actor". We read it as
 * ActivityStreams, which is what PeerTube meant.
 *
 * The signed bytes must reach Fedify unchanged (their digest is checked), so
 * the context is added only where the JSON is parsed: Fedify 2.3.6 parses
 * `request.clone().json()` and checks the digest against a clone's
 * `arrayBuffer()`. The follow-flow test holds this in place.
 */
const ACTIVITY_STREAMS = "https://www.w3.org/ns/activitystreams";

export function lacksContext(activity: unknown): boolean {
  return typeof activity === "object" && activity !== null && !("@context" in activity);
}

export class DefaultContextRequest extends Request {
  override clone(): DefaultContextRequest {
    return new DefaultContextRequest(super.clone());
  }

  override async json(): Promise<unknown> {
    const value: unknown = await super.json();
    return lacksContext(value) ? { "@context": ACTIVITY_STREAMS, ...(value as object) } : value;
  }
}
