import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Two projects: the sans-I/O core, the checker and the simulator run in plain Node; the Worker and its acceptor
// Durable Objects run inside workerd.
export default defineConfig({
  test: {
    // One file at a time. Two at once took the suite from 664 s to about 500 s on this 2-core machine, but three of
    // five such runs failed a timing-bound test (a crash test's restarts, a watch's rechecks on a test clock): the
    // files that drive workerd and wrangler in real time need the machine to themselves.
    maxWorkers: 1,
    // The Worker logs one JSON line per request (src/http/request-log.ts); keep them out of test output.
    onConsoleLog: (log) => !log.startsWith('{"msg":"request"'),
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/core/**/*.test.ts", "test/http/**/*.test.ts", "test/collector/**/*.test.ts", "test/lin/**/*.test.ts", "test/sim/**/*.test.ts", "test/client/**/*.test.ts", "test/console/**/*.test.ts", "test/cli/**/*.test.ts", "test/package/**/*.test.ts"],
        },
      },
      {
        // Whole-process crashes of `wrangler dev` (SIGKILL and restart, several times a test): each restart bundles
        // and boots workerd, which a busy machine slows several-fold. They run last, one at a time, alone.
        test: {
          name: "crash",
          environment: "node",
          include: ["test/crash/**/*.test.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // Short timeouts so failure tests finish quickly.
              bindings: { BALLOT_ROUND_TIMEOUT_MS: "250", BALLOT_DEADLINE_MS: "1500" },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          setupFiles: ["test/workers/setup.ts"],
        },
      },
    ],
  },
});
