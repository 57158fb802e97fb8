import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // The real-PeerTube suite runs only on demand: `npm run test:peers`.
    exclude: [...configDefaults.exclude, "test/peers/**"],
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/setup.ts"],
    // `expect.poll` waits for a condition (a queued activity handled, a row
    // stored); its 1 s default is a guess at speed that a loaded 2-core CI
    // machine misses. Waiting longer costs nothing when the condition holds.
    expect: { poll: { timeout: 15_000, interval: 50 } },
    // Generous bounds for a hung test: several tests start `haven` processes
    // (tsx compiles on start), which takes seconds idle and a minute or more
    // on a loaded CI machine. Correct tests finish long before.
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 4,
  },
});
