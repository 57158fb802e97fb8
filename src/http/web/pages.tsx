import { type Context, Hono } from "hono";
import { findActorByHandle } from "../../actors/actor.service.ts";
import { countFollowers, findChannel } from "../../channels/channel.service.ts";
import { getSafetySettings } from "../../instance/instance-settings.ts";
import type { SafeFetch } from "../../net/safe-fetch.ts";
import { listChannelVideos, type SupportVideo } from "../../videos/video.service.ts";
import { mediaUrl } from "../api/video-json.ts";
import { type Fields, readFields } from "../body.ts";
import type { HttpDeps } from "../deps.ts";
import { ChannelCard } from "./channel-card.tsx";
import { CrisisResourcesBlock } from "./help.tsx";
import { homeRoutes } from "./home.tsx";
import { Layout } from "./layout.tsx";
import { type FollowFormState, RemoteFollowForm, remoteFollow } from "./remote-follow.tsx";

function VideoList(props: { videos: SupportVideo[]; deps: HttpDeps; handle: string }) {
  const { videos, deps } = props;
  if (videos.length === 0) return <p>No videos yet.</p>;
  const last = videos.at(-1);
  return (
    <section>
      <h2>Videos</h2>
      {videos.map((v) => (
        <article class="card">
          <a href={`/videos/${v.id}`}>
            {v.posterKey && !v.contentWarning ? (
              <img
                src={mediaUrl(deps.config, v.posterKey) ?? ""}
                alt=""
                width="160"
                style="float:left;margin-right:1rem;border-radius:.4rem"
              />
            ) : null}
            <h3>{v.title}</h3>
          </a>
          {v.contentWarning ? (
            <p>
              <strong>Content warning:</strong> {v.contentWarning}
            </p>
          ) : null}
          <p>{v.publishedAt?.toISOString().slice(0, 10)}</p>
          <div style="clear:both" />
        </article>
      ))}
      {videos.length === PAGE_SIZE && last ? (
        <p>
          <a href={`/@${props.handle}?before=${encodeURIComponent(last.createdAt.toISOString())}`}>
            Older videos →
          </a>
        </p>
      ) : null}
    </section>
  );
}

const PAGE_SIZE = 20;

const notFound = (c: Context) =>
  c.html(
    <Layout title="Not found">
      <h1>No such channel</h1>
    </Layout>,
    404,
  );

/** `safeFetch`: the fetcher every remote lookup goes through (remote follow's WebFinger). */
export function webRoutes(deps: HttpDeps & { safeFetch: SafeFetch }): Hono {
  const db = deps.database.db;
  const host = deps.config.publicUrl.host;
  const app = new Hono();

  /** Followers to show on a public page: none when counts are hidden. */
  const shownFollowers = async (hidden: boolean, channelId: string) =>
    hidden ? null : await countFollowers(db, channelId);

  app.route("/", homeRoutes(deps));

  const profile = async (handle: string, before: Date | undefined, follow?: FollowFormState) => {
    const channel = await findChannel(db, handle);
    if (channel) {
      const settings = await getSafetySettings(db);
      const followers = await shownFollowers(settings.hideCounts, channel.id);
      const videos = await listChannelVideos(db, channel.id, { limit: PAGE_SIZE, before });
      return (
        <Layout
          title={`${channel.displayName || channel.handle} — Haven`}
          description={channel.summary.slice(0, 200)}
          head={
            <link
              rel="alternate"
              type="application/activity+json"
              href={`${deps.config.publicUrl.origin}/users/${channel.handle}`}
            />
          }
        >
          <ChannelCard channel={channel} host={host} followers={followers} full />
          <RemoteFollowForm handle={channel.handle} host={host} state={follow} />
          <CrisisResourcesBlock resources={settings.crisisResources} />
          <VideoList videos={videos} deps={deps} handle={channel.handle} />
        </Layout>
      );
    }
    const actor = await findActorByHandle(db, handle);
    if (actor?.kind === "person") {
      return (
        <Layout title={`${actor.displayName || actor.handle} — Haven`}>
          <section class="card">
            <h2>{actor.displayName || actor.handle}</h2>
            <p>
              <code class="handle">
                @{actor.handle}@{host}
              </code>
            </p>
          </section>
        </Layout>
      );
    }
    return null;
  };

  app.get("/:at{@[A-Za-z0-9_]+}", async (c) => {
    const beforeRaw = c.req.query("before");
    const before = beforeRaw ? new Date(beforeRaw) : undefined;
    const page = await profile(
      c.req.param("at").slice(1).toLowerCase(),
      before && !Number.isNaN(before.getTime()) ? before : undefined,
    );
    if (!page) return notFound(c);
    return c.html(page);
  });
  // "Follow from your instance": a redirect to the visitor's own server, or
  // the channel page again with the form's error.
  app.post("/:at{@[A-Za-z0-9_]+}/remote-follow", async (c) => {
    const handle = c.req.param("at").slice(1).toLowerCase();
    const channel = await findChannel(db, handle);
    if (!channel) return notFound(c);
    // One short field: a bigger or unreadable body is read as an empty form (400 below).
    const form = await readFields(c, 16 * 1024).catch(() => ({}) as Fields);
    const input = typeof form.instance === "string" ? form.instance : "";
    const outcome = await remoteFollow(
      deps.safeFetch,
      input,
      `${deps.config.publicUrl.origin}/users/${channel.handle}`,
      deps.config.allowPrivateAddress,
    );
    if ("redirect" in outcome) return c.redirect(outcome.redirect, 303);
    const page = await profile(handle, undefined, outcome.state);
    return page ? c.html(page, outcome.status) : notFound(c);
  });
  // A reload of the refused form's address lands on the form.
  app.get("/:at{@[A-Za-z0-9_]+}/remote-follow", (c) =>
    c.redirect(`/${c.req.param("at")}#follow`, 303),
  );
  // Browsers that open an actor id land on the profile page; an unknown
  // handle is a 404 here already (servers asking for JSON see no redirect).
  app.get("/users/:handle", async (c) => {
    const handle = c.req.param("handle");
    if (!(await findActorByHandle(db, handle.toLowerCase()))) {
      return c.html(
        <Layout title="Not found">
          <h1>No such account</h1>
        </Layout>,
        404,
      );
    }
    return c.redirect(`/@${handle}`, 302);
  });
  return app;
}
