/**
 * Container detection from the first bytes of a file. The file name and the
 * client's Content-Type are never consulted: a renamed HTML page or ELF binary
 * must not pass as a video (Mastodon "TootRoot", CVE-2023-36460).
 */

export type VideoContainer = "mp4" | "quicktime" | "webm" | "matroska";
/** The ffmpeg demuxer to force with `-f` for a container (never let ffmpeg guess). */
export type FfmpegDemuxer = "mov" | "matroska";

export interface SniffResult {
  readonly container: VideoContainer;
  readonly mime: string;
  readonly demuxer: FfmpegDemuxer;
}

/** How many leading bytes `sniffContainer` wants to see (fewer only at end of file). */
export const SNIFF_BYTES = 4096;

const MIME: Record<VideoContainer, string> = {
  mp4: "video/mp4",
  quicktime: "video/quicktime",
  webm: "video/webm",
  matroska: "video/x-matroska",
};

function result(container: VideoContainer): SniffResult {
  const demuxer: FfmpegDemuxer =
    container === "webm" || container === "matroska" ? "matroska" : "mov";
  return { container, mime: MIME[container], demuxer };
}

export function sniffContainer(head: Uint8Array): SniffResult | null {
  if (head.length < 8) return null;
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    return sniffEbml(head);
  }
  return sniffIsoBmff(head);
}

// ---------------------------------------------------------------- ISO BMFF

/** ISO BMFF brands that announce a video file a browser-era MP4 demuxer reads. */
const MP4_BRANDS = new Set([
  "isom",
  "iso2",
  "iso3",
  "iso4",
  "iso5",
  "iso6",
  "iso7",
  "iso8",
  "iso9",
  "mp41",
  "mp42",
  "avc1",
  "dash",
  "M4V ",
  "M4VH",
  "M4VP",
  "mmp4",
  "msnv",
  "XAVC",
  "NDAS",
  "3gp4",
  "3gp5",
  "3gp6",
  "3gp7",
  "3gp8",
  "3gp9",
  "3g2a",
  "3g2b",
  "3g2c",
]);

/**
 * Still images and audio-only files share the ftyp box (HEIF/AVIF photos list
 * `iso8`/`mif1` as compatible brands); their major brand settles it.
 */
const NOT_VIDEO_MAJOR = new Set([
  "heic",
  "heix",
  "heim",
  "heis",
  "hevc",
  "hevx",
  "mif1",
  "msf1",
  "avif",
  "avis",
  "jp2 ",
  "jpx ",
  "crx ",
  "M4A ",
  "M4B ",
  "M4P ",
  "F4A ",
]);

/** Top-level boxes that old QuickTime files (no ftyp) start with. */
const QT_FIRST_BOXES = new Set(["moov", "mdat", "wide", "free", "skip", "pnot"]);

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);
}

function u32(b: Uint8Array, at: number): number {
  return (
    (((b[at] ?? 0) << 24) |
      ((b[at + 1] ?? 0) << 16) |
      ((b[at + 2] ?? 0) << 8) |
      (b[at + 3] ?? 0)) >>>
    0
  );
}

function sniffIsoBmff(head: Uint8Array): SniffResult | null {
  const size = u32(head, 0);
  const type = fourcc(head, 4);
  if (type === "ftyp") {
    // size(4) type(4) major(4) minor(4) compatible(4 × n)
    if (size < 16 || size > 1024 || size % 4 !== 0 || head.length < 12) return null;
    const major = fourcc(head, 8);
    if (major === "qt  ") return result("quicktime");
    if (NOT_VIDEO_MAJOR.has(major)) return null;
    if (MP4_BRANDS.has(major)) return result("mp4");
    const end = Math.min(size, head.length);
    let quicktime = false;
    for (let at = 16; at + 4 <= end; at += 4) {
      const brand = fourcc(head, at);
      if (MP4_BRANDS.has(brand)) return result("mp4");
      if (brand === "qt  ") quicktime = true;
    }
    return quicktime ? result("quicktime") : null;
  }
  if (!QT_FIRST_BOXES.has(type) || !plausibleBoxSize(head, 0, size)) return null;
  // Walk the boxes we can see: every one must be a known top-level QuickTime
  // box; a text file that happens to contain "wide" at offset 4 fails here.
  let at = 0;
  let sawMedia = type === "moov" || type === "mdat";
  while (at + 8 <= head.length) {
    const boxSize = u32(head, at);
    const boxType = fourcc(head, at + 4);
    if (!QT_FIRST_BOXES.has(boxType) && boxType !== "ftyp") return null;
    if (!plausibleBoxSize(head, at, boxSize)) return null;
    if (boxType === "moov" || boxType === "mdat") sawMedia = true;
    if (boxSize === 0 || boxSize === 1) break; // to end of file / 64-bit size: stop looking
    at += boxSize;
  }
  return sawMedia || at + 8 > head.length ? result("quicktime") : null;
}

function plausibleBoxSize(head: Uint8Array, at: number, size: number): boolean {
  if (size === 0) return true; // box extends to end of file
  if (size === 1) return at + 16 <= head.length ? u32(head, at + 8) < 0x100 : true;
  return size >= 8;
}

// ---------------------------------------------------------------- EBML

/** Reads an EBML variable-length integer; `keepMarker` for element ids. */
function readVint(
  b: Uint8Array,
  at: number,
  keepMarker: boolean,
): { value: number; length: number } | null {
  const first = b[at];
  if (first === undefined || first === 0) return null;
  let length = 1;
  while (length <= 8 && (first & (0x80 >> (length - 1))) === 0) length++;
  if (length > 8 || at + length > b.length) return null;
  let value = keepMarker ? first : first & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + (b[at + i] ?? 0);
  return { value, length };
}

const EBML_DOCTYPE = 0x4282;

function sniffEbml(head: Uint8Array): SniffResult | null {
  const headerSize = readVint(head, 4, false);
  if (!headerSize) return null;
  let at = 4 + headerSize.length;
  const end = Math.min(head.length, at + headerSize.value);
  while (at < end) {
    const id = readVint(head, at, true);
    if (!id) return null;
    const size = readVint(head, at + id.length, false);
    if (!size) return null;
    const dataAt = at + id.length + size.length;
    if (id.value === EBML_DOCTYPE) {
      if (size.value > 32 || dataAt + size.value > head.length) return null;
      const docType = String.fromCharCode(...head.subarray(dataAt, dataAt + size.value)).replace(
        /\0+$/,
        "",
      );
      if (docType === "webm") return result("webm");
      if (docType === "matroska") return result("matroska");
      return null;
    }
    at = dataAt + size.value;
  }
  return null;
}
