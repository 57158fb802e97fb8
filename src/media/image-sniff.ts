/**
 * Still-image type from the first bytes, as `sniff.ts` does for videos: the
 * file name and the client's Content-Type are never consulted (an HTML page
 * named avatar.png is not an image — Mastodon "TootRoot", CVE-2023-36460).
 */

export type ImageFormat = "png" | "jpeg" | "gif" | "webp";
/** The ffmpeg demuxer to force with `-f` for a format (never let ffmpeg guess). */
export type ImageDemuxer = "png_pipe" | "jpeg_pipe" | "gif" | "webp_pipe";

export interface ImageSniff {
  readonly format: ImageFormat;
  readonly demuxer: ImageDemuxer;
}

const DEMUXER: Record<ImageFormat, ImageDemuxer> = {
  png: "png_pipe",
  jpeg: "jpeg_pipe",
  gif: "gif",
  webp: "webp_pipe",
};

const ascii = (b: Uint8Array, at: number, length: number) =>
  String.fromCharCode(...b.subarray(at, at + length));

export function sniffImage(head: Uint8Array): ImageSniff | null {
  const is = (format: ImageFormat) => ({ format, demuxer: DEMUXER[format] });
  if (head.length < 12) return null;
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.every((byte, i) => head[i] === byte)) return is("png");
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return is("jpeg");
  const gif = ascii(head, 0, 6);
  if (gif === "GIF87a" || gif === "GIF89a") return is("gif");
  if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 4) === "WEBP") return is("webp");
  return null;
}
