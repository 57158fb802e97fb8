/** One cue of a WebVTT file, as a transcript shows it. */
export interface TranscriptCue {
  /** Seconds from the start of the video. */
  readonly start: number;
  readonly text: string;
}

/** `hh:mm:ss.ttt` or `mm:ss.ttt` (WebVTT's two timestamp forms). */
const TIMESTAMP = /^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})$/;
/** Cue text may carry markup (`<v Speaker>`, `<i>`, `<00:01.000>`); a transcript wants the words. */
const CUE_TAG = /<[^>]*>/g;
const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&nbsp;": "\u00a0",
  "&lrm;": "\u200e",
  "&rlm;": "\u200f",
};

function seconds(stamp: string): number | null {
  const m = TIMESTAMP.exec(stamp);
  if (!m) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
}

/**
 * The cues of a (validated) WebVTT text, in file order, as plain text.
 * Blocks without a `-->` timing line (the header, NOTE, STYLE and REGION
 * blocks) are skipped; a cue whose timing does not parse is skipped rather
 * than failing the page that shows the transcript.
 */
export function parseWebVttCues(vtt: string): TranscriptCue[] {
  const cues: TranscriptCue[] = [];
  const blocks = vtt.replace(/\r\n?/g, "\n").split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split("\n");
    const timing = lines.findIndex((l) => l.includes("-->"));
    if (timing < 0) continue;
    const start = seconds((lines[timing] ?? "").split("-->")[0]?.trim() ?? "");
    if (start === null) continue;
    const text = lines
      .slice(timing + 1)
      .map((l) =>
        l.replace(CUE_TAG, "").replace(/&(?:amp|lt|gt|nbsp|lrm|rlm);/g, (e) => ENTITIES[e] ?? e),
      )
      .join(" ")
      .replace(/\s+/g, " ")
      .trim();
    if (text) cues.push({ start, text });
  }
  return cues;
}

/** `m:ss` (or `h:mm:ss`), as players show a position. */
export function formatCueTime(totalSeconds: number): string {
  const s = Math.floor(totalSeconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
