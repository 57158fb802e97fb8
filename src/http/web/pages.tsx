import { Hono } from "hono";
import { findActorByHandle } from "../../actors/actor.service.ts";
import {
  type Channel,
  countFollowers,
  findChannel,
  listChannels,
} from "../../channels/channel.service.ts";
import { getHideCounts, getSafetySettings } from "../../instance/instance-settings.ts";
import { listChannelVideos, type SupportVideo } from "../../videos/video.service.ts";
import { mediaUrl } from "../api/video-json.ts";
import type { HttpDeps } from "../deps.ts";
import { CrisisResourcesBlock } from "./help.tsx";
import { Layout } from "./layout.tsx";

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

/** `followers` is null when the instance hides counts from the public. */
function ChannelCard(props: {
  channel: Channel;
  host: string;
  followers: number | null;
  full?: boolean;
}) {
  const { channel, host } = props;
  const handle = `@${channel.handle}@${host}`;
  return (
    <section class="card">
      {channel.avatarUrl ? <img class="avatar" src={channel.avatarUrl} alt="" /> : null}
      <h2>
        <a href={`/@${channel.handle}`}>{channel.displayName || channel.handle}</a>
      </h2>
      <p>
        <code class="handle">{handle}</code>
        {props.followers === null ? "" : ` · ${props.followers} followers`}
        {channel.manuallyApprovesFollowers ? " · follow requests are reviewed" : ""}
      </p>
      {props.full ? (
        channel.summary.split(/\n{2,}/).map((p) => <p>{p}</p>)
      ) : (
        <p>{channel.summary.slice(0, 200)}</p>
      )}
      {props.full ? (
        <details open>
          <summary>How to follow from Mastodon or PeerTube</summary>
          <ol>
            <li>
              Copy the handle: <code class="handle">{handle}</code>
            </li>
            <li>Paste it into the search box of your Mastodon or PeerTube instance.</li>
            <li>Open the channel that appears and press Follow (or Subscribe).</li>
          </ol>
          <p>New videos then appear in your home timeline.</p>
        </details>
      ) : null}
    </section>
  );
}

export function webRoutes(deps: HttpDeps): Hono {
  const db = deps.database.db;
  const host = deps.config.publicUrl.host;
  const app = new Hono();

  /** Followers to show on a public page: none when counts are hidden. */
  const shownFollowers = async (hidden: boolean, channelId: string) =>
    hidden ? null : await countFollowers(db, channelId);

  app.get("/", async (c) => {
    const channels = await listChannels(db);
    const hidden = await getHideCounts(db);
    const cards = await Promise.all(
      channels.map(async (ch) => ({ ch, followers: await shownFollowers(hidden, ch.id) })),
    );
    return c.html(
      <Layout
        title={`Haven — ${host}`}
        description="Support videos about Borderline Personality Disorder"
      >
        <h1>Haven on {host}</h1>
        <p>
          Short support videos about Borderline Personality Disorder, from clinicians and people
          with lived experience. Follow a channel from Mastodon or PeerTube.
        </p>
        {cards.length === 0 ? <p>No channels yet.</p> : null}
        {cards.map(({ ch, followers }) => (
          <ChannelCard channel={ch} host={host} followers={followers} />
        ))}
      </Layout>,
    );
  });

  const profile = async (handle: string, before: Date | undefined) => {
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
    if (!page)
      return c.html(
        <Layout title="Not found">
          <h1>No such channel</h1>
        </Layout>,
        404,
      );
    return c.html(page);
  });
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
