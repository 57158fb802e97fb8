import { readFile, stat } from "node:fs/promises";
import { fail, type MediaResult, ok } from "./media-error.ts";

/** Captions are short text files; 1 MiB holds hours of cues. */
export const DEFAULT_MAX_CAPTION_BYTES = 1024 * 1024;

export interface WebVttOptions {
  readonly maxBytes?: number;
}

/**
 * Checks that bytes are a WebVTT file: UTF-8 (an optional BOM), starting with
 * the `WEBVTT` signature followed by a space, tab or line break, within the
 * size cap, and free of NUL bytes. Returns the text without its BOM.
 * Browsers render cue text as text (no HTML), so no further sanitising is needed
 * beyond serving it as `text/vtt` with `nosniff`.
 */
export function validateWebVtt(
  bytes: Uint8Array,
  options: WebVttOptions = {},
): MediaResult<string> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CAPTION_BYTES;
  if (bytes.byteLength === 0) return fail("invalid_captions", 422, "The captions file is empty.");
  if (bytes.byteLength > maxBytes) {
    return fail(
      "invalid_captions",
      422,
      `The captions file is larger than ${Math.floor(maxBytes / 1024)} KiB.`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return fail("invalid_captions", 422, "The captions file is not UTF-8 text.");
  }
  if (!/^WEBVTT(?:[ \t\r\n]|$)/.test(text)) {
    return fail(
      "invalid_captions",
      422,
      'The captions file is not WebVTT: it must start with the line "WEBVTT".',
    );
  }
  if (text.includes("\0")) {
    return fail("invalid_captions", 422, "The captions file contains NUL bytes.");
  }
  return ok(text);
}

/** `validateWebVtt` for a staged file, reading no more than the cap. */
export async function validateWebVttFile(
  path: string,
  options: WebVttOptions = {},
): Promise<MediaResult<string>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CAPTION_BYTES;
  const info = await stat(path);
  if (info.size > maxBytes) {
    return fail(
      "invalid_captions",
      422,
      `The captions file is larger than ${Math.floor(maxBytes / 1024)} KiB.`,
    );
  }
  return validateWebVtt(await readFile(path), options);
}
