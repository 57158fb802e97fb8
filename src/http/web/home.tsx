import { Hono } from "hono";
import { countFollowers, listChannels } from "../../channels/channel.service.ts";
import { getSafetySettings } from "../../instance/instance-settings.ts";
import type { HttpDeps } from "../deps.ts";
import { ChannelCard } from "./channel-card.tsx";
import { CrisisResourcesBlock } from "./help.tsx";
import { Layout } from "./layout.tsx";

/** What an instance without INSTANCE_DESCRIPTION says about itself. */
const DEFAULT_DESCRIPTION =
  "Short support videos about Borderline Personality Disorder, from clinicians and people with lived experience.";

/**
 * The front page for anyone: what this instance is (INSTANCE_NAME and
 * INSTANCE_DESCRIPTION, as NodeInfo tells other servers), where to get help
 * now, and its channels.
 */
export function homeRoutes(deps: HttpDeps): Hono {
  const db = deps.database.db;
  const { config } = deps;
  const host = config.publicUrl.host;
  const app = new Hono();

  app.get("/", async (c) => {
    const [channels, settings] = await Promise.all([listChannels(db), getSafetySettings(db)]);
    const cards = await Promise.all(
      channels.map(async (ch) => ({
        ch,
        followers: settings.hideCounts ? null : await countFollowers(db, ch.id),
      })),
    );
    const description = config.instanceDescription || DEFAULT_DESCRIPTION;
    return c.html(
      <Layout title={config.instanceName} description={description}>
        <h1>{config.instanceName}</h1>
        <p>{description}</p>
        <p>
          A Haven instance: follow any channel from Mastodon, PeerTube or another fediverse server.
        </p>
        <CrisisResourcesBlock resources={settings.crisisResources} />
        <section aria-labelledby="channels-heading">
          <h2 id="channels-heading">Channels</h2>
          {cards.length === 0 ? <p>No channels yet.</p> : null}
          {cards.map(({ ch, followers }) => (
            <ChannelCard channel={ch} host={host} followers={followers} nested />
          ))}
        </section>
      </Layout>,
    );
  });
  return app;
}
