import { createHmac } from "node:crypto";
import type { Db } from "../db/client.ts";
import { getReportWebhook } from "../instance/instance-settings.ts";
import type { SafeFetch } from "../net/safe-fetch.ts";
import { isSafeFetchError } from "../net/safe-fetch-error.ts";
import { AT_RISK } from "./categories.ts";
import { findRemoteReport, type RemoteReport } from "./report.service.ts";

/** The header GitHub-style receivers know: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = "X-Haven-Signature";

export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** The watch page of the reported video, at the reported comment when there is one. */
export function reportTargetUrl(origin: string, report: RemoteReport): string | null {
  const videoId = report.videoIds[0];
  if (!videoId) return null;
  const commentId = report.commentIds[0];
  return `${origin}/videos/${videoId}${commentId ? `#comment-${commentId}` : ""}`;
}

/**
 * What moderators' tools receive: enough to act, nothing about who reported
 * (no address, no account).
 */
export function webhookBody(origin: string, report: RemoteReport): string {
  return JSON.stringify({
    event: "report.created",
    id: report.id,
    category: report.category,
    at_risk: report.category === AT_RISK,
    source: report.source,
    target_url: reportTargetUrl(origin, report),
    video_id: report.videoIds[0] ?? null,
    comment_id: report.commentIds[0] ?? null,
    comment: report.comment,
    created_at: report.createdAt.toISOString(),
  });
}

/** Thrown for an answer worth retrying (5xx, 429, no answer); the queue backs off. */
export class WebhookRetryableError extends Error {}

export type WebhookOutcome = "sent" | "no_webhook" | "gone" | "refused";

/**
 * Posts one report to the configured webhook through the SSRF-safe fetch
 * (no private addresses unless ALLOW_PRIVATE_ADDRESS). A 4xx other than 429
 * is the receiver saying no: retrying would not change it.
 */
export async function sendReportWebhook(
  db: Db,
  safeFetch: SafeFetch,
  origin: string,
  reportId: string,
): Promise<WebhookOutcome> {
  const webhook = await getReportWebhook(db);
  if (!webhook) return "no_webhook";
  const found = await findRemoteReport(db, reportId);
  if (!found) return "gone";
  const body = webhookBody(origin, found.report);
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (webhook.secret) headers[SIGNATURE_HEADER] = signWebhookBody(webhook.secret, body);
  let status: number;
  try {
    const { response } = await safeFetch(webhook.url, {
      method: "POST",
      headers,
      body,
      maxRedirects: 0,
      maxBodyBytes: 64 * 1024,
    });
    status = response.status;
  } catch (e) {
    // A URL we will never post to (not http(s), a private address) is a setting to fix, not a retry.
    if (isSafeFetchError(e, "scheme") || isSafeFetchError(e, "private-address")) return "refused";
    throw new WebhookRetryableError(`report webhook unreachable: ${String(e)}`);
  }
  if (status >= 200 && status < 300) return "sent";
  if (status >= 500 || status === 429 || status === 408) {
    throw new WebhookRetryableError(`report webhook answered ${status}`);
  }
  return "refused";
}
