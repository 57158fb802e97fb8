import { request } from "node:http";
import type { HttpResult } from "./types.ts";

export interface HttpRequestOptions {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Responses larger than this are cut off with an error (Mastodon reads at most 1 MB). */
  maxBytes?: number;
}

/**
 * A plain node:http request. Used instead of fetch so a test can send exactly the headers it
 * signed (fetch would rewrite Host). No redirects are followed; http only (loopback tests).
 */
export function httpRequest(options: HttpRequestOptions): Promise<HttpResult> {
  const url = new URL(options.url);
  if (url.protocol !== "http:") return Promise.reject(new Error(`only http: URLs: ${url.href}`));
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method,
        headers: {
          ...(options.body !== undefined
            ? { "Content-Length": String(Buffer.byteLength(options.body)) }
            : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy(new Error(`response from ${url.href} exceeds ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined)
              headers[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy(new Error(`${options.method} ${url.href} timed out after ${timeoutMs} ms`));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Mastodon's rule (CVE-2024-25623): only these media types are ActivityPub. */
export function isActivityPubContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [type, ...params] = value.split(";").map((part) => part.trim().toLowerCase());
  if (type === "application/activity+json") return true;
  return (
    type === "application/ld+json" &&
    params.some((p) => p.replace(/\s/g, "") === 'profile="https://www.w3.org/ns/activitystreams"')
  );
}
