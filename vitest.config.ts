import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: "workers" runs inside workerd (unit and integration tests of the worker,
// against a real origin server started by the global setup); "node" runs in Node (real
// Chromium and wrangler dev over http and https).
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: { ORIGIN: inject("originUrl"), ORIGIN_TIMEOUT_MS: "1500", ORIGIN_BODY_IDLE_MS: "1500" },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/browser/**", "test/e2e/**"],
          globalSetup: ["test/setup/origin.global.ts"],
        },
      },
      {
        test: {
          name: "node",
          include: ["test/browser/**/*.test.ts", "test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
