// `npm run bench:inventory`: what the cookie inventory costs one request on the hot path, in
// Node on the module the worker bundles (esbuild): the bench's Cookie header (sessionid,
// csrftoken) and its origin's 8 Set-Cookie lines counted, plus the "flush due?" check and, when
// none is due, the "delayed flush to arm?" check (as src/inventory/index.ts), in the steady state
// (every name known, no flush due; a delayed flush armed at most every quietMs / 2 of the clock). Compare with the per-request time of the
// pass-through worker in `npm run bench` (about 250-350 µs here): the ratio is the most the
// inventory can move the throughput ratios.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import os from "node:os";
import fs from "node:fs";
import { benchSetCookies } from "./origin.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-inventory-"));
const { build } = await import("esbuild");
const outfile = path.join(work, "tally.mjs");
await build({ entryPoints: [path.join(ROOT, "src/inventory/tally.ts")], bundle: true, format: "esm", platform: "node", target: "node22", outfile, logLevel: "silent" });
const { CookieTally } = await import(pathToFileURL(outfile).href);

const lines = benchSetCookies(Date.now());
const cookies = [{ name: "sessionid" }, { name: "csrftoken" }];
const tally = new CookieTally();
const oneRequest = (now) => {
  tally.seeRequestCookies("maia", cookies, now);
  tally.seeSetCookies("maia", lines, now);
  if (tally.due(now)) return 1;
  if (tally.idleFlushDelay?.(now) !== undefined) armed++;
  return 0;
};
let armed = 0;

// Correctness: the first request makes a flush due with every name; then none is due within the minute.
if (oneRequest(0) !== 1) throw new Error("bench: the first request should make a flush due");
const first = tally.drain(0);
if (first.length !== cookies.length + lines.length) throw new Error(`bench: expected ${cookies.length + lines.length} names, got ${first.length}`);

let now = 1;
let flushes = 0;
const samples = [];
for (let batch = 0; batch < 60; batch++) {
  const n = 20_000;
  const t = performance.now();
  for (let i = 0; i < n; i++) flushes += oneRequest(now + (i % 1000));
  samples.push(((performance.now() - t) * 1000) / n);
}
samples.sort((a, b) => a - b);
const us = samples[samples.length >> 1];
console.log(
  `inventory per request (2 Cookie names + ${lines.length} Set-Cookie lines + due check + delayed-flush check): median ${us.toFixed(3)} µs over ${samples.length} batches of 20000; ` +
    `flushes due in the steady state: ${flushes}; delayed flushes armed: ${armed} (${samples.length * 20_000} requests over 1 s of the clock)`,
);
fs.rmSync(work, { recursive: true, force: true });
