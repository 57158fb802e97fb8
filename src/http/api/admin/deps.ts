import type {
  FetchText,
  ModerationActor,
  PolicyChange,
  PurgedTarget,
} from "../../../moderation/index.ts";
import type { HttpDeps } from "../../deps.ts";

/**
 * What the admin API needs from the running moderation side (built by the
 * composition root from `federation/moderation/runtime.ts`).
 */
export interface AdminModeration {
  /** Our host: subscription entries naming it are ignored. */
  readonly localDomain: string;
  /** Downloads a subscribed list (SSRF-safe, size-capped). */
  readonly fetchText: FetchText;
  /** After every successful change: refresh this process's policy, purge what must go. */
  afterChange(change: PolicyChange, actor: ModerationActor): Promise<PurgedTarget[]>;
}

export interface AdminDeps extends HttpDeps {
  readonly moderationAdmin: AdminModeration;
}
