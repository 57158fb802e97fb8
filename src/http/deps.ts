import type { TokenSettings } from "../accounts/token.service.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import type { BackgroundJobs } from "../jobs/jobs.ts";
import type { MediaStorage } from "../media/storage.ts";

/** What the HTTP edge needs from the composition root. */
export interface HttpDeps {
  readonly config: Config;
  readonly database: Database;
  readonly tokens: TokenSettings;
  readonly events: OutboundEvents;
  readonly jobs: BackgroundJobs;
  readonly storage: MediaStorage;
  /** Where uploads stream to before processing (under DATA_DIR). */
  readonly stagingDir: string;
}
