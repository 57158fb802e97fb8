import { clip } from "./peertube-log.ts";

/** PeerTube's JSON: the assertions that read it check it, not the types. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any;

export interface ApiAnswer<T = Json> {
  readonly status: number;
  readonly body: T;
  /** "GET /api/v1/… → 404 {…}": for failure messages. */
  readonly summary: string;
}

/**
 * PeerTube's REST API (https://docs.joinpeertube.org/api-rest-reference.html),
 * as one user. Every answer keeps a one-line summary so a failed expectation
 * can say exactly what PeerTube answered.
 */
export class PeerTubeApi {
  constructor(
    readonly baseUrl: string,
    readonly token: string | null,
  ) {}

  async call<T = Json>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let payload: string | URLSearchParams | undefined;
    if (body instanceof URLSearchParams) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a caption file, an HTML error page): keep the text.
    }
    return {
      status: res.status,
      body: parsed as T,
      summary: `${method} ${path} → ${res.status} ${clip(text, 1200)}`,
    };
  }

  /** `call`, and throws with PeerTube's answer unless the status is 2xx. */
  async ok<T = Json>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.call<T>(method, path, body);
    if (answer.status < 200 || answer.status > 299) throw new Error(`PeerTube: ${answer.summary}`);
    return answer.body;
  }

  /** A new user (the caller must be an admin) and a PeerTube client for it. */
  async createUser(username: string, password: string): Promise<PeerTubeApi> {
    await this.ok("POST", "/api/v1/users", {
      username,
      password,
      email: `${username}@example.com`,
      role: 2, // User
      videoQuota: -1,
      videoQuotaDaily: -1,
    });
    const client = await this.ok("GET", "/api/v1/oauth-clients/local");
    const form = new URLSearchParams({
      client_id: client.client_id,
      client_secret: client.client_secret,
      grant_type: "password",
      response_type: "code",
      username,
      password,
    });
    const token = await new PeerTubeApi(this.baseUrl, null).ok("POST", "/api/v1/users/token", form);
    return new PeerTubeApi(this.baseUrl, token.access_token);
  }

  me() {
    return this.ok("GET", "/api/v1/users/me");
  }
  subscribe(uri: string) {
    return this.call("POST", "/api/v1/users/me/subscriptions", { uri });
  }
  subscriptions() {
    return this.call<{ total: number; data: Json[] }>(
      "GET",
      "/api/v1/users/me/subscriptions?count=100",
    );
  }
  subscriptionExists(handle: string) {
    return this.call<Record<string, boolean>>(
      "GET",
      `/api/v1/users/me/subscriptions/exist?uris=${encodeURIComponent(handle)}`,
    );
  }
  unsubscribe(handle: string) {
    return this.call("DELETE", `/api/v1/users/me/subscriptions/${encodeURIComponent(handle)}`);
  }
  searchChannels(search: string) {
    return this.call<{ total: number; data: Json[] }>(
      "GET",
      `/api/v1/search/video-channels?search=${encodeURIComponent(search)}`,
    );
  }
  searchVideos(search: string) {
    return this.call<{ total: number; data: Json[] }>(
      "GET",
      `/api/v1/search/videos?search=${encodeURIComponent(search)}`,
    );
  }
  channel(handle: string) {
    return this.call("GET", `/api/v1/video-channels/${encodeURIComponent(handle)}`);
  }
  channelVideos(handle: string) {
    return this.call<{ total: number; data: Json[] }>(
      "GET",
      `/api/v1/video-channels/${encodeURIComponent(handle)}/videos?count=100&sort=-publishedAt`,
    );
  }
  video(id: string | number) {
    return this.call("GET", `/api/v1/videos/${id}`);
  }
  captions(id: string | number) {
    return this.call<{ total: number; data: Json[] }>("GET", `/api/v1/videos/${id}/captions`);
  }
  /** A path PeerTube serves (a caption's `captionPath`), as a browser would fetch it. */
  async download(path: string): Promise<{ status: number; text: string; summary: string }> {
    const res = await fetch(`${this.baseUrl}${path}`);
    const text = await res.text();
    return { status: res.status, text, summary: `GET ${path} → ${res.status} ${clip(text, 300)}` };
  }
  commentThread(videoId: string | number, text: string) {
    return this.call("POST", `/api/v1/videos/${videoId}/comment-threads`, { text });
  }
  reply(videoId: string | number, commentId: number, text: string) {
    return this.call("POST", `/api/v1/videos/${videoId}/comments/${commentId}`, { text });
  }
  rate(videoId: string | number, rating: "like" | "dislike" | "none") {
    return this.call("PUT", `/api/v1/videos/${videoId}/rate`, { rating });
  }
  myRating(videoId: string | number) {
    return this.call("GET", `/api/v1/users/me/videos/${videoId}/rating`);
  }
}
