/**
 * Polls until `check` returns a value other than undefined. On timeout the
 * error says what was awaited and what was last seen (`explain`), so a
 * failure shows what the peer actually did.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; explain?: () => Promise<string> } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      lastError = null;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) break;
    await sleep(options.intervalMs ?? 500);
  }
  const seen = options.explain
    ? await options.explain().catch((e) => `(explain failed: ${e})`)
    : "";
  const err = lastError
    ? `\nlast error: ${lastError instanceof Error ? lastError.message : String(lastError)}`
    : "";
  throw new Error(`timed out waiting for ${what}${err}${seen ? `\n${seen}` : ""}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
