import type { Config } from "../src/config.ts";
import type { Db } from "../src/db/client.ts";
import type { OutboundEvents } from "../src/events/outbound.ts";

/** What moderation tells the federation edge about a remote domain or actor. */
export interface ModerationDecision {
  action: "accept" | "silence" | "reject";
  rejectMedia: boolean;
  rejectReports: boolean;
  reason?: string;
}

/** The single moderation policy consulted by inbox, delivery and fetch. */
export interface ModerationGate {
  decideForDomain(host: string): Promise<ModerationDecision>;
  decideForActor(actorIri: string): Promise<ModerationDecision>;
}

export const ACCEPT_ALL: ModerationGate = {
  decideForDomain: async () => ({ action: "accept", rejectMedia: false, rejectReports: false }),
  decideForActor: async () => ({ action: "accept", rejectMedia: false, rejectReports: false }),
};

/** Context data handed to every Fedify dispatcher and listener. */
export interface HavenContext {
  readonly db: Db;
  readonly config: Config;
  readonly events: OutboundEvents;
  readonly moderation: ModerationGate;
}
