import type { ByteRange, MediaStat } from "../../media/storage.ts";

/**
 * The HTTP decisions for serving one stored media file — status, headers and
 * the byte range — kept apart from how the bytes are sent.
 */
export interface MediaResponsePlan {
  readonly status: 200 | 206 | 304 | 416;
  readonly headers: Record<string, string>;
  /** Bytes to send; null for no body (304, 416, HEAD is the caller's business). */
  readonly range: ByteRange | null;
}

const TYPES: Record<string, string> = {
  mp4: "video/mp4",
  webm: "video/webm",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  vtt: "text/vtt; charset=utf-8",
};

/**
 * Headers every media answer carries. Uploaded bytes are served as inert
 * data: never an ActivityPub or HTML type (Mastodon CVE-2024-25623), no
 * sniffing, and a sandboxing CSP in case a browser renders one anyway.
 */
export function baseMediaHeaders(key: string): Record<string, string> {
  const extension = key.slice(key.lastIndexOf(".") + 1);
  const type = key.includes(".") ? TYPES[extension] : undefined;
  const headers: Record<string, string> = {
    "content-type": type ?? "application/octet-stream",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "access-control-allow-origin": "*",
    // Web players read ranges through fetch/XHR and need to see these.
    "access-control-expose-headers": "Content-Length, Content-Range, Accept-Ranges, ETag",
    "cross-origin-resource-policy": "cross-origin",
    "accept-ranges": "bytes",
  };
  if (!type) headers["content-disposition"] = "attachment";
  return headers;
}

export interface PlanRequest {
  readonly range?: string | null;
  readonly ifNoneMatch?: string | null;
  readonly ifModifiedSince?: string | null;
  readonly ifRange?: string | null;
}

export function planMediaResponse(
  key: string,
  file: MediaStat,
  request: PlanRequest,
): MediaResponsePlan {
  // Keys are content-unique and files are written once (rename into place),
  // so size + mtime identify the bytes: a strong validator, which If-Range
  // requires for resumed downloads.
  const etag = `"${file.size.toString(16)}-${Math.floor(file.mtime.getTime()).toString(16)}"`;
  const lastModified = file.mtime.toUTCString();
  const headers = baseMediaHeaders(key);
  headers.etag = etag;
  headers["last-modified"] = lastModified;
  headers["cache-control"] = "public, max-age=31536000, immutable";

  if (notModified(request, etag, file.mtime)) return { status: 304, headers, range: null };

  const size = file.size;
  const range =
    request.range && ifRangeHolds(request.ifRange, etag, lastModified)
      ? parseRange(request.range, size)
      : null;
  if (range === "unsatisfiable") {
    headers["content-range"] = `bytes */${size}`;
    headers["content-length"] = "0";
    return { status: 416, headers, range: null };
  }
  if (range) {
    headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
    headers["content-length"] = String(range.end - range.start + 1);
    return { status: 206, headers, range };
  }
  headers["content-length"] = String(size);
  return { status: 200, headers, range: size === 0 ? null : { start: 0, end: size - 1 } };
}

function notModified(request: PlanRequest, etag: string, mtime: Date): boolean {
  if (request.ifNoneMatch) {
    // Weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
    return request.ifNoneMatch
      .split(",")
      .map((tag) => tag.trim().replace(/^W\//, ""))
      .some((tag) => tag === "*" || tag === etag);
  }
  if (request.ifModifiedSince) {
    const since = Date.parse(request.ifModifiedSince);
    return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since;
  }
  return false;
}

function ifRangeHolds(
  ifRange: string | null | undefined,
  etag: string,
  lastModified: string,
): boolean {
  if (!ifRange) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith("W/")) return value === etag; // strong only
  return value === lastModified;
}

/**
 * One `bytes=` range → the inclusive range, "unsatisfiable", or null to serve
 * the whole file (no/odd syntax, or several ranges: a full 200 is a valid
 * answer and spares us multipart/byteranges).
 */
export function parseRange(header: string, size: number): ByteRange | "unsatisfiable" | null {
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return "unsatisfiable";
  if (last !== "" && Number(last) < start) return null; // invalid: ignore Range
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}
