import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { remoteReports } from "../db/schema/index.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import { type AppError, err, ok, type Result } from "../lib/result.ts";
import { recordAudit } from "../moderation/audit.ts";
import type { ModerationActor } from "../moderation/types.ts";
import { domainOf } from "../remote/remote-actor.service.ts";
import { findRemoteReport, type ReportWithTarget } from "./report.service.ts";
import { reportedComments } from "./resolve.service.ts";

/**
 * Queues a report about remote comments for their authors' servers, as
 * Mastodon's "forward to the remote server": a `Flag` from our instance
 * actor, so the reporter stays anonymous. Sent once; asking again answers
 * the report as it is.
 */
export async function forwardReport(
  db: Db,
  events: OutboundEvents,
  id: string,
  actor: ModerationActor,
): Promise<Result<ReportWithTarget, AppError>> {
  const found = await findRemoteReport(db, id);
  if (!found) return err("not_found", "Record not found");
  if (found.report.forwardedAt !== null) return ok(found);
  const comments = await reportedComments(db, found.report.commentIds);
  if (comments.length === 0) {
    return err(
      "unprocessable",
      "Only a report about a comment from another server can be forwarded",
    );
  }
  const domains = [...new Set(comments.map((c) => domainOf(c.authorIri)))];
  await db.transaction(async (tx) => {
    await tx.update(remoteReports).set({ forwardedAt: new Date() }).where(eq(remoteReports.id, id));
    await recordAudit(tx, {
      actor,
      action: "report.forward",
      target: id,
      details: { domains },
      source: "manual",
    });
    await events.record(tx, { type: "report.forwarded", reportId: id });
  });
  return ok((await findRemoteReport(db, id)) ?? found);
}
