import { isAbsolute, resolve } from "node:path";
import type { ImageDemuxer } from "./image-sniff.ts";
import type { FfmpegDemuxer } from "./sniff.ts";

/**
 * Input options that let ffmpeg/ffprobe open exactly one local file:
 * - `-protocol_whitelist file`: no http, tcp, concat, data, subfile … even if the
 *   file's contents name them (HLS/concat playlists are the classic SSRF and
 *   local-file-read vector);
 * - `-f <demuxer>`: the demuxer we sniffed, never ffmpeg's guess (a "video"
 *   that is really an m3u8 or ffconcat list is read as MP4/Matroska and fails);
 * - `-enable_drefs 0`: QuickTime data references to other files stay unopened
 *   (already the default; stated so a future default cannot change it);
 * - a `file:` URL, so a name starting with a protocol or `-` means nothing.
 */
export function safeInputArgs(
  path: string,
  demuxer: FfmpegDemuxer | ImageDemuxer,
  threads?: number,
): string[] {
  return [
    ...(threads === undefined ? [] : ["-threads", String(threads)]),
    "-protocol_whitelist",
    "file",
    "-f",
    demuxer,
    ...(demuxer === "mov" ? ["-enable_drefs", "0"] : []),
    "-i",
    fileUrl(path),
  ];
}

/** Output target: always a `file:` URL of an absolute path. */
export function fileUrl(path: string): string {
  return `file:${isAbsolute(path) ? path : resolve(path)}`;
}

/** ffmpeg's global options for unattended runs (ffprobe takes the same minus -nostdin). */
export function ffmpegGlobalArgs(): string[] {
  return ["-nostdin", "-hide_banner", "-v", "error"];
}

/** The last few lines of ffmpeg's stderr, for logs. */
export function stderrTail(stderr: string, lines = 5): string {
  return stderr.trim().split("\n").slice(-lines).join("\n");
}
