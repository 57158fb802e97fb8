import { type Context, Hono } from "hono";
import { findCommentById } from "../../comments/comment.service.ts";
import type { CrisisResources } from "../../instance/crisis-resources.ts";
import {
  AT_RISK,
  CATEGORY_LABELS,
  MAX_REPORT_COMMENT,
  REPORT_CATEGORIES,
} from "../../reports/categories.ts";
import { findVideo } from "../../videos/video.service.ts";
import { BadBodyError, readFields } from "../body.ts";
import type { HttpDeps } from "../deps.ts";
import { submitReport } from "../report-submit.ts";
import { Layout } from "./layout.tsx";

/** Where help is: shown on the confirmation of every report, first for an at-risk one. */
export function CrisisResourcesBlock({ resources }: { resources: CrisisResources }) {
  return (
    <section class="card" aria-labelledby="crisis-heading">
      <h2 id="crisis-heading">Where to find help</h2>
      <p>{resources.text}</p>
      {resources.entries.length > 0 ? (
        <ul>
          {resources.entries.map((e) => (
            <li>
              {e.url ? <a href={e.url}>{e.label}</a> : e.label}
              {e.phone ? (
                <>
                  {" "}
                  — <a href={`tel:${e.phone.replace(/[^0-9+]/g, "")}`}>{e.phone}</a>
                </>
              ) : null}
              {e.region ? ` (${e.region})` : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/**
 * A plain form (no JavaScript): the categories as radios in a fieldset with
 * a legend, each with its label; the at-risk choice first.
 */
export function ReportForm(props: { videoId: string; commentId?: string; heading: string }) {
  const id = props.commentId ? `c-${props.commentId}` : "v";
  return (
    <form method="post" action={`/videos/${props.videoId}/report`}>
      {props.commentId ? <input type="hidden" name="comment_id" value={props.commentId} /> : null}
      <fieldset>
        <legend>{props.heading}</legend>
        {REPORT_CATEGORIES.map((category) => (
          <div>
            <input
              type="radio"
              name="category"
              id={`${id}-${category}`}
              value={category}
              required
            />{" "}
            <label for={`${id}-${category}`}>{CATEGORY_LABELS[category]}</label>
          </div>
        ))}
      </fieldset>
      <p>
        <label for={`${id}-comment`}>Anything the moderators should know (optional)</label>
        <br />
        <textarea id={`${id}-comment`} name="comment" rows={3} maxlength={MAX_REPORT_COMMENT} />
      </p>
      <p>
        <button type="submit">Send report</button> Reports go to this server's moderators only; they
        do not see who you are.
      </p>
    </form>
  );
}

/** The watch page's collapsed "Report this video" (a `<details>`, so no script is needed). */
export function ReportVideo({ videoId }: { videoId: string }) {
  return (
    <details class="card">
      <summary>Report this video</summary>
      <ReportForm videoId={videoId} heading="What is wrong with this video?" />
    </details>
  );
}

function Problem(c: Context, status: number, message: string, videoId: string) {
  return c.html(
    <Layout title="Report not sent">
      <h1>Your report was not sent</h1>
      <p role="alert">{message}</p>
      <p>
        <a href={`/videos/${videoId}`}>Back to the video</a>
      </p>
    </Layout>,
    status as 400,
  );
}

/** `GET|POST /videos/:id/report`: the form for one comment, and where every form posts. */
export function reportPageRoutes(deps: HttpDeps): Hono {
  const db = deps.database.db;
  const app = new Hono();

  app.get("/videos/:id/report", async (c) => {
    const videoId = c.req.param("id");
    const video = await findVideo(db, videoId);
    if (video?.state !== "published") return Problem(c, 404, "No such video.", videoId);
    const commentId = c.req.query("comment");
    const comment = commentId ? await findCommentById(db, commentId) : null;
    if (commentId && (comment?.comment.state !== "visible" || comment.video.id !== video.id)) {
      return Problem(c, 404, "No such comment.", videoId);
    }
    return c.html(
      <Layout title={`Report — ${video.title}`}>
        <h1>Report {comment ? "a comment" : "a video"}</h1>
        <ReportForm
          videoId={video.id}
          {...(comment ? { commentId: comment.comment.id } : {})}
          heading={comment ? "What is wrong with this comment?" : "What is wrong with this video?"}
        />
      </Layout>,
    );
  });

  app.post("/videos/:id/report", async (c) => {
    const videoId = c.req.param("id");
    let fields: Record<string, unknown>;
    try {
      fields = await readFields(c, 16 * 1024);
    } catch (e) {
      if (e instanceof BadBodyError) return Problem(c, 400, e.message, videoId);
      throw e;
    }
    const commentId = typeof fields.comment_id === "string" ? fields.comment_id : "";
    if (commentId) {
      const found = await findCommentById(db, commentId);
      if (found?.video.id !== videoId) return Problem(c, 404, "No such comment.", videoId);
    }
    const result = await submitReport(c, deps, {
      ...(commentId ? { commentId } : { videoId }),
      category: fields.category ?? "",
      comment: fields.comment,
    });
    if (!result.ok) {
      if (result.retryAfterSeconds !== undefined) {
        c.header("Retry-After", String(result.retryAfterSeconds));
      }
      const message =
        result.status === 429
          ? `Too many reports from your connection. Please try again in ${Math.ceil(result.retryAfterSeconds! / 60)} minutes.`
          : result.message;
      return Problem(c, result.status, message, videoId);
    }
    const atRisk = result.report.category === AT_RISK;
    return c.html(
      <Layout title="Report sent">
        <h1>Thank you, your report was sent</h1>
        {atRisk ? (
          <p>
            The moderators have been told at once. If someone is in danger right now, please do not
            wait for them:
          </p>
        ) : (
          <p>The moderators will look at it.</p>
        )}
        <CrisisResourcesBlock resources={result.crisisResources} />
        <p>
          <a href={`/videos/${videoId}`}>Back to the video</a>
        </p>
      </Layout>,
    );
  });

  return app;
}
