/**
 * A counting semaphore. `acquire()` resolves with a release function that
 * may be called any number of times (only the first call counts), so a
 * permit can be handed back early and again in a `finally`.
 */
export class Permits {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(count: number) {
    if (!(count >= 1)) throw new RangeError("at least one permit");
    this.#free = count;
  }

  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}
