import type { TokenSettings } from "../accounts/token.service.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import type { OutboundEvents } from "../events/outbound.ts";

/** What the HTTP edge needs from the composition root. */
export interface HttpDeps {
  readonly config: Config;
  readonly database: Database;
  readonly tokens: TokenSettings;
  readonly events: OutboundEvents;
}
