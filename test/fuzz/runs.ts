// How many cases a property runs: its full count in CI, where .ci/run sets PROPERTY_RUNS=full
// (passed to the workers project as a binding, vitest.config.ts), and at most DEFAULT_CAP in a
// plain `npm test`, which keeps every property above 10,000 cases where its full count is larger.
import { env } from "cloudflare:workers";

declare global {
  namespace Cloudflare {
    interface Env {
      /** Test-only: "full" for every property's full case count (CI). */
      PROPERTY_RUNS?: string;
    }
  }
}

export const DEFAULT_CAP = 12_000;

/** Whether this run uses the full counts. */
export const FULL_RUNS = env.PROPERTY_RUNS === "full";

/** The case count of a property whose full count is `full`. */
export function runs(full: number): number {
  return FULL_RUNS ? full : Math.min(full, DEFAULT_CAP);
}

/** A count as test names write it: 12,000. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}
