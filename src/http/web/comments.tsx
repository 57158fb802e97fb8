import { displayHandle } from "../../comments/author-display.ts";
import { type CommentWithAuthor, listVideoComments } from "../../comments/comment.service.ts";
import { cleanDisplayName, LINK_REL, sanitizeRemoteHtml } from "../../comments/sanitize-html.ts";
import type { Db } from "../../db/client.ts";

/** How many approved comments the watch page shows. */
const SHOWN = 200;

/** A remote profile link only if it is http(s): a `javascript:` URL must not become an href. */
export function safeHref(url: string | null): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The author as SECURITY #30 wants it: the display name isolated in `<bdi>`
 * (and cleaned of reordering marks) so it cannot flip the text around it,
 * always beside the real `@user@host` handle.
 */
function Author({ author }: { author: CommentWithAuthor["author"] }) {
  const name = cleanDisplayName(author.displayName);
  const handle = displayHandle(author.handle, author.iri);
  return (
    <span class="comment-author">
      <a href={safeHref(author.url) ?? safeHref(author.iri)} rel={LINK_REL}>
        {name ? <bdi>{name}</bdi> : null}{" "}
        <bdi class="handle" dir="ltr">
          @{handle}
        </bdi>
      </a>
    </span>
  );
}

function Comment({ row }: { row: CommentWithAuthor }) {
  const { comment } = row;
  // Sanitised when stored; again here, so a future change of rules covers old rows.
  const body = <div dangerouslySetInnerHTML={{ __html: sanitizeRemoteHtml(comment.content) }} />;
  return (
    <li id={`comment-${comment.id}`} class="comment" lang={comment.language ?? undefined}>
      <p>
        <Author author={row.author} /> ·{" "}
        <time datetime={comment.publishedAt.toISOString()}>
          {comment.publishedAt.toISOString().slice(0, 10)}
        </time>
        {comment.editedAt ? " · edited" : null}
        {comment.parentId ? (
          <>
            {" "}
            · <a href={`#comment-${comment.parentId}`}>in reply</a>
          </>
        ) : null}{" "}
        · <a href={`/videos/${comment.videoId}/report?comment=${comment.id}`}>Report</a>
      </p>
      {comment.summary ? (
        <details>
          <summary>
            <strong>Content warning:</strong> {comment.summary}
          </summary>
          {body}
        </details>
      ) : (
        body
      )}
    </li>
  );
}

/** Approved replies from the fediverse, on the watch page. Held and rejected ones never. */
export async function VideoComments(props: { db: Db; videoId: string }) {
  const rows = await listVideoComments(props.db, props.videoId, {
    states: ["visible"],
    limit: SHOWN,
  });
  if (rows.length === 0) return null;
  return (
    <section class="card comments" aria-labelledby="comments-heading">
      <h2 id="comments-heading">Comments</h2>
      <ol>
        {rows.map((row) => (
          <Comment row={row} />
        ))}
      </ol>
    </section>
  );
}
