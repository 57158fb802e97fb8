import type { Delivery, InboxAttempt } from "./types.ts";

type Waiter = { predicate: (d: Delivery) => boolean; resolve: (d: Delivery) => void };

/** Every inbox POST a fake remote received, and a way to wait for one. */
export class DeliveryLog {
  readonly attempts: InboxAttempt[] = [];
  readonly deliveries: Delivery[] = [];
  private waiters = new Set<Waiter>();
  private attemptCounter = 0;

  constructor(private readonly label: string) {}

  /** 1 for the first inbox POST since start (or since `clear()`), 2 for the next… */
  nextAttemptNumber(): number {
    return ++this.attemptCounter;
  }

  recordAttempt(attempt: InboxAttempt): void {
    this.attempts.push(attempt);
  }

  record(delivery: Delivery): void {
    this.deliveries.push(delivery);
    for (const waiter of this.waiters) {
      if (waiter.predicate(delivery)) {
        this.waiters.delete(waiter);
        waiter.resolve(delivery);
      }
    }
  }

  /**
   * Resolves with the first delivery (already received or still to come) matching `predicate`.
   * Rejects after `timeoutMs` (default 30 s) listing everything that arrived.
   */
  waitFor(
    predicate: (delivery: Delivery) => boolean,
    { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
  ): Promise<Delivery> {
    const existing = this.deliveries.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (delivery) => {
          clearTimeout(timer);
          resolve(delivery);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `${this.label}: no matching delivery within ${timeoutMs} ms.\n${this.summary()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  summary(): string {
    if (this.attempts.length === 0) return "Nothing arrived at any inbox.";
    const lines = this.attempts.map((a) => {
      const delivery = this.deliveries.find((d) => d.attemptNumber === a.attemptNumber);
      const what = delivery?.body
        ? `${String(delivery.body.type)} ${String(delivery.body.id)} by ${String(delivery.body.actor)}`
        : a.raw.slice(0, 80);
      const verdict = delivery
        ? delivery.verified
          ? "verified"
          : `NOT verified (${delivery.reason}: ${delivery.detail})`
        : "injected";
      return `  #${a.attemptNumber} POST ${a.path} → ${a.status ?? "hanging"} [${verdict}] ${what}`;
    });
    return `Arrived (${this.attempts.length}):\n${lines.join("\n")}`;
  }

  clear(): void {
    this.attempts.length = 0;
    this.deliveries.length = 0;
    this.attemptCounter = 0;
  }
}
