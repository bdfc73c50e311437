// Decision cost: consent parsing plus the Set-Cookie keep/strip decision for one response,
// timed in Node on the pure modules bundled by esbuild (the same source the worker bundles).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { benchSetCookies } from "../origin.mjs";

export const FULL_CONSENT =
  "%7B%22ga%22%3Atrue%2C%22matomo%22%3Atrue%2C%22xiti%22%3Atrue%2C%22at%22%3Atrue%2C%22timestamp%22%3A1700000000000%7D";

const MODULES = ["src/consent/parse.ts", "src/cookies/decide.ts", "src/policy/index.ts"];

/** 5 lines: 3 statistics, 2 necessary. 50 lines: the 8 realistic lines, renamed variants and unknown cookies. */
export function decisionInputs(now = Date.now()) {
  const eight = benchSetCookies(now);
  const five = [eight[0], eight[1], eight[2], eight[4], eight[6]];
  const fifty = [];
  for (let i = 0; fifty.length < 50; i++) {
    const line = eight[i % 8];
    const round = Math.floor(i / 8);
    if (round === 0) fifty.push(line);
    else if (i % 2 === 0) fifty.push(line.replace(/^_ga_BENCH1=/, `_ga_BENCH${round + 1}=`).replace(/^_pk_id\.1\.abcd=/, `_pk_id.${round + 1}.abcd=`));
    else fifty.push(`tracker_${i}=v${i}; Expires=${new Date(now + 86_400_000).toUTCString()}; Path=/; SameSite=None; Secure`);
  }
  return { 5: five, 50: fifty };
}

/** Bundles the pure modules for Node; undefined (with a reason) when they do not exist yet. */
async function loadModules(root, workDir) {
  const missing = MODULES.filter((m) => !fs.existsSync(path.join(root, m)));
  if (missing.length) return { reason: `not written yet: ${missing.join(", ")}` };
  const { build } = await import("esbuild");
  const outfile = path.join(workDir, "decision.mjs");
  try {
    await build({
      stdin: {
        contents: MODULES.map((m, i) => `export * as m${i} from "./${m}";`).join("\n"),
        resolveDir: root,
        loader: "ts",
        sourcefile: "bench-decision-entry.ts",
      },
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node22",
      outfile,
      logLevel: "silent",
    });
  } catch (e) {
    return { reason: `esbuild failed: ${String(e.message).split("\n").slice(0, 3).join(" ")}` };
  }
  const mod = await import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
  const { parseConsent } = mod.m0;
  const { filterSetCookies } = mod.m1;
  const { POLICIES } = mod.m2;
  if (typeof parseConsent !== "function" || typeof filterSetCookies !== "function" || typeof POLICIES?.byId !== "function")
    return { reason: "parseConsent, filterSetCookies or POLICIES.byId not exported" };
  const policy = POLICIES.byId("maia");
  if (!policy) return { reason: 'POLICIES.byId("maia") is undefined' };
  return { parseConsent, filterSetCookies, policy };
}

const text = (x) => (typeof x === "string" ? x : JSON.stringify(x));

/** Median µs per response over batches; bounded to ~`budgetMs` and `maxIterations`. */
function time(fn, { budgetMs = 3000, maxIterations = 200_000 } = {}) {
  let sink = 0;
  // Warm-up (JIT) and calibration.
  let t = performance.now();
  let warm = 0;
  while (warm < 20_000 && performance.now() - t < 500) sink += fn(), warm++;
  const perIter = (performance.now() - t) / warm;
  const batch = Math.max(100, Math.min(20_000, Math.round(50 / perIter)));
  const samples = [];
  const start = performance.now();
  let done = 0;
  while (done < maxIterations && (samples.length < 5 || performance.now() - start < budgetMs) && performance.now() - start < budgetMs * 3) {
    t = performance.now();
    for (let i = 0; i < batch; i++) sink += fn();
    samples.push(((performance.now() - t) * 1000) / batch);
    done += batch;
  }
  samples.sort((a, b) => a - b);
  return { us: samples[samples.length >> 1], iterations: done, batches: samples.length, sink };
}

/**
 * Times parseConsent + filterSetCookies for 5 and 50 lines, with no consent and with full consent.
 * Returns { status: "n/a", reason } while the modules are missing, { status: "broken", reason } when
 * their answer is wrong, else per-size results (the measured value is the slower consent state).
 */
export async function benchDecision(root, workDir) {
  const loaded = await loadModules(root, workDir);
  if (!loaded.policy) return { status: "n/a", reason: loaded.reason };
  const { parseConsent, filterSetCookies, policy } = loaded;
  const inputs = decisionInputs();
  const states = { none: [], full: [FULL_CONSENT] };

  // Correctness: without consent `_ga` goes and `sessionid` stays; with full consent `_ga` stays.
  const keptNames = (values) => filterSetCookies(inputs[5], policy, parseConsent(values, policy, { gpc: false })).kept.map(text);
  const none = keptNames(states.none);
  const full = keptNames(states.full);
  const has = (kept, name) => kept.some((l) => l.startsWith(`${name}=`));
  if (!has(none, "sessionid") || has(none, "_ga") || !has(full, "_ga"))
    return { status: "broken", reason: `decision wrong: kept without consent [${none.length}], with full consent [${full.length}] lines` };

  const results = {};
  for (const size of [5, 50]) {
    const lines = inputs[size];
    results[size] = {};
    for (const [state, values] of Object.entries(states)) {
      const fn = () => filterSetCookies(lines, policy, parseConsent(values, policy, { gpc: false })).kept.length;
      results[size][state] = time(fn);
    }
    results[size].us = Math.max(results[size].none.us, results[size].full.us);
  }
  return { status: "ok", results };
}
