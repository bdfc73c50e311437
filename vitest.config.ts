import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

// The real schema, applied to the tests' local D1 by test/d1-setup.ts (miniflare's D1, not a mock).
const migrations = await readD1Migrations({ projectPath: import.meta.dirname });

// The order the test files start in. Vitest's default puts files it has no timing for (a fresh
// clone, as in CI) largest first, which started the three small tracking-matrix files last: with
// about two minutes each, the run waited on them at its end. The longest files start first here,
// the rest keep vitest's order; with at most four files at once the run ends when the longest
// wave does. Measured in a full run (npm test, 2 cores): see docs/testing.md.
/** The files known to take longest in a full run (docs/testing.md), longest first. */
const LONGEST = [/\/report-analytics\.test\.ts$/, /\/tracking-matrix-[^/]*\.test\.ts$/, /\/check-deploy\.test\.ts$/, /\/languages\.test\.ts$/, /\/report\.test\.ts$/];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((re) => re.test(f.moduleId));
      return i < 0 ? LONGEST.length : i;
    };
    // Array.prototype.sort is stable: files of the same rank keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

// Two projects: "workers" runs inside workerd (unit and integration tests of the worker,
// against a real origin server started by the global setup); "node" runs in Node (real
// Chromium and wrangler dev over http and https, and the operator's scripts).
export default defineConfig({
  test: {
    // Up to four test files at once, across both projects (vitest's default on 2 cores is one):
    // the browser suites mostly wait on Chromium, wrangler dev and spawned wrangler commands
    // (a full run at three kept the two cores 55 % busy), the workers files use the CPU.
    maxWorkers: 4,
    // The longest files first (LongestFirst above), whatever timings vitest has cached.
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ORIGIN: inject("originUrl"),
                ORIGIN_TIMEOUT_MS: "1500",
                ORIGIN_BODY_IDLE_MS: "1500",
                CSP_REPORT_SAMPLE: "1",
                // "full" in CI (.ci/run): every property test's full case count (test/fuzz/runs.ts).
                PROPERTY_RUNS: process.env.PROPERTY_RUNS ?? "",
                TEST_MIGRATIONS: migrations,
                // The consent record's HMAC key in the worker under test (test/helpers.ts signs with env.CONSENT_SECRET).
                CONSENT_SECRET: "test-only-consent-secret-binding-0123456789",
              },
              // DB comes from wrangler.toml; each store test file writes to a database of its own, so that
              // counts are exact whatever the other files write, and one database is never migrated.
              // The policy source's tests push to a namespace of their own, never the worker's POLICY_KV.
              kvNamespaces: { POLICY_TEST_KV: "policy-test" },
              d1Databases: { RECORDS_TEST_DB: "records-test", RETENTION_TEST_DB: "retention-test", INVENTORY_TEST_DB: "inventory-test", IDLE_FLUSH_TEST_DB: "idle-flush-test", QUEUE_TEST_DB: "queue-test", UNMIGRATED_DB: "unmigrated" },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          // Property tests run thousands of cases: give them room on a slow or shared CI machine
          // (one took 5.2 s, past vitest's 5 s default, with the machine's load at 10).
          testTimeout: 30_000,
          exclude: ["test/browser/**", "test/e2e/**", "test/scripts/**"],
          globalSetup: ["test/setup/origin.global.ts"],
          setupFiles: ["test/d1-setup.ts"],
          // One workerd (miniflare) per vitest worker, shared by the files it runs, instead of one
          // started per file (about 4 s each, most of this project's time). Files therefore share
          // the worker's per-isolate state; a file that needs it fresh re-imports the worker after
          // vi.resetModules() (test/inventory/inventory.test.ts).
          isolate: false,
        },
      },
      {
        test: {
          name: "node",
          include: ["test/browser/**/*.test.ts", "test/e2e/**/*.test.ts", "test/scripts/**/*.test.ts"],
          environment: "node",
          // The browser suites' stacks and Chromium, started once per run on first use and shared.
          globalSetup: ["test/browser/broker.global.ts"],
          // Scripts and browsers run three files at a time on two cores: room for a loaded machine.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
