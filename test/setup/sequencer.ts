// The order the test files start in. Vitest's default puts files it has no timing for (a fresh
// clone, as in CI) largest first, which started the three small tracking-matrix files last: with
// about two minutes each, the run waited on them at its end. The longest files start first here,
// the rest keep vitest's order; with at most four files at once the run ends when the longest
// wave does. Measured in a full run (npm test, 2 cores): see docs/testing.md.
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** The files known to take longest in a full run (docs/testing.md), longest first. */
const LONGEST = [/\/report-analytics\.test\.ts$/, /\/tracking-matrix-[^/]*\.test\.ts$/, /\/check-deploy\.test\.ts$/, /\/languages\.test\.ts$/, /\/report\.test\.ts$/];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((re) => re.test(f.moduleId));
      return i < 0 ? LONGEST.length : i;
    };
    return sorted
      .map((f, i) => ({ f, i, r: rank(f) }))
      .sort((a, b) => a.r - b.r || a.i - b.i)
      .map((x) => x.f);
  }
}
