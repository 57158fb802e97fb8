import { serveRpc } from "./rpc.ts";

/**
 * S9's prober, in its own process so that the orchestrator parsing a 50,000
 * entry preview does not delay (and so inflate) the waits it measures.
 * Sends a GET every `everyMs`, open loop: each on time whether or not the
 * previous one answered, so a stalled server shows as long waits.
 */
let timer: NodeJS.Timeout | null = null;
let waits: number[] = [];
let failures: string[] = [];
const pending = new Set<Promise<void>>();

serveRpc({
  start(args: { url: string; token: string; everyMs: number }) {
    waits = [];
    failures = [];
    timer = setInterval(() => {
      const started = performance.now();
      const p = fetch(args.url, { headers: { Authorization: `Bearer ${args.token}` } })
        .then(async (res) => {
          await res.arrayBuffer();
          if (!res.ok) failures.push(`HTTP ${res.status}`);
        })
        .catch((e: Error) => void failures.push(e.message))
        .finally(() => {
          waits.push(performance.now() - started);
          pending.delete(p);
        });
      pending.add(p);
    }, args.everyMs);
  },
  async stop() {
    if (timer) clearInterval(timer);
    await Promise.all(pending);
    return { waits, failures };
  },
});
