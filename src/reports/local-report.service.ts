import { findCommentById } from "../comments/comment.service.ts";
import type { Db } from "../db/client.ts";
import { remoteReports } from "../db/schema/index.ts";
import type { BackgroundJobs } from "../jobs/jobs.ts";
import { type AppError, err, ok, type Result } from "../lib/result.ts";
import { findVideo } from "../videos/video.service.ts";
import {
  isReportCategory,
  MAX_REPORT_COMMENT,
  REPORT_CATEGORIES,
  type ReportCategory,
} from "./categories.ts";
import { sweepReportSlots, takeReportSlot } from "./rate-limit.ts";
import type { RemoteReport } from "./report.service.ts";

/** A report as a visitor sends it (fields as received, not yet checked). */
export interface ReportRequest {
  videoId?: unknown;
  commentId?: unknown;
  category?: unknown;
  comment?: unknown;
}

export interface Reporter {
  /** The signed-in reporter; null for a visitor. */
  accountId: string | null;
  /** Rate-limit key of an anonymous reporter (see `rateLimitKey`); never stored with the report. */
  address: string;
}

export type CreateReportResult =
  | Result<RemoteReport, AppError>
  | { ok: false; rateLimited: true; retryAfterSeconds: number; error: AppError };

interface CheckedReport {
  category: ReportCategory;
  comment: string;
  videoId: string;
  commentId: string | null;
  channelId: string;
}

const isId = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";

/** Validates before anything is counted or stored; unknown targets are 404s. */
async function check(db: Db, input: ReportRequest): Promise<Result<CheckedReport>> {
  const hasVideo = input.videoId !== undefined && input.videoId !== null && input.videoId !== "";
  const hasComment =
    input.commentId !== undefined && input.commentId !== null && input.commentId !== "";
  if (hasVideo === hasComment) {
    return err("unprocessable", "Give exactly one of video_id or comment_id");
  }
  if (!isReportCategory(input.category)) {
    return err("unprocessable", `category must be one of: ${REPORT_CATEGORIES.join(", ")}`);
  }
  const comment = input.comment ?? "";
  if (typeof comment !== "string") return err("unprocessable", "comment must be text");
  if ([...comment].length > MAX_REPORT_COMMENT) {
    return err("unprocessable", `comment is longer than ${MAX_REPORT_COMMENT} characters`);
  }
  if (hasVideo) {
    if (!isId(input.videoId)) return err("unprocessable", "video_id must be a string");
    const video = await findVideo(db, input.videoId);
    // Only what the public can see can be reported by the public.
    if (video?.state !== "published") return err("not_found", "Video not found");
    return ok({
      category: input.category,
      comment: comment.trim(),
      videoId: video.id,
      commentId: null,
      channelId: video.channelId,
    });
  }
  if (!isId(input.commentId)) return err("unprocessable", "comment_id must be a string");
  const found = await findCommentById(db, input.commentId);
  if (found?.comment.state !== "visible" || found.video.state !== "published") {
    return err("not_found", "Comment not found");
  }
  return ok({
    category: input.category,
    comment: comment.trim(),
    videoId: found.video.id,
    commentId: found.comment.id,
    channelId: found.video.channelId,
  });
}

/**
 * Stores a visitor's or member's report and queues its webhook notice in the
 * same transaction (a report is announced exactly when it exists).
 * Anonymous reporters spend a slot of their address's window; the address
 * itself is not stored with the report.
 */
export async function createLocalReport(
  db: Db,
  jobs: BackgroundJobs,
  input: ReportRequest,
  reporter: Reporter,
): Promise<CreateReportResult> {
  const checked = await check(db, input);
  if (!checked.ok) return checked;
  const r = checked.value;
  if (reporter.accountId === null) await sweepReportSlots(db);
  return db.transaction(async (tx): Promise<CreateReportResult> => {
    if (reporter.accountId === null) {
      const slot = await takeReportSlot(tx, reporter.address);
      if (!slot.ok) {
        return {
          ok: false,
          rateLimited: true,
          retryAfterSeconds: slot.retryAfterSeconds,
          error: { kind: "unavailable", message: "Too many reports, please try again later" },
        };
      }
    }
    const [row] = await tx
      .insert(remoteReports)
      .values({
        source: "local",
        category: r.category,
        reporterAccountId: reporter.accountId,
        comment: r.comment,
        targetActorId: r.channelId,
        videoIds: [r.videoId],
        commentIds: r.commentId ? [r.commentId] : [],
      })
      .returning();
    await jobs.enqueue(tx, { type: "report.notify", reportId: row!.id });
    return ok(row!);
  });
}
