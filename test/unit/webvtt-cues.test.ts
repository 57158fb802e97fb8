import { expect, test } from "vitest";
import { formatCueTime, parseWebVttCues } from "../../src/media/webvtt-cues.ts";

test("cues in file order, as plain text; header, NOTE, STYLE and bad timings skipped", () => {
  const vtt = [
    "\uFEFFWEBVTT - a title",
    "Kind: captions",
    "",
    "STYLE",
    "::cue { color: yellow }",
    "",
    "NOTE not shown",
    "",
    "intro",
    "00:00:01.500 --> 00:00:03.000 line:0",
    "<v.loud Sam>Hello</v> <c.red>there</c>,",
    "<b>friend</b> &lt;3 &amp; more",
    "",
    "99:xx.000 --> 00:01.000",
    "broken timing",
    "",
    "01:02:03.004 --> 01:02:04.000",
    "late <00:00:01.000>karaoke",
    "",
    "00:05.000 --> 00:06.000",
    "",
  ].join("\r\n");
  expect(parseWebVttCues(vtt)).toEqual([
    { start: 1.5, text: "Hello there, friend <3 & more" },
    { start: 3723.004, text: "late karaoke" },
  ]);
});

test("times as players show them", () => {
  expect(formatCueTime(0)).toBe("0:00");
  expect(formatCueTime(65.9)).toBe("1:05");
  expect(formatCueTime(3723.004)).toBe("1:02:03");
});
