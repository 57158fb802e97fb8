import type { Channel } from "../../channels/channel.service.ts";

/** `followers` is null when the instance hides counts from the public. */
export function ChannelCard(props: {
  channel: Channel;
  host: string;
  followers: number | null;
  full?: boolean;
  /** Under a "Channels" heading (the home page): an h3. */
  nested?: boolean;
}) {
  const { channel, host } = props;
  const handle = `@${channel.handle}@${host}`;
  return (
    <section class="card">
      {channel.avatarUrl ? <img class="avatar" src={channel.avatarUrl} alt="" /> : null}
      {props.nested ? (
        <h3>
          <a href={`/@${channel.handle}`}>{channel.displayName || channel.handle}</a>
        </h3>
      ) : (
        <h2>
          <a href={`/@${channel.handle}`}>{channel.displayName || channel.handle}</a>
        </h2>
      )}
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
    </section>
  );
}
