import { type Context, Hono } from "hono";
import { findActorById } from "../../actors/actor.service.ts";
import type { Config } from "../../config.ts";
import { getCrisisResources } from "../../instance/instance-settings.ts";
import { renderMarkdown } from "../../videos/markdown.ts";
import { findVideo, listCaptions, type SupportVideo } from "../../videos/video.service.ts";
import { mediaUrl } from "../api/video-json.ts";
import type { HttpDeps } from "../deps.ts";
import { VideoComments } from "./comments.tsx";
import { CrisisResourcesBlock } from "./help.tsx";
import { Layout } from "./layout.tsx";
import { Player, Transcript } from "./player.tsx";
import { RemoteFollowForm } from "./remote-follow.tsx";
import { ReportVideo } from "./report.tsx";

/**
 * A content-warned video shows the warning first; the player (and even the
 * poster frame) appears only after the viewer chooses to open it.
 */
function Gate(props: { warning: string | null; children: unknown }) {
  if (!props.warning) return <>{props.children}</>;
  return (
    <details class="card">
      <summary>
        <strong>Content warning:</strong> {props.warning} — <span>show video</span>
      </summary>
      {props.children}
    </details>
  );
}

/**
 * Which link to paste where: Mastodon (and most of the fediverse) finds the
 * post its users already follow by the Note's link; PeerTube imports the
 * video by the Video's.
 */
function ShareLinks(props: { origin: string; id: string }) {
  return (
    <details class="card">
      <summary>Share this video on the fediverse</summary>
      <p>
        On Mastodon and most servers: <code>{`${props.origin}/notes/${props.id}`}</code>
      </p>
      <p>
        On PeerTube: <code>{`${props.origin}/videos/${props.id}`}</code>
      </p>
    </details>
  );
}

/** OpenGraph tags so links unfurl into a preview card (Mastodon reads these and oEmbed). */
function OpenGraph(props: {
  config: Config;
  video: SupportVideo;
  channelName: string;
  page: string;
}) {
  const { config, video, page } = props;
  const description = video.contentWarning
    ? `Content warning: ${video.contentWarning}`
    : video.description.slice(0, 300);
  // A content-warned video's preview card carries no frame of it.
  const visual = !video.contentWarning;
  return (
    <>
      <meta property="og:type" content="video.other" />
      <meta property="og:site_name" content="Haven" />
      <meta property="og:title" content={video.title} />
      <meta property="og:description" content={description} />
      <meta property="og:url" content={page} />
      {visual && video.posterKey ? (
        <meta property="og:image" content={mediaUrl(config, video.posterKey)!} />
      ) : null}
      {visual && video.mediaKey ? (
        <>
          <meta property="og:video" content={mediaUrl(config, video.mediaKey)!} />
          <meta property="og:video:type" content="video/mp4" />
          <meta property="og:video:width" content={String(video.width ?? "")} />
          <meta property="og:video:height" content={String(video.height ?? "")} />
        </>
      ) : null}
      <meta name="twitter:card" content={visual ? "player" : "summary"} />
      <link
        rel="alternate"
        type="application/json+oembed"
        href={`${config.publicUrl.origin}/oembed?url=${encodeURIComponent(page)}&format=json`}
        title={video.title}
      />
      <link rel="alternate" type="application/activity+json" href={page} />
    </>
  );
}

