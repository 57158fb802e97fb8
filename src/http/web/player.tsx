import type { Config } from "../../config.ts";
import type { MediaStorage } from "../../media/storage.ts";
import { DEFAULT_MAX_CAPTION_BYTES } from "../../media/webvtt.ts";
import { formatCueTime, parseWebVttCues, type TranscriptCue } from "../../media/webvtt-cues.ts";
import type { SupportVideo, VideoCaption } from "../../videos/video.service.ts";
import { mediaUrl } from "../api/video-json.ts";

/**
 * Of a screen's height, how much the player may take: a 9:16 clip filmed on a
 * phone then fits with its title above it, instead of a page-tall player
 * whose controls are below the fold.
 */
const PLAYER_MAX_VH = 80;

/** "English" for `en`; the code itself when the runtime does not know it. */
export function languageLabel(code: string): string {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * The caption track on by default: the one in the video's own language, else
 * the first. Captions are on by default where present (WCAG 1.2.2; most
 * viewers of short clips watch them muted).
 */
export function defaultCaption(
  video: SupportVideo,
  captions: readonly VideoCaption[],
): VideoCaption | undefined {
  const lang = video.language?.toLowerCase().split("-")[0];
  return (
    captions.find((c) => lang !== undefined && c.language.toLowerCase().split("-")[0] === lang) ??
    captions[0]
  );
}

/**
 * The player's size, from the stored dimensions: as wide as the column allows
 * but never taller than PLAYER_MAX_VH of the viewport, in the video's own
 * aspect ratio (so the box is right before any byte of video arrives).
 */
export function playerStyle(width: number | null, height: number | null): string {
  if (!width || !height) return `max-width:100%;max-height:${PLAYER_MAX_VH}vh`;
  const ratio = Math.round((width / height) * 10_000) / 10_000;
  return `aspect-ratio:${width} / ${height};width:min(100%, calc(${PLAYER_MAX_VH}vh * ${ratio}));height:auto;max-height:${PLAYER_MAX_VH}vh`;
}

export function Player(props: { config: Config; video: SupportVideo; captions: VideoCaption[] }) {
  const { config, video, captions } = props;
  const on = defaultCaption(video, captions);
  return (
    // biome-ignore lint/a11y/useMediaCaption: caption <track>s are added below when the creator uploaded any
    <video
      class="player"
      controls
      playsinline
      preload={video.contentWarning ? "none" : "metadata"}
      poster={video.contentWarning ? undefined : (mediaUrl(config, video.posterKey) ?? undefined)}
      width={video.width ?? undefined}
      height={video.height ?? undefined}
      style={playerStyle(video.width, video.height)}
    >
      <source src={mediaUrl(config, video.mediaKey) ?? ""} type="video/mp4" />
      {captions.map((c) => (
        <track
          kind="captions"
          srclang={c.language}
          label={languageLabel(c.language)}
          src={mediaUrl(config, c.mediaKey) ?? ""}
          default={c === on}
        />
      ))}
    </video>
  );
}

async function readCaption(storage: MediaStorage, key: string): Promise<string | null> {
  try {
    const info = await storage.stat(key);
    // Stored captions were checked against this cap on upload; a bigger file is not ours.
    if (!info || info.size > DEFAULT_MAX_CAPTION_BYTES) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of storage.createReadStream(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  } catch {
    return null; // a missing file costs the transcript, not the page
  }
}

function Cues(props: { cues: TranscriptCue[]; lang: string }) {
  return (
    <ol class="cues" lang={props.lang}>
      {props.cues.map((cue) => (
        <li>
          <span class="cue-time">{formatCueTime(cue.start)}</span> {cue.text}
        </li>
      ))}
    </ol>
  );
}

/**
 * The captions as text below the player: for a viewer who cannot or would
 * rather not play the video, and for search and translation tools. One list
 * per language, the default track's open.
 */
export async function Transcript(props: {
  storage: MediaStorage;
  video: SupportVideo;
  captions: VideoCaption[];
}) {
  const on = defaultCaption(props.video, props.captions);
  const parts = [];
  for (const caption of props.captions) {
    const text = await readCaption(props.storage, caption.mediaKey);
    const cues = text === null ? [] : parseWebVttCues(text);
    if (cues.length > 0) parts.push({ caption, cues });
  }
  if (parts.length === 0) return null;
  return (
    <section class="card transcript" aria-labelledby="transcript-heading">
      <h2 id="transcript-heading">Transcript</h2>
      {parts.map(({ caption, cues }) =>
        parts.length === 1 ? (
          <Cues cues={cues} lang={caption.language} />
        ) : (
          <details open={caption === on}>
            <summary>{languageLabel(caption.language)}</summary>
            <Cues cues={cues} lang={caption.language} />
          </details>
        ),
      )}
    </section>
  );
}
