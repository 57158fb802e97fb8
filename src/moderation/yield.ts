/**
 * Lets the event loop run (timers, sockets, other requests) before going on.
 * Needed between the steps of long admin work: embedded PGlite answers
 * awaited queries without ever returning to the event loop (2,000 queries
 * in a row let no timer fire), so without it a 50,000-line import would
 * hold every other request until it finished.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
