import type { DeliveryLog } from "./delivery-log.ts";
import type { RemoteClient } from "./remote-client.ts";
import type {
  FakeActor,
  InboxBehaviourFn,
  InboxBehaviourRule,
  IncomingRequest,
  JsonObject,
  RemoteKind,
} from "./types.ts";

/** Everything the request handlers of one fake instance share. */
export interface RemoteState {
  kind: RemoteKind;
  origin: string;
  domain: string;
  actors: Map<string, FakeActor>;
  instanceActor: FakeActor;
  /** Objects this instance serves by id (notes and activities it sent). */
  objects: Map<string, JsonObject>;
  log: DeliveryLog;
  /** Every request this instance received, in arrival order. */
  incoming: IncomingRequest[];
  /** Ids of removed actors (and their keys) with the status their URLs now answer (404/410). */
  removed: Map<string, number>;
  client: RemoteClient;
  authorizedFetch: boolean;
  maxSkewSeconds: number;
  behaviour: InboxBehaviourFn | undefined;
  /** When set, `/.well-known/nodeinfo` and the NodeInfo document answer this status. */
  nodeInfoStatus: number | undefined;
}

/** Mastodon signs and checks `(request-target)` without the query string. */
export function requestTarget(kind: RemoteKind, url: string): string {
  const parsed = new URL(url, "http://x");
  return kind === "mastodon" ? parsed.pathname : `${parsed.pathname}${parsed.search}`;
}

export function allActors(state: RemoteState): FakeActor[] {
  return [state.instanceActor, ...state.actors.values()];
}

/** Turns a fixed rule into a behaviour function that applies to the next `times` POSTs. */
export function ruleToBehaviour(rule: InboxBehaviourRule): InboxBehaviourFn {
  let remaining = rule.times ?? Number.POSITIVE_INFINITY;
  const { times: _times, ...override } = rule;
  return () => {
    if (remaining <= 0) return undefined;
    remaining--;
    return override;
  };
}
