import { connect, type Socket } from "node:net";

/**
 * A minimal HTTP/1.1 keep-alive client on a raw socket. Node's `http` client
 * costs more CPU per request than the servers we measure spend; on a 2-core
 * box that would be taken from Haven. This one writes prepared request
 * bytes and parses only the status line, the headers and the body framing
 * (Content-Length or chunked). No pipelining: one request per connection at
 * a time.
 */

export interface RawResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  bodyLength: number;
  /** The body, when the request asked for it to be kept. */
  body: Buffer | null;
}

export interface RequestOptions {
  /** Keep the body (small responses only). */
  capture?: boolean;
  /** Every body chunk with its offset in the body, as it arrives. */
  onBody?: (chunk: Buffer, offset: number) => void;
}

export function buildRequest(
  method: string,
  path: string,
  host: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`];
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== "host") lines.push(`${name}: ${value}`);
  }
  const bytes = body === undefined ? undefined : Buffer.from(body);
  if (bytes !== undefined) lines.push(`Content-Length: ${bytes.length}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return bytes === undefined ? head : Buffer.concat([head, bytes]);
}

const CRLF2 = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");

type Phase = "idle" | "head" | "length" | "chunk-size" | "chunk-data" | "chunk-crlf" | "trailer";

interface Active {
  options: RequestOptions;
  resolve(res: RawResponse): void;
  reject(e: Error): void;
  response: RawResponse | null;
  parts: Buffer[];
  keepAlive: boolean;
}

export class HttpConnection {
  #socket: Socket | null = null;
  #phase: Phase = "idle";
  #pending: Buffer | null = null;
  #remaining = 0;
  #active: Active | null = null;

  constructor(
    readonly host: string,
    readonly port: number,
    /** Local address to connect from (several loopback clients look like several hosts). */
    readonly localAddress?: string,
  ) {}

  get socket(): Socket | null {
    return this.#socket;
  }

  async open(): Promise<void> {
    if (this.#socket && !this.#socket.destroyed) return;
    const socket = connect({
      host: this.host,
      port: this.port,
      localAddress: this.localAddress,
      noDelay: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    socket.removeAllListeners("error");
    socket.on("data", (chunk: Buffer) => this.#feed(chunk));
    // Events of a socket this connection already replaced are ignored.
    socket.on("error", (e) => {
      if (this.#socket === socket) this.#fail(e);
    });
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#fail(new Error("connection closed by the server"));
    });
    this.#socket = socket;
  }

  async request(raw: Buffer, options: RequestOptions = {}): Promise<RawResponse> {
    if (this.#active) throw new Error("request already in flight on this connection");
    await this.open();
    return new Promise<RawResponse>((resolve, reject) => {
      this.#active = { options, resolve, reject, response: null, parts: [], keepAlive: true };
      this.#phase = "head";
      this.#pending = null;
      this.#socket!.write(raw);
    });
  }

  /** Hangs up; a request in flight fails. */
  close(): void {
    if (this.#active) this.#fail(new Error("closed by the client"));
    this.#socket?.destroy();
    this.#socket = null;
  }

  #fail(e: Error): void {
    const active = this.#active;
    if (!active) return;
    this.#active = null;
    this.#phase = "idle";
    this.#socket?.destroy();
    this.#socket = null;
    active.reject(e);
  }

  #finish(): void {
    const active = this.#active!;
    const response = active.response!;
    if (active.options.capture) response.body = Buffer.concat(active.parts);
    this.#active = null;
    this.#phase = "idle";
    this.#pending = null;
    if (!active.keepAlive) this.close();
    active.resolve(response);
  }

  #deliver(chunk: Buffer): void {
    const active = this.#active!;
    const response = active.response!;
    active.options.onBody?.(chunk, response.bodyLength);
    if (active.options.capture) active.parts.push(chunk);
    response.bodyLength += chunk.length;
  }

  #feed(input: Buffer): void {
    let chunk = input;
    while (chunk.length > 0 && this.#active) {
      switch (this.#phase) {
        case "head": {
          const buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
          const end = buf.indexOf(CRLF2);
          if (end < 0) {
            this.#pending = buf;
            return;
          }
          this.#pending = null;
          this.#parseHead(buf.subarray(0, end).toString("latin1"));
          chunk = buf.subarray(end + 4);
          if ((this.#phase as Phase) === "idle") return; // answered without a body
          break;
        }
        case "length": {
          const n = Math.min(this.#remaining, chunk.length);
          this.#deliver(chunk.subarray(0, n));
          this.#remaining -= n;
          chunk = chunk.subarray(n);
          if (this.#remaining === 0) {
            this.#finish();
            return;
          }
          break;
        }
        case "chunk-size":
        case "trailer": {
          const buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
          const eol = buf.indexOf(CRLF);
          if (eol < 0) {
            this.#pending = buf;
            return;
          }
          this.#pending = null;
          const line = buf.subarray(0, eol).toString("latin1");
          chunk = buf.subarray(eol + 2);
          if (this.#phase === "trailer") {
            if (line === "") {
              this.#finish();
              return;
            }
            break;
          }
          const size = Number.parseInt(line.split(";")[0]!.trim(), 16);
          if (!Number.isFinite(size) || size < 0) {
            this.#fail(new Error(`bad chunk size line: ${JSON.stringify(line)}`));
            return;
          }
          if (size === 0) this.#phase = "trailer";
          else {
            this.#phase = "chunk-data";
            this.#remaining = size;
          }
          break;
        }
        case "chunk-data": {
          const n = Math.min(this.#remaining, chunk.length);
          this.#deliver(chunk.subarray(0, n));
          this.#remaining -= n;
          chunk = chunk.subarray(n);
          if (this.#remaining === 0) {
            this.#phase = "chunk-crlf";
            this.#remaining = 2;
          }
          break;
        }
        case "chunk-crlf": {
          const n = Math.min(this.#remaining, chunk.length);
          this.#remaining -= n;
          chunk = chunk.subarray(n);
          if (this.#remaining === 0) this.#phase = "chunk-size";
          break;
        }
        default:
          this.#fail(new Error("data from the server while no request was in flight"));
          return;
      }
    }
  }

  #parseHead(text: string): void {
    const active = this.#active!;
    const lines = text.split("\r\n");
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
    if (!match) {
      this.#fail(new Error(`bad status line: ${JSON.stringify(lines[0])}`));
      return;
    }
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const status = Number(match[1]);
    active.response = { status, headers, bodyLength: 0, body: null };
    active.keepAlive = (headers.connection ?? "").toLowerCase() !== "close";
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      this.#finish();
    } else if ((headers["transfer-encoding"] ?? "").toLowerCase().includes("chunked")) {
      this.#phase = "chunk-size";
    } else if (headers["content-length"] !== undefined) {
      this.#remaining = Number(headers["content-length"]);
      if (this.#remaining === 0) this.#finish();
      else this.#phase = "length";
    } else {
      this.#fail(new Error(`response ${status} without Content-Length or chunked framing`));
    }
  }
}
