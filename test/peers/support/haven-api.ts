import { readFile } from "node:fs/promises";
import type { Json } from "./peertube-api.ts";
import { clip } from "./peertube-log.ts";
import { waitFor } from "./wait.ts";

/** Haven's REST API as a channel owner uses it. */
export class HavenApi {
  constructor(
    readonly origin: string,
    readonly token: string,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json; summary: string }> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.origin}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // keep the text
    }
    return {
      status: res.status,
      body: parsed,
      summary: `Haven: ${method} ${path} → ${res.status} ${clip(text, 800)}`,
    };
  }

  async ok(method: string, path: string, body?: unknown): Promise<Json> {
    const answer = await this.call(method, path, body);
    if (answer.status < 200 || answer.status > 299) throw new Error(answer.summary);
    return answer.body;
  }

  /** A real upload (multipart, as the web form sends it), waited for until published. */
  async publishVideo(
    file: string,
    fields: Record<string, string>,
    captions: Record<string, string>,
  ): Promise<HavenVideo> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    form.set("file", new Blob([await readFile(file)]), "clip.mp4");
    for (const [language, vtt] of Object.entries(captions)) {
      form.set(`captions[${language}]`, new Blob([vtt], { type: "text/vtt" }), `${language}.vtt`);
    }
    const accepted = await this.ok("POST", "/api/v1/videos", form);
    return waitFor(
      `Haven to publish the upload "${fields.title}"`,
      async () => {
        const v = await this.ok("GET", `/api/v1/videos/${accepted.id}`);
        if (v.state === "failed") throw new Error(`processing failed: ${v.failure_reason}`);
        return v.state === "published" ? (v as HavenVideo) : undefined;
      },
      { timeoutMs: 120_000 },
    );
  }
}

export interface HavenVideo {
  id: string;
  url: string;
  title: string;
  captions: { language: string; url: string }[];
}

/** A WebVTT file whose cue names its language and video, to tell captions apart. */
export function vtt(text: string): string {
  return `WEBVTT\n\n00:00.000 --> 00:01.500\n${text}\n`;
}