export function watchRoutes(deps: HttpDeps): Hono {
  const db = deps.database.db;
  const config = deps.config;
  const app = new Hono();

  async function published(id: string) {
    const video = await findVideo(db, id);
    if (video?.state !== "published") return null;
    const channel = await findActorById(db, video.channelId);
    if (!channel) return null;
    return { video, channel, captions: await listCaptions(db, video.id) };
  }

  /**
   * The watch page, at both faces' URLs: `/videos/<id>` (the PeerTube Video's
   * `url`) and `/notes/<id>` (the Note's, ADR 0011). Each page names itself
   * (`og:url`, the ActivityPub alternate), so a link copied from the address
   * bar resolves, in Mastodon or PeerTube, to the object its viewer came from.
   */
  async function watchPage(c: Context, face: "videos" | "notes") {
    const id = c.req.param("id") ?? "";
    const found = await published(id);
    if (!found) {
      const gone = (await findVideo(db, id))?.state === "deleted";
      return c.html(
        <Layout title="Video not available">
          <h1>{gone ? "This video was removed" : "No such video"}</h1>
        </Layout>,
        gone ? 410 : 404,
      );
    }
    const { video, channel, captions } = found;
    const resources = await getCrisisResources(db);
    const page = `${config.publicUrl.origin}/${face}/${video.id}`;
    return c.html(
      <Layout
        title={`${video.title} — ${channel.displayName || channel.handle}`}
        head={<OpenGraph config={config} video={video} channelName={channel.handle} page={page} />}
      >
        <article>
          <h1>{video.title}</h1>
          <p>
            <a href={`/@${channel.handle}`}>{channel.displayName || channel.handle}</a>
            {video.publishedAt ? ` · ${video.publishedAt.toISOString().slice(0, 10)}` : ""}
          </p>
          <Gate warning={video.contentWarning}>
            <Player config={config} video={video} captions={captions} />
            <Transcript storage={deps.storage} video={video} captions={captions} />
          </Gate>
          {video.description.trim() ? (
            <section
              class="card"
              lang={video.language ?? undefined}
              dangerouslySetInnerHTML={{ __html: renderMarkdown(video.description) }}
            />
          ) : null}
          {video.tags.length > 0 ? <p>{video.tags.map((t) => `#${t}`).join(" ")}</p> : null}
          <RemoteFollowForm handle={channel.handle} host={config.publicUrl.host} />
          <CrisisResourcesBlock resources={resources} />
          <ShareLinks origin={config.publicUrl.origin} id={video.id} />
          <VideoComments db={db} videoId={video.id} />
          <ReportVideo videoId={video.id} />
        </article>
      </Layout>,
    );
  }

  app.get("/videos/:id", (c) => watchPage(c, "videos"));
  // The Note's URL in a browser: the same page, in place (not a redirect, whose
  // address a viewer would copy and paste into Mastodon, getting the Video).
  app.get("/notes/:id", (c) => watchPage(c, "notes"));

  /** What an oEmbed iframe shows: the player alone (behind the warning, if any). */
  app.get("/videos/:id/embed", async (c) => {
    const found = await published(c.req.param("id"));
    if (!found) return c.text("Not found", 404);
    c.header(
      "Content-Security-Policy",
      "default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors *",
    );
    return c.html(
      <html lang={found.video.language ?? "en"}>
        <head>
          <meta charset="utf-8" />
          <title>{found.video.title}</title>
        </head>
        <body style="margin:0;background:#000;color:#fff;font-family:sans-serif">
          <Gate warning={found.video.contentWarning}>
            <Player config={config} video={found.video} captions={found.captions} />
          </Gate>
        </body>
      </html>,
    );
  });

  app.get("/oembed", async (c) => {
    const url = c.req.query("url") ?? "";
    const format = c.req.query("format") ?? "json";
    if (format !== "json") return c.json({ error: "only format=json is supported" }, 501);
    const page = /^\/(?:videos|notes)\/([^/?#]+)/.exec(
      url.startsWith(config.publicUrl.origin) ? url.slice(config.publicUrl.origin.length) : "",
    );
    const id = page?.[1] ?? "";
    const found = await published(id);
    if (!found) return c.json({ error: "no such video" }, 404);
    const { video, channel } = found;
    const maxWidth = Number(c.req.query("maxwidth") ?? "") || 640;
    const width = Math.min(video.width ?? 640, maxWidth);
    const height = Math.round(width * ((video.height ?? 360) / (video.width ?? 640)));
    const embed = `${config.publicUrl.origin}/videos/${video.id}/embed`;
    return c.json({
      version: "1.0",
      type: "video",
      provider_name: "Haven",
      provider_url: config.publicUrl.origin,
      title: video.title,
      author_name: channel.displayName || channel.handle,
      author_url: `${config.publicUrl.origin}/@${channel.handle}`,
      width,
      height,
      html: `<iframe src="${embed}" width="${width}" height="${height}" frameborder="0" allowfullscreen sandbox="allow-scripts allow-same-origin"></iframe>`,
      ...(video.contentWarning || !video.posterKey
        ? {}
        : {
            thumbnail_url: mediaUrl(config, video.posterKey),
            thumbnail_width: video.width,
            thumbnail_height: video.height,
          }),
    });
  });

  return app;
}
