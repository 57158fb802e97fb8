import { compareLogLevel, type LogLevel, type LogRecord, type Sink } from "@logtape/logtape";
import { noteRefusal } from "./http/request-log.ts";

/**
 * Fedify logs ordinary fediverse traffic as errors. `error` is kept for what
 * an operator must act on, so these records are re-levelled before they are
 * written (matched by category prefix and message template, Fedify 2.3):
 */
interface Reclassification {
  category: readonly string[];
  message: string;
  level: LogLevel;
  /** For an inbox refusal: the reason the request's own log line gives. */
  refusal?: (properties: Record<string, unknown>) => string;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

const RECLASSIFIED: readonly Reclassification[] = [
  // An activity type Haven has no handler for (PeerTube's View and CacheFile,
  // an `Add` to a featured collection, …): answered 202 and ignored by design.
  {
    category: ["fedify", "federation", "inbox"],
    message: "Unsupported activity type:\n{activity}",
    level: "debug",
  },
  // `getObject({ suppressError: true })` and the like: the caller expected a
  // fetch to fail sometimes (a reply that links its Note instead of
  // embedding it, a remote server that is down) and handles the null.
  { category: ["fedify", "vocab"], message: "Failed to fetch {url}: {error}", level: "debug" },
  { category: ["fedify", "vocab"], message: "Failed to parse {url}: {error}", level: "debug" },
  // Refused inbox POSTs: the request log writes one `info` line with this reason.
  {
    category: ["fedify", "federation", "inbox"],
    message: "Failed to verify the request's HTTP Signatures.",
    level: "debug",
    refusal: (p) => `signature not verified (${String(p.reason ?? "unknown reason")})`,
  },
  {
    category: ["fedify", "federation", "inbox"],
    message: "The signer ({keyId}) and the actor ({actorId}) do not match.",
    level: "debug",
    refusal: (p) => `signed by ${String(p.keyId)}, not by the actor ${String(p.actorId)}`,
  },
  {
    category: ["fedify", "federation", "inbox"],
    message: "Failed to parse activity:\n{error}",
    level: "debug",
    refusal: (p) => `not a valid activity: ${errorText(p.error)}`,
  },
  // A remote inbox that fails is the remote's problem, retried for days; Haven's
  // own delivery path logs only when it gives up, as a warning, and so does this one.
  {
    category: ["fedify", "federation", "outbox"],
    message:
      "Failed to send activity {activityId} to {inbox} (attempt #{attempt}); retry...:\n{error}",
    level: "debug",
  },
  {
    category: ["fedify", "federation", "outbox"],
    message:
      "Failed to send activity {activityId} to {inbox}; holding because the remote host circuit is open:\n{error}",
    level: "debug",
  },
  {
    category: ["fedify", "federation", "outbox"],
    message:
      "Failed to send activity {activityId} to {inbox} after {attempt} attempts; giving up:\n{error}",
    level: "warning",
  },
  // A handler that threw is retried; only giving up on the activity is an error.
  {
    category: ["fedify", "federation", "inbox"],
    message:
      "Failed to process the incoming activity {activityId} (attempt #{attempt}); retry...:\n{error}",
    level: "warning",
  },
  // Fedify's own request line (4xx as warnings): Haven's request log replaces it.
  {
    category: ["fedify", "federation", "http"],
    message: "{method} {path}: {status}",
    level: "trace",
  },
];

const startsWith = (category: readonly string[], prefix: readonly string[]) =>
  prefix.every((part, i) => category[i] === part);

/**
 * Wraps `sink`: records listed above get their new level (and are dropped if
 * that is below `threshold(category)`); everything else passes unchanged.
 */
export function reclassifying(
  sink: Sink,
  threshold: (category: readonly string[]) => LogLevel,
): Sink {
  return (record: LogRecord) => {
    if (record.category[0] !== "fedify") return sink(record);
    const rule = RECLASSIFIED.find(
      (r) => r.message === record.rawMessage && startsWith(record.category, r.category),
    );
    if (!rule) return sink(record);
    if (rule.refusal) noteRefusal(rule.refusal(record.properties));
    if (compareLogLevel(rule.level, threshold(record.category)) < 0) return;
    sink({ ...record, level: rule.level });
  };
}
