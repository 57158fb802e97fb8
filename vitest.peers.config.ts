import { defineConfig } from "vitest/config";

/**
 * `npm run test:peers`: Haven against a real PeerTube given in the
 * environment (PEERTUBE_URL, PEERTUBE_TOKEN, PEERTUBE_LOG; README). Not part
 * of `npm test`: CI has no PeerTube. One file at a time: the tests share one
 * Haven on a fixed address and one PeerTube.
 */
export default defineConfig({
  test: {
    include: ["test/peers/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    // Real federation with pauses that mimic a user (keep-alive): minutes, not seconds.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: "forks",
    fileParallelism: false,
    maxWorkers: 1,
  },
});
