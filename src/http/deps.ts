import type { TokenSettings } from "../accounts/token.service.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import type { BackgroundJobs } from "../jobs/jobs.ts";
import type { Result } from "../lib/result.ts";
import type { MediaStorage } from "../media/storage.ts";

/** Finds a remote account (WebFinger `user@host`, or its actor IRI) and stores its actor. */
export interface RemoteAccountResolver {
  resolve(
    input: { account: string } | { actorId: string },
  ): Promise<Result<{ iri: string; acct: string }>>;
}

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
  /** Absent where no federation runs (then trusted accounts cannot be added). */
  readonly remoteAccounts?: RemoteAccountResolver;
}
