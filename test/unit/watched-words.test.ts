import { describe, expect, test } from "vitest";
import { buildWatchedWordMatcher, watchedWordKey } from "../../src/comments/watched-words.ts";

describe("watched words", () => {
  const m = buildWatchedWordMatcher(["kill", "end it all", "it all ends", "Self-Harm"]);

  test("whole words only, any case, any separator in a phrase", () => {
    expect(m.firstMatch(["skill and killer"])).toBeNull();
    expect(m.firstMatch(["I want to KILL"])).toBe("kill");
    expect(m.firstMatch(["thinking about self harm"])).toBe("Self-Harm");
    expect(m.firstMatch(["self—harm again"])).toBe("Self-Harm");
  });

  test("look-alike and invisible characters do not hide a word", () => {
    expect(m.firstMatch(["ｋｉｌｌ"])).toBe("kill"); // fullwidth
    expect(m.firstMatch(["ki\u200Bll"])).toBe("kill"); // zero-width space
    expect(m.firstMatch(["k\u00ADi\u200Dl\uFE0Fl"])).toBe("kill"); // soft hyphen, ZWJ, VS16
    expect(m.firstMatch(["\u202Ekill\u202C"])).toBe("kill"); // bidi override
    expect(m.firstMatch(["𝐤𝐢𝐥𝐥"])).toBe("kill"); // mathematical bold
  });

  test("overlapping phrases (the failure links) are found", () => {
    expect(m.firstMatch(["so I end it all ends here"])).toBe("end it all");
    expect(m.firstMatch(["then it all ends"])).toBe("it all ends");
    const overlap = buildWatchedWordMatcher(["a b c d", "b c"]);
    expect(overlap.firstMatch(["a b c x"])).toBe("b c");
  });

  test("later texts (content warning, alt text) are searched too", () => {
    expect(m.firstMatch(["fine", "", "an image of kill"])).toBe("kill");
  });

  test("keys normalise spellings to one entry; an empty word has no key", () => {
    expect(watchedWordKey("ＥＮＤ  It-all")).toBe("end it all");
    expect(watchedWordKey(" -- ")).toBe("");
  });

  test("linear: a 1 MB reply against 2,000 phrases sharing prefixes scans in one pass", () => {
    const words = Array.from({ length: 2000 }, (_, i) => `a a a a w${i}`);
    const matcher = buildWatchedWordMatcher(words);
    // Every position extends a partial match: a naive per-position scan would be quadratic-ish.
    const text = "a ".repeat(500_000);
    expect(matcher.firstMatch([text])).toBeNull();
    expect(matcher.firstMatch([`${text}w1999`])).toBe("a a a a w1999");
  });
});
