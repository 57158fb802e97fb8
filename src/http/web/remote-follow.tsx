import type { SafeFetch } from "../../net/safe-fetch.ts";
import { parseRemoteInstance, resolveRemoteFollow } from "../../remote/remote-follow.ts";

/** What the form shows again after a refused attempt. */
export interface FollowFormState {
  readonly value: string;
  readonly error: string;
}

const HINT = "Your account, like you@mastodon.social, or just your server, like mastodon.social.";

/**
 * "Follow from your instance": a plain form (no JavaScript) that sends the
 * visitor to their own server's follow page, with the handle to copy as the
 * fallback for servers that have none. It changes nothing on Haven, so it
 * needs no CSRF token: a forged submission only redirects its own sender.
 */
export function RemoteFollowForm(props: {
  handle: string;
  host: string;
  state?: FollowFormState | undefined;
}) {
  const { handle, state } = props;
  const full = `@${handle}@${props.host}`;
  const describedBy = state ? "remote-instance-error remote-instance-hint" : "remote-instance-hint";
  return (
    <section class="card" id="follow" aria-labelledby="follow-heading">
      <h2 id="follow-heading">Follow from your instance</h2>
      <p>
        On Mastodon, PeerTube or another fediverse server, new videos then reach your home feed.
      </p>
      <form method="post" action={`/@${handle}/remote-follow`} class="follow-form">
        <label for="remote-instance">Your instance</label>
        <p id="remote-instance-hint" class="hint">
          {HINT}
        </p>
        {state ? (
          <p id="remote-instance-error" class="error" role="alert">
            {state.error}
          </p>
        ) : null}
        <div class="row">
          <input
            id="remote-instance"
            name="instance"
            type="text"
            inputmode="url"
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            required
            value={state?.value ?? ""}
            aria-describedby={describedBy}
            aria-invalid={state ? "true" : undefined}
          />
          <button type="submit">Follow</button>
        </div>
      </form>
      <details>
        <summary>Or follow by hand</summary>
        <ol>
          <li>
            Copy the handle: <code class="handle">{full}</code>
          </li>
          <li>Paste it into the search box of your Mastodon or PeerTube instance.</li>
          <li>Open the channel that appears and press Follow (or Subscribe).</li>
        </ol>
      </details>
    </section>
  );
}

export type RemoteFollowOutcome =
  | { readonly redirect: string }
  | { readonly status: 400 | 502; readonly state: FollowFormState };

/**
 * The form's answer: where to send the browser (303), or the message to show
 * with the form again. Bad input is the visitor's to fix (400); a server that
 * does not answer is not (502).
 */
export async function remoteFollow(
  safeFetch: SafeFetch,
  input: string,
  actorUri: string,
  allowHttp: boolean,
): Promise<RemoteFollowOutcome> {
  const value = input.trim().slice(0, 300);
  if (value === "") {
    return { status: 400, state: { value, error: `Enter your instance. ${HINT}` } };
  }
  const instance = parseRemoteInstance(value);
  if (!instance) {
    return {
      status: 400,
      state: { value, error: `"${value}" is not an instance address. ${HINT}` },
    };
  }
  const result = await resolveRemoteFollow(safeFetch, instance, actorUri, { allowHttp });
  if (result.ok) return { redirect: result.url };
  if (result.error === "private") {
    return {
      status: 400,
      state: {
        value,
        error: `${instance.host} is a private or local network address, which Haven does not contact. Enter your fediverse server's public name.`,
      },
    };
  }
  return {
    status: 502,
    state: {
      value,
      error: `Haven could not reach ${instance.host}. Check the spelling, or follow by hand with the handle below.`,
    },
  };
}
