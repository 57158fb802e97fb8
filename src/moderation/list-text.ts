import { fail, type ModerationResult, success } from "./errors.ts";

/**
 * Blocklists are text: Mastodon's CSV export, its JSON, or one domain per
 * line. A binary file read as text still splits into "lines", and a few of
 * them pass as domains (a PNG chunk name is a valid one-label "TLD"), so
 * what is not UTF-8 text is refused as a whole rather than parsed.
 */
export function decodeListBytes(bytes: Uint8Array): ModerationResult<string> {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return fail(
      "unsupported_media_type",
      "the list is UTF-16 text; save it as UTF-8 (spreadsheet programs call it “CSV UTF-8”)",
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail(
      "unsupported_media_type",
      `the list is not UTF-8 text (byte ${firstInvalidByte(bytes)} is not valid UTF-8): is this a binary file?`,
    );
  }
  const checked = checkListText(text);
  return checked.ok ? success(text) : checked;
}

/** Tab, line feed, form feed, carriage return: what text files contain of C0. */
const ALLOWED_CONTROL = new Set([0x09, 0x0a, 0x0c, 0x0d]);

/** The same refusal for text that arrived already decoded (a JSON `csv` field, the CLI). */
export function checkListText(text: string): ModerationResult<true> {
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0a) line++;
    if (code === 0) {
      return fail(
        "unsupported_media_type",
        `the list contains NUL bytes (line ${line}): this is a binary file, not a text blocklist`,
      );
    }
    if ((code < 0x20 && !ALLOWED_CONTROL.has(code)) || code === 0x7f) {
      return fail(
        "unsupported_media_type",
        `the list contains the control character 0x${code.toString(16).padStart(2, "0")} (line ${line}): this is not a text blocklist`,
      );
    }
  }
  return success(true);
}

/** 1-based offset of the first byte that breaks UTF-8, for the message. */
function firstInvalidByte(bytes: Uint8Array): number {
  // Bisect on prefixes: log₂(n) attempts, no hand-written UTF-8 rules. `stream`
  // lets a prefix end inside a valid multi-byte character.
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const mid = (good + bad) >> 1;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      good = mid;
    } catch {
      bad = mid;
    }
  }
  return bad;
}
