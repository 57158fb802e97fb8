import { expect, test } from "vitest";
import type { SafeFetch } from "../../src/net/safe-fetch.ts";
import { SafeFetchError } from "../../src/net/safe-fetch-error.ts";
import { parseRemoteInstance, resolveRemoteFollow } from "../../src/remote/remote-follow.ts";

test.each([
  ["mastodon.social", "mastodon.social", "acct:mastodon.social@mastodon.social"],
  ["  @alice@Mastodon.Social ", "mastodon.social", "acct:alice@mastodon.social"],
  ["alice@mastodon.social", "mastodon.social", "acct:alice@mastodon.social"],
  ["https://mastodon.social/home", "mastodon.social", "acct:mastodon.social@mastodon.social"],
  ["bücher.example", "xn--bcher-kva.example", "acct:xn--bcher-kva.example@xn--bcher-kva.example"],
  ["127.0.0.2:4000", "127.0.0.2:4000", "acct:127.0.0.2:4000@127.0.0.2:4000"],
  ["tube.example:443", "tube.example", "acct:tube.example@tube.example"],
])("%j → %s", (input, host, acct) => {
  expect(parseRemoteInstance(input)).toEqual({ host, acct });
});

test.each([
  "",
  "localhost",
  "mastodon",
  "1234",
  "not a domain",
  "a b@example.com",
  "example.com/path",
  "example.com?x",
  "user:pw@example.com",
  "-bad.example",
  "example..com",
  "example.com:99999",
])("%j is not an instance", (input) => {
  expect(parseRemoteInstance(input)).toBeNull();
});

/** A network that answers every WebFinger with `body` (status 200). */
function answering(body: unknown): SafeFetch {
  const f = async (input: string | URL) => ({
    response: Response.json(body),
    url: String(input),
    redirects: 0,
  });
  return Object.assign(f, { validate: async () => {}, close: () => {} });
}

const instance = { host: "social.example", acct: "acct:social.example@social.example" };
const uri = "https://haven.example/users/calm";

test("the template gets the encoded URI, wherever {uri} sits", async () => {
  const fetcher = answering({
    links: [
      { rel: "self", href: "https://social.example/actor" },
      {
        rel: "http://ostatus.org/schema/1.0/subscribe",
        template: "https://social.example/authorize-follow?acct={uri}",
      },
    ],
  });
  expect(await resolveRemoteFollow(fetcher, instance, uri, { allowHttp: false })).toEqual({
    ok: true,
    via: "template",
    url: `https://social.example/authorize-follow?acct=${encodeURIComponent(uri)}`,
  });
});

test.each([
  ["javascript:alert(1)//{uri}"],
  ["data:text/html,{uri}"],
  ["http://social.example/authorize_interaction?uri={uri}"],
  ["https://social.example/no-placeholder"],
])("an unusable template %j: the authorize_interaction fallback on https", async (template) => {
  const fetcher = answering({
    links: [{ rel: "http://ostatus.org/schema/1.0/subscribe", template }],
  });
  expect(await resolveRemoteFollow(fetcher, instance, uri, { allowHttp: false })).toEqual({
    ok: true,
    via: "fallback",
    url: `https://social.example/authorize_interaction?uri=${encodeURIComponent(uri)}`,
  });
});

test("refused addresses are the visitor's error; no answer at all is 'unreachable'", async () => {
  const failing = (code: "private-address" | "dns"): SafeFetch =>
    Object.assign(
      async (input: string | URL) => {
        throw new SafeFetchError(code, String(input), "refused");
      },
      { validate: async () => {}, close: () => {} },
    );
  expect(
    await resolveRemoteFollow(failing("private-address"), instance, uri, { allowHttp: false }),
  ).toEqual({ ok: false, error: "private" });
  expect(await resolveRemoteFollow(failing("dns"), instance, uri, { allowHttp: true })).toEqual({
    ok: false,
    error: "unreachable",
  });
});
