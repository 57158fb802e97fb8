/**
 * The pieces the inbox reads before dispatch: when a request was signed (draft-cavage `Date`,
 * RFC 9421 `created` as Fedify signs it) and the ActivityStreams context an activity lacks.
 */
import { generateKeyPairSync } from "node:crypto";
import { signRequest } from "@fedify/fedify";
import { describe, expect, test } from "vitest";
import {
  lacksActivityStreamsContext,
  withActivityStreamsContext,
} from "../../federation/http/default-context.ts";
import { signatureTime } from "../../federation/http/signature-time.ts";

const AS = "https://www.w3.org/ns/activitystreams";

describe("signatureTime", () => {
  test("draft-cavage: the Date header; RFC 9421: `created` of Signature-Input", async () => {
    const date = "Tue, 07 May 2024 10:00:05 GMT";
    expect(signatureTime(new Headers({ Date: date }))).toBe(Date.parse(date));
    expect(signatureTime(new Headers({ Date: "not a date" }))).toBeNull();

    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const key = await crypto.subtle.importKey(
      "pkcs8",
      privateKey.export({ format: "der", type: "pkcs8" }),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      true,
      ["sign"],
    );
    const signed = await signRequest(
      new Request("https://haven.example/inbox", { method: "POST", body: "{}" }),
      key,
      new URL("https://remote.example/users/a#main-key"),
      { spec: "rfc9421", currentTime: Temporal.Instant.from("2024-05-07T10:00:09Z") },
    );
    expect(signatureTime(signed.headers)).toBe(Date.parse("2024-05-07T10:00:09Z"));
    expect(signatureTime(new Headers({ "Signature-Input": 'sig1=();keyid="k"' }))).toBeNull();
  });
});

describe("the ActivityStreams context", () => {
  test("kept where present in any spelling; put first where missing or absent", () => {
    for (const context of [AS, `${AS}#`, "http://www.w3.org/ns/activitystreams", [AS, {}]]) {
      expect(lacksActivityStreamsContext({ "@context": context })).toBe(false);
    }
    const cases: [unknown, unknown][] = [
      [undefined, AS],
      [null, AS],
      [[], AS],
      ["https://w3id.org/security/v1", [AS, "https://w3id.org/security/v1"]],
      [[{ toot: "http://joinmastodon.org/ns#" }], [AS, { toot: "http://joinmastodon.org/ns#" }]],
    ];
    for (const [context, expected] of cases) {
      const activity =
        context === undefined ? { type: "Like" } : { "@context": context, type: "Like" };
      expect(withActivityStreamsContext(activity)).toEqual({ "@context": expected, type: "Like" });
    }
    const plain = { "@context": AS, type: "Like" };
    expect(withActivityStreamsContext(plain)).toBe(plain);
  });
});
