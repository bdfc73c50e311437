// `npm run bench`: the whole benchmark suite on loopback in one run — throughput and latency against
// a bare pass-through worker (same workerd process, alternating runs), decision cost, streaming
// memory, bundle size — printed as one table and written to bench/results/latest.{md,json}.
// Exits 0 whether targets are met or missed; 1 when the harness broke or a correctness check failed.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkCacheableUntouched,
  checkFloorAppended,
  checkFloorCsp,
  checkFullConsent,
  checkFullConsentNoStore,
  checkNecessaryOnlyUntouched,
  checkNoChoice,
  checkRefused,
  checkUntouched,
} from "./lib/checks.mjs";
import { benchAllocation } from "./lib/alloc.mjs";
import { benchDecision } from "./lib/decision.mjs";
import { benchInstructions, callgrindAvailable, callgrindPrefix } from "./lib/instructions.mjs";
import { request, runLoad, runRate } from "./lib/load.mjs";
import * as procs from "./lib/processes.mjs";
import { benchStreaming } from "./lib/streaming.mjs";
import { sizeCurve } from "./lib/size-curve.mjs";
import { SIZED_KINDS } from "./lib/sized-pages.mjs";
import { FLOOR_CSP, FLOOR_TAIL } from "./lib/floor-cookie-work.mjs";
import { benchPages, PATHS } from "./origin.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BENCH = path.join(ROOT, "bench");
const RESULTS = path.join(BENCH, "results");
const WORK = path.join(RESULTS, "work");
const HOST = "maia.opendatasoft.com";
const MiB = 2 ** 20;

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const onlyArg = argv.find((a) => a.startsWith("--only="));
const only = new Set(onlyArg ? onlyArg.slice(7).split(",") : ["throughput", "sizes", "decision", "streaming", "bundle", "alloc"]);
const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const OPTS = {
  // Alternating runs, each case beside its baseline, so that drift on a shared machine hits both
  // alike, and the median over rounds drops the disturbed ones. 4 rounds of 2 s keep the spread of
  // the extra workerd CPU of the 10 rounds before (the report gives each case's range over rounds)
  // and bring the full run under 12 minutes.
  rounds: num("BENCH_ROUNDS", quick ? 2 : 4),
  seconds: num("BENCH_SECONDS", quick ? 0.5 : 2),
  warmupSeconds: num("BENCH_WARMUP_SECONDS", quick ? 0.15 : 0.4),
  connections: num("BENCH_CONNECTIONS", 50),
  downloadBytes: num("BENCH_DOWNLOAD_MIB", quick ? 128 : 1024) * MiB,
  uploadBytes: num("BENCH_UPLOAD_MIB", quick ? 16 : 100) * MiB,
  entry: process.env.BENCH_ENTRY || undefined,
  // Only these cases (ids of defineCases below, comma-separated), with their baselines: for A/B work on one path.
  cases: process.env.BENCH_CASES ? new Set(process.env.BENCH_CASES.split(",")) : undefined,
};

if (Number(process.versions.node.split(".")[0]) < 22) {
  console.error(`bench: Node ${process.versions.node} is too old for wrangler; run it as \`npm run bench\` (Node 24 devDependency).`);
  process.exit(1);
}
// Bound the whole run, whatever hangs.
setTimeout(() => {
  console.error("bench: exceeded 30 minutes; aborting");
  process.exit(2);
}, 30 * 60_000).unref();

const broken = []; // reasons the harness or a correctness check failed
const log = (...a) => console.error("bench:", ...a);

// ---------------------------------------------------------------- bundle

/** Bytes in the bundle per input file (esbuild's metafile of bundleWorker), by path from the root. */
function bundleInputs(outdir) {
  const meta = JSON.parse(fs.readFileSync(`${outdir}.meta.json`, "utf8"));
  const out = Object.values(meta.outputs).find((o) => o.entryPoint !== undefined) ?? Object.values(meta.outputs)[0];
  return new Map(Object.entries(out.inputs).map(([file, { bytesInOutput }]) => [path.relative(ROOT, path.resolve(ROOT, file)).replace(/\\/g, "/"), bytesInOutput]));
}

/**
 * The bundle floor (bench/floor-bundle.ts): hono as the worker uses it and the tenants' policy
 * data, bundled as the worker is. Refused unless it holds every hono file of the worker's bundle
 * and the policy data as large as there (within 1%), and none of consent-edge's own code beyond src/hono.ts:
 * a floor must not come out small by weighing less than it says.
 */
async function bundleFloor(workerOutdir) {
  const outdir = path.join(WORK, "bundle-floor");
  const b = await procs.bundleWorker({ root: ROOT, outdir, entry: "bench/floor-bundle.ts" });
  if (b.error) return b;
  const floor = bundleInputs(outdir);
  const worker = bundleInputs(workerOutdir);
  const DATA = "src/policy/shipped.generated.ts";
  const missing = [...worker.keys()].filter((f) => f.includes("node_modules/hono/") && worker.get(f) > 0 && !(floor.get(f) > 0));
  if (missing.length) return { error: `bundle floor lacks hono files the worker bundles: ${missing.join(", ")}` };
  // Within 1%: minified names are shorter in a smaller bundle (72 B of 15 KB here), the data the same.
  if (!(worker.get(DATA) > 0) || !(Math.abs((floor.get(DATA) ?? 0) - worker.get(DATA)) <= worker.get(DATA) / 100))
    return { error: `bundle floor's policy data is ${floor.get(DATA)} B, the worker's ${worker.get(DATA)} B` };
  const own = [...floor.keys()].filter((f) => f.startsWith("src/") && f !== DATA && f !== "src/hono.ts" && floor.get(f) > 0);
  if (own.length) return { error: `bundle floor holds consent-edge code: ${own.join(", ")}` };
  return b;
}

// ---------------------------------------------------------------- throughput
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const NECESSARY_REQUEST_COOKIES = "sessionid=q8v2k1m0zx7c3b4n5a6s7d8f9g0h1j2k; csrftoken=Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe";

/**
 * The visitor's consent cookies for `action` (accept | refuse), as the worker itself writes them:
 * the bench posts its preference form, so it follows whatever the consent record looks like.
 */
async function consentCookies(port, action) {
  const res = await request({
    port,
    path: "/cookies",
    method: "POST",
    headers: {
      host: HOST,
      origin: `http://${HOST}`,
      "sec-fetch-site": "same-origin",
      "content-type": "application/x-www-form-urlencoded",
      cookie: NECESSARY_REQUEST_COOKIES,
    },
    body: `action=${action}&return=%2F`,
  });
  if (res.status < 200 || res.status >= 400) throw new Error(`POST /cookies (${action}): HTTP ${res.status || res.error?.message}`);
  // The lines that store a value, not those that expire one.
  const pairs = (res.headers["set-cookie"] ?? [])
    .filter((l) => !/;\s*max-age=0\b/i.test(l))
    .map((l) => l.split(";", 1)[0].trim());
  if (pairs.length === 0) throw new Error(`POST /cookies (${action}) set no consent cookie`);
  return pairs.join("; ");
}

/**
 * The floor workers (bench/floor-*.mjs), served by the same workerd as extra services: each does
 * only the unavoidable part of some case, with no consent-edge code, so that what any worker must
 * pay for that part on this runtime and machine is measured in every run, beside the case.
 */
const FLOOR_WORKERS = [
  { name: "floor-cookies", source: "floor-cookies.mjs", portKey: "floorCookies" },
  { name: "floor-rewriter", source: "floor-rewriter.mjs", portKey: "floorRewriter" },
  { name: "floor-private", source: "floor-private.mjs", portKey: "floorPrivate" },
  { name: "floor-append", source: "floor-append.mjs", portKey: "floorAppend" },
  { name: "floor-hono", source: "floor-hono.ts", portKey: "floorHono" },
  { name: "floor-csp", source: "floor-csp.mjs", portKey: "floorCsp" },
  { name: "floor-scan", source: "floor-scan.mjs", portKey: "floorScan" },
].map((w) => ({ ...w, file: path.join(WORK, "floors", `${w.name}.mjs`) }));

/**
 * Each floor as one module in WORK/floors (workerd serves them as single-module workers): they
 * share bench/lib/floor-cookie-work.mjs, and floor-hono.ts imports the worker's own Hono. Minified like the worker.
 */
async function bundleFloors() {
  const { build } = await import("esbuild");
  await build({
    entryPoints: FLOOR_WORKERS.map((w) => path.join(BENCH, w.source)),
    bundle: true,
    format: "esm",
    platform: "neutral",
    minify: true,
    outdir: path.join(WORK, "floors"),
    outExtension: { ".js": ".mjs" },
    logLevel: "silent",
  });
}

/** The Cookie header floor-cookies must cut down: the necessary pair, a consent record, statistics cookies. */
const PROBE_REQUEST_COOKIES = `${NECESSARY_REQUEST_COOKIES}; _ga=GA1.1.1234567890.1700000000; consent_edge=v1.probe; cookies_preferences=%7B%7D; _pk_id.1.abcd=0123`;

/** (F)'s request side: the origin receives only the necessary names, in order. */
async function probeFloorCookies(port) {
  const res = await request({ port, path: PATHS.echoCookie, headers: { host: HOST, cookie: PROBE_REQUEST_COOKIES }, keepBody: true });
  if (res.status !== 200) return `cookie probe: HTTP ${res.status || res.error?.message}`;
  const got = JSON.parse(res.body.toString("utf8")).cookie;
  const want = `${NECESSARY_REQUEST_COOKIES}; cookies_preferences=%7B%7D`;
  if (got !== want) return `cookie probe: the origin received "${got}", expected "${want}"`;
}

/**
 * Every case, and for those compared, their baseline (a pass-through on the same page) and the
 * issue's throughput target; every compared case also has the p99 target (P99_TARGET). Floor
 * cases (`floorOf`: the cases they are the floor of) have no target: they are reference rows.
 */
function defineCases(ports, consent) {
  const pages = benchPages();
  const base = { host: HOST, cookie: NECESSARY_REQUEST_COOKIES };
  const full = { ...base, cookie: `${NECESSARY_REQUEST_COOKIES}; ${consent.accept}` };
  const refused = { ...base, cookie: `${NECESSARY_REQUEST_COOKIES}; ${consent.refuse}` };
  const pass = (label, path, body) => ({ label, port: ports.passthrough, path, headers: base, check: (r) => checkUntouched(r, body) });
  const edge = (label, path, headers, check, base, target, row) => ({ label, port: ports.edge, path, headers, check, base, target, row });
  // The same worker with MARKUP_MODE=csp-only: the enforced CSP does the blocking, pages pass unparsed.
  const unparsed = (label, path, headers, check, base, target, row) => ({ ...edge(`${label}, markup csp-only`, path, headers, check, base, target, `${row}, markup csp-only`), port: ports.edgeUnparsed });
  const floor = (port, floorOf, label, path, headers, check, base, row) => ({ label: `floor for ${floorOf.map((id) => `(${caseName(id)})`).join(", ")}: ${label}`, port, path, headers, check, base, floorOf, row });
  return {
    a: { label: "origin alone, 10 KB page", port: ports.origin, path: PATHS.page, headers: base, check: (r) => checkUntouched(r, pages.page) },
    b: pass("pass-through, 10 KB page (20 images, 30 links)", PATHS.page, pages.page),
    c: edge("no choice yet (banner due), 10 KB page", PATHS.page, base, checkNoChoice, "b", 0.85, "HTML page, no choice yet (banner due)"),
    d: edge("full consent, 10 KB page", PATHS.page, full, (r) => checkFullConsent(r, pages.page), "b", 0.97, "HTML page, full consent"),
    r: edge("visitor refused, 10 KB page", PATHS.page, refused, checkRefused, "b", 0.93, "HTML page, visitor refused (20 images, 30 links)"),
    M: pass("pass-through, 40 KB page (300 images, 300 links)", PATHS.many, pages.many),
    m: edge("visitor refused, 40 KB page (300 images, 300 links)", PATHS.many, refused, checkRefused, "M", 0.93, "page of hundreds of elements, visitor refused"),
    B: pass("pass-through, 100 KB page", PATHS.tracked, pages.tracked),
    e: edge("no choice yet, 100 KB page (gtag, Matomo)", PATHS.tracked, base, checkNoChoice, "B", 0.8, "100 KB page, no choice yet"),
    A: pass("pass-through, JSON API", PATHS.api, pages.api),
    f: edge("JSON API, no consent (cookie enforcement alone)", PATHS.api, base, (r) => checkNecessaryOnlyUntouched(r, pages.api), "A", 0.97, "JSON API, no consent (cookie enforcement alone)"),
    C: unparsed("no choice yet (banner due), 10 KB page", PATHS.page, base, checkNoChoice, "b", 0.85, "HTML page, no choice yet (banner due)"),
    R: unparsed("visitor refused, 10 KB page", PATHS.page, refused, checkRefused, "b", 0.93, "HTML page, visitor refused (20 images, 30 links)"),
    N: unparsed("visitor refused, 40 KB page (300 images, 300 links)", PATHS.many, refused, checkRefused, "M", 0.93, "page of hundreds of elements, visitor refused"),
    E: unparsed("no choice yet, 100 KB page (gtag, Matomo)", PATHS.tracked, base, checkNoChoice, "B", 0.8, "100 KB page, no choice yet"),
    // The cacheable page: the same 10 KB and 8 lines with `public, max-age=300` and an ETag, which
    // full consent must still send `private, no-store` (one copy of the origin's response).
    K: { ...pass("pass-through, cacheable 10 KB page (public, max-age=300, ETag)", PATHS.cacheable, pages.page), check: (r) => checkCacheableUntouched(r, pages.page) },
    D: edge("full consent, cacheable 10 KB page", PATHS.cacheable, full, (r) => checkFullConsentNoStore(r, pages.page), "K", 0.97, "HTML page, full consent, cacheable (sent private, no-store)"),
    // Floors: minimal hand-written workers in the same workerd (bench/floor-*.mjs), no consent-edge code.
    F: {
      ...floor(ports.floorCookies, ["f"], "JSON API, the Cookie header cut to 4 names, one Response copy, Set-Cookie re-appended", PATHS.api, base, (r) => checkNecessaryOnlyUntouched(r, pages.api), "A", "cookies stripped on the wire, nothing else"),
      probe: () => probeFloorCookies(ports.floorCookies),
    },
    P: floor(ports.floorRewriter, ["c", "r"], "10 KB page through an HTMLRewriter matching scripts, no-op handler", PATHS.page, base, (r) => checkUntouched(r, pages.page), "b", "10 KB page parsed by an empty HTMLRewriter"),
    L: floor(ports.floorRewriter, ["m"], "40 KB page (300 images, 300 links) through an HTMLRewriter matching scripts, no-op handler", PATHS.many, base, (r) => checkUntouched(r, pages.many), "M", "page of hundreds of elements parsed by an empty HTMLRewriter"),
    Q: floor(ports.floorRewriter, ["e"], "100 KB page through an HTMLRewriter matching scripts, no-op handler", PATHS.tracked, base, (r) => checkUntouched(r, pages.tracked), "B", "100 KB page parsed by an empty HTMLRewriter"),
    G: floor(ports.floorAppend, ["C"], "10 KB page, the cookies as in (F), a banner-sized tail appended through an IdentityTransformStream", PATHS.page, base, (r) => checkFloorAppended(r, pages.page, FLOOR_TAIL), "b", "10 KB page, cookies stripped, a tail appended natively"),
    J: floor(ports.floorAppend, ["E"], "100 KB page, the cookies as in (F), a banner-sized tail appended through an IdentityTransformStream", PATHS.tracked, base, (r) => checkFloorAppended(r, pages.tracked, FLOOR_TAIL), "B", "100 KB page, cookies stripped, a tail appended natively"),
    // The CSP floors' header must be as long as their cases' (checked in benchThroughput).
    S: {
      ...floor(ports.floorCsp, ["R"], "10 KB page, the cookies as in (F), one fixed Content-Security-Policy set", PATHS.page, refused, (r) => checkFloorCsp(r, pages.page, FLOOR_CSP), "b", "10 KB page unparsed, cookies stripped, a CSP header set"),
      probe: () => probeFloorCookies(ports.floorCsp),
    },
    T: {
      ...floor(ports.floorCsp, ["N"], "40 KB page (300 images, 300 links), the cookies as in (F), one fixed Content-Security-Policy set", PATHS.many, refused, (r) => checkFloorCsp(r, pages.many, FLOOR_CSP), "M", "page of hundreds of elements unparsed, cookies stripped, a CSP header set"),
      probe: () => probeFloorCookies(ports.floorCsp),
    },
    // Scan mode's whole job on a parsed page (bench/floor-scan.mjs): not a target's floor but the
    // least any worker doing all of it pays, printed in the parsed cases' notes (`whole`).
    V: { ...floor(ports.floorScan, ["r"], "10 KB page, the first bytes probed, scripts' element and text handlers (no-op), the cookies as in (F), the CSP of (S)", PATHS.page, refused, (r) => checkFloorCsp(r, pages.page, FLOOR_CSP), "b", "scan mode's whole job on the 10 KB page, visitor refused"), whole: true },
    X: { ...floor(ports.floorScan, ["m"], "40 KB page (300 images, 300 links), the first bytes probed, scripts' element and text handlers (no-op), the cookies as in (F), the CSP of (T)", PATHS.many, refused, (r) => checkFloorCsp(r, pages.many, FLOOR_CSP), "M", "scan mode's whole job on the 40 KB page, visitor refused"), whole: true },
    Y: { ...floor(ports.floorScan, ["c"], "10 KB page, as (V), and the tail of (G) at the document's end", PATHS.page, base, (r) => checkFloorCsp(r, pages.page, FLOOR_CSP, FLOOR_TAIL), "b", "scan mode's whole job on the 10 KB page, banner due"), whole: true },
    Z: { ...floor(ports.floorScan, ["e"], "100 KB page, as (V), and the tail of (G) at the document's end", PATHS.tracked, base, (r) => checkFloorCsp(r, pages.tracked, FLOOR_CSP, FLOOR_TAIL), "B", "scan mode's whole job on the 100 KB page, banner due"), whole: true },
    W: floor(ports.floorHono, ["d"], "10 KB page through a one-route Hono app, the consent record kept from the origin, the page as it came", PATHS.page, full, (r) => checkUntouched(r, pages.page), "b", "Hono, the record's cookie dropped from the request, nothing else"),
    H: floor(ports.floorPrivate, ["D"], "cacheable 10 KB page, one Response copy made private, no-store", PATHS.cacheable, base, (r) => checkUntouched(r, pages.page) ?? (/\bno-store\b/.test(r.headers["cache-control"] ?? "") && r.headers.etag === undefined ? undefined : `not made no-store (Cache-Control "${r.headers["cache-control"]}", ETag ${r.headers.etag})`), "K", "cacheable page made private, no-store, nothing else"),
  };
}

/** Every compared case's p99 against its baseline's, measured the same way in the same round (the issue's goal). */
const P99_TARGET = 1.5;
/** The open-loop latency runs (benchThroughput): rate = `share` of each case's closed-loop throughput. */
const OPEN_LOOP = { share: num("BENCH_OPEN_SHARE", 0.5), rounds: num("BENCH_OPEN_ROUNDS", quick ? 1 : 2), seconds: num("BENCH_OPEN_SECONDS", quick ? 0.8 : 2) };

// Baselines run around the cases they are compared with (each case and its floor side by side), so
// drift hits all of them; a round's baseline is the median of its runs there.
const ROUND_ORDER = [
  ...["a", "b", "c", "C", "G", "Y", "b", "d", "W", "r", "b", "P", "V", "R", "S", "b"],
  ...["K", "D", "H", "K"],
  ...["M", "m", "L", "X", "N", "T", "M"],
  ...["B", "e", "Q", "Z", "E", "J", "B"],
  ...["A", "f", "F", "A"],
];

/** The accept and refuse cookies, from the worker's own form. */
async function benchConsent(ports) {
  const consent = {};
  for (const action of ["accept", "refuse"]) {
    try {
      consent[action] = await consentCookies(ports.edge, action);
    } catch (e) {
      broken.push(String(e.message));
      consent[action] = "consent=unavailable";
    }
  }
  log(`consent cookies: accept "${consent.accept}", refuse "${consent.refuse}"`);
  return consent;
}

/**
 * One workerd serving the pass-through, consent-edge (twice: default and csp-only) and, with
 * `floors`, the floor workers, each on a free port, ORIGIN bound to the bench origin. `file` and
 * `logFile` name its config and log in WORK; `vars` and `v8Flags` go into its config; `start` are
 * startWorkerd's options. Returns the process and the ports (those of the floors under FLOOR_WORKERS' portKey).
 */
async function startBenchWorkerd({ originPort, bundleMain, file, logFile, floors = true, vars, v8Flags, timeoutMs = 15_000, start }) {
  const ports = { origin: originPort, passthrough: await procs.freePort(), edge: await procs.freePort(), edgeUnparsed: await procs.freePort() };
  const extra = floors ? FLOOR_WORKERS : [];
  for (const w of extra) ports[w.portKey] = await procs.freePort();
  const config = procs.writeWorkerdConfig({
    dir: WORK,
    file,
    vars,
    v8Flags,
    passthroughFile: path.join(BENCH, "passthrough.mjs"),
    bundleDir: path.join(WORK, "bundle"),
    mainModule: bundleMain,
    ports,
    origin: `http://127.0.0.1:${originPort}`,
    extraWorkers: extra.map((w) => ({ name: w.name, file: w.file, port: ports[w.portKey] })),
    ...procs.readWranglerConfig(ROOT),
  });
  const workerd = await procs.startWorkerd(config, [ports.passthrough, ports.edge, ports.edgeUnparsed, ...extra.map((w) => ports[w.portKey])], path.join(WORK, logFile), timeoutMs, start);
  return { workerd, ports };
}

/**
 * Instructions per request (bench/lib/instructions.mjs): a third workerd of the same config under
 * callgrind, each compared case, its baseline and its floors counted alone. Opt-in
 * (`--only=instructions`): it needs valgrind and takes minutes.
 */
async function instructionCounts(originPort, bundleMain, consent) {
  if (!callgrindAvailable()) return { reason: "valgrind (callgrind) is not installed: apt-get install valgrind" };
  const dir = path.join(WORK, "callgrind");
  fs.mkdirSync(dir, { recursive: true });
  log("instructions: workerd under callgrind (starting takes a minute) …");
  const { workerd, ports } = await startBenchWorkerd({
    originPort,
    bundleMain,
    file: "workerd-callgrind.capnp",
    logFile: "workerd-callgrind.log",
    // Each request's origin bound is a timer, cleared with the response; one that still fired (20 s
    // by default: a code version that does not clear it, a slow request) would be counted in
    // whichever case runs then. An hour here. (With AbortSignal.timeout, which was never cleared,
    // the pending timers piled up over the run and raised every later count: docs/benchmarks.md.)
    vars: [["ORIGIN_TIMEOUT_MS", "3600000"]],
    timeoutMs: 240_000,
    start: { prefix: callgrindPrefix(dir) },
  });
  const all = defineCases(ports, consent);
  const wanted = (id) => id !== "a" && (!OPTS.cases || OPTS.cases.has(id) || [...OPTS.cases].some((c) => all[c]?.base === id));
  const cases = Object.fromEntries(Object.entries(all).filter(([id]) => wanted(id)));
  try {
    // Warm-up: under valgrind V8 tiers a function up only after many more requests than at full
    // speed, and when it does is not the same from run to run; until then its JavaScript runs in
    // the interpreter, counted many times over. So the counts of the JavaScript-heavy cases move
    // with the warm-up: over (b″), (f) counted +673 kIr after 150 warm-up requests, +395 after
    // 1000, +298 after 1500, +477 after 2000 (warmed once), +281 after 3000; its floor F +126, +67,
    // +44, +58, +69. Compare counts only at the same warm-up. BENCH_INSTR_WARMUP sets it.
    const warmup = num("BENCH_INSTR_WARMUP", quick ? 60 : 150);
    const counts = await benchInstructions({ cases, pid: workerd.pid, dir, requests: quick ? 50 : 150, warmup, reps: quick ? 1 : 2 });
    for (const [id, c] of Object.entries(counts)) log(`instructions (${caseName(id)}): ${c.error ?? `${fmt(c.kIr, 1)} kIr/request`}`);
    return { counts, cases: Object.fromEntries(Object.entries(cases).map(([id, c]) => [id, { base: c.base, target: c.target, floorOf: c.floorOf }])) };
  } finally {
    await procs.stop(workerd);
  }
}

/** The size curve's page sizes (KB) of the ordinary page, and the size of the hostile pages and their ordinary comparison. */
const SIZES_KB = (process.env.BENCH_SIZES_KB ?? (quick ? "10,300,1000,2000" : "10,100,300,500,1000,2000")).split(",").map(Number);
const HOSTILE_KB = num("BENCH_HOSTILE_KB", quick ? 200 : 300);

/**
 * Extra workerd CPU per request against page size, each mode beside the empty rewriter's floor,
 * and the hostile pages at one size (bench/lib/size-curve.mjs): sequential requests, so the figure
 * is CPU per request, not throughput.
 */
async function benchSizes(ports, pid) {
  const base = { host: HOST, cookie: NECESSARY_REQUEST_COOKIES };
  const modes = [
    { id: "pass", port: ports.passthrough, headers: base, label: "pass-through" },
    { id: "scan", port: ports.edge, headers: base, label: "scan mode, banner due" },
    { id: "csp-only", port: ports.edgeUnparsed, headers: base, label: "csp-only, banner due" },
    { id: "floor", port: ports.floorRewriter, headers: base, label: "empty HTMLRewriter (floor)" },
    { id: "whole", port: ports.floorScan, headers: base, label: "scan mode's whole job (floor-scan)" },
  ];
  const pages = [
    ...SIZES_KB.map((kb) => ({ key: `ordinary:${kb}`, kind: "ordinary", kb, path: `${PATHS.sized}?kind=ordinary&kb=${kb}` })),
    ...(process.env.BENCH_HOSTILE === "0" ? [] : SIZED_KINDS.filter((k) => k !== "ordinary" || !SIZES_KB.includes(HOSTILE_KB)).map((kind) => ({ key: `${kind}:${HOSTILE_KB}`, kind, kb: HOSTILE_KB, path: `${PATHS.sized}?kind=${kind}&kb=${HOSTILE_KB}` }))),
  ];
  pages.sort((a, b) => (a.kind === b.kind ? a.kb - b.kb : a.kind === "ordinary" ? -1 : b.kind === "ordinary" ? 1 : 0));
  log(`size curve: ${pages.map((p) => p.key).join(", ")} …`);
  const curve = await sizeCurve({
    pid,
    pages,
    modes,
    rounds: num("BENCH_SIZE_ROUNDS", quick ? 1 : 3),
    // About 2 MB of page per measure (1 MB with --quick).
    pageBytesPerMeasure: quick ? 1e6 : 2e6,
    onMeasure: (page, m, extra, pass) => log(`size ${page.key} (${m.id}): +${fmt(extra, 0)} µs CPU per request over the pass-through's ${fmt(pass, 0)}`),
  });
  return { modes: modes.map(({ id, label }) => ({ id, label })), pages: pages.map(({ key, kind, kb }) => ({ key, kind, kb })), curve };
}

/** Allocation cases: each consent-edge case of the 10 KB page (the cacheable one too) and the JSON API, and their pass-throughs. */
const ALLOC_CASES = ["b", "c", "C", "d", "r", "R", "K", "D", "A", "f"];

async function benchThroughput(ports, workerdPid, consent) {
  const all = defineCases(ports, consent);
  const wanted = OPTS.cases ? new Set([...OPTS.cases].flatMap((id) => [id, all[id]?.base].filter(Boolean))) : undefined;
  const cases = Object.fromEntries(Object.entries(all).filter(([id]) => !wanted || wanted.has(id)));
  const ok = {};
  const checked = {};
  for (const [id, c] of Object.entries(cases)) {
    const res = await request({ port: c.port, path: c.path, headers: c.headers, keepBody: true });
    checked[id] = res;
    const bad = c.check(res) ?? (await c.probe?.());
    ok[id] = !bad;
    if (bad) broken.push(`case (${id}) ${c.label}: ${bad}`);
  }
  // A CSP floor stands for its cases only while its fixed header is as long as theirs.
  for (const [id, c] of Object.entries(cases)) {
    if ((c.port !== ports.floorCsp && c.port !== ports.floorScan) || !ok[id]) continue;
    for (const of of c.floorOf) {
      const theirs = checked[of]?.headers["content-security-policy"];
      if (!theirs || String(theirs).length === FLOOR_CSP.length) continue;
      ok[id] = false;
      broken.push(`case (${id}) ${c.label}: its Content-Security-Policy is ${FLOOR_CSP.length} characters, (${caseName(of)})'s ${String(theirs).length}: update FLOOR_CSP (bench/lib/floor-cookie-work.mjs)`);
    }
  }
  const order = ROUND_ORDER.filter((id) => ok[id] && (!cases[id].base || ok[cases[id].base]));
  const runs = Object.fromEntries(Object.keys(cases).map((id) => [id, []]));
  const total = OPTS.rounds * order.length;
  let n = 0;
  for (let round = 0; round < OPTS.rounds; round++) {
    for (const id of order) {
      const c = cases[id];
      const r = await runLoad({
        port: c.port,
        path: c.path,
        headers: c.headers,
        connections: OPTS.connections,
        durationMs: OPTS.seconds * 1000,
        warmupMs: OPTS.warmupSeconds * 1000,
        // The origin is another process: only consent-edge and pass-through runs measure workerd.
        cpuNs: c.port === ports.origin ? undefined : () => procs.cpuNsOf(workerdPid),
      });
      r.round = round;
      runs[id].push(r);
      log(
        `[${++n}/${total}] round ${round + 1} (${id}) ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, workerd ${fmt(r.cpuUsPerRequest, 0)} µs CPU/req` +
          (r.errors ? `, ${r.errors} errors (${r.firstError})` : ""),
      );
      if (r.errors > 0.01 * (r.requests + r.errors)) broken.push(`case (${id}) round ${round + 1}: ${r.errors} errors (${r.firstError})`);
    }
  }
  const summary = {};
  for (const [id, c] of Object.entries(cases)) {
    const rs = runs[id];
    summary[id] = {
      label: c.label,
      path: c.path,
      verified: ok[id],
      runs: rs.length,
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      cpuUs: median(rs.map((r) => r.cpuUsPerRequest)),
      errors: rs.reduce((s, r) => s + r.errors, 0),
    };
  }
  // Per round against the same round's baseline runs, then the median over rounds. The extra µs
  // per request is the difference of the inverse throughputs: workerd does the work on one
  // thread, so at saturation 1/throughput is the runtime's time per request.
  const ratios = {};
  for (const [id, c] of Object.entries(cases)) {
    if (!c.base) continue;
    const per = { rps: [], extraUs: [], extraCpuUs: [], p99: [], p99Ms: [], baseP99Ms: [], p50Ms: [], baseP50Ms: [] };
    for (let round = 0; round < OPTS.rounds; round++) {
      const x = runs[id].filter((r) => r.round === round);
      const b = runs[c.base].filter((r) => r.round === round);
      if (!x.length || !b.length) continue;
      const xr = median(x.map((r) => r.rps));
      const br = median(b.map((r) => r.rps));
      const xp = median(x.map((r) => r.p99Ms));
      const bp = median(b.map((r) => r.p99Ms));
      per.rps.push(xr / br);
      per.extraUs.push(1e6 / xr - 1e6 / br);
      per.extraCpuUs.push(median(x.map((r) => r.cpuUsPerRequest)) - median(b.map((r) => r.cpuUsPerRequest)));
      per.p99.push(xp / bp);
      per.p99Ms.push(xp);
      per.baseP99Ms.push(bp);
      per.p50Ms.push(median(x.map((r) => r.p50Ms)));
      per.baseP50Ms.push(median(b.map((r) => r.p50Ms)));
    }
    ratios[id] = {
      base: c.base,
      row: c.row,
      target: c.target,
      floorOf: c.floorOf,
      whole: c.whole,
      rps: median(per.rps),
      extraUs: median(per.extraUs),
      extraCpuUs: median(per.extraCpuUs),
      p99: median(per.p99),
      p99Ms: median(per.p99Ms),
      baseP99Ms: median(per.baseP99Ms),
      p50Ms: median(per.p50Ms),
      baseP50Ms: median(per.baseP50Ms),
      perRound: per,
    };
  }
  // Latency below saturation: each consent-edge case and its baseline at one fixed rate, open
  // loop (runRate), alternating. At saturation (above) latency is mostly queueing: with the same
  // connections, a worker at throughput ratio x waits about 1/x as long, so there the p99 target
  // follows the throughput. Here the rate is a share (default half) of the case's own throughput, which both sustain.
  for (const [id, x] of Object.entries(ratios)) {
    if (x.floorOf || !Number.isFinite(summary[id]?.rps)) continue;
    const rate = Math.max(1, Math.round(summary[id].rps * OPEN_LOOP.share));
    const per = { p99: [], p99Ms: [], baseP99Ms: [], p50Ms: [], baseP50Ms: [] };
    for (let round = 0; round < OPEN_LOOP.rounds; round++) {
      const at = {};
      for (const which of [x.base, id]) {
        const c = cases[which];
        const r = await runRate({ port: c.port, path: c.path, headers: c.headers, rate, durationMs: OPEN_LOOP.seconds * 1000, warmupMs: quick ? 250 : 500 });
        log(`open loop (${which}) at ${rate} req/s: p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms, ${r.requests} requests, sent ${fmt(r.lateMs)} ms late on average` + (r.errors || r.skipped ? `, ${r.errors} errors, ${r.skipped} skipped` : ""));
        if (r.errors + r.skipped > 0.01 * (r.requests + r.errors + r.skipped)) broken.push(`open loop (${which}) at ${rate} req/s: ${r.errors} errors (${r.firstError}), ${r.skipped} skipped`);
        at[which] = r;
      }
      per.p99.push(at[id].p99Ms / at[x.base].p99Ms);
      per.p99Ms.push(at[id].p99Ms);
      per.baseP99Ms.push(at[x.base].p99Ms);
      per.p50Ms.push(at[id].p50Ms);
      per.baseP50Ms.push(at[x.base].p50Ms);
    }
    x.openLoop = { rate, p99: median(per.p99), p99Ms: median(per.p99Ms), baseP99Ms: median(per.baseP99Ms), p50Ms: median(per.p50Ms), baseP50Ms: median(per.baseP50Ms), perRound: per };
  }
  return { summary, ratios, runs };
}

// ---------------------------------------------------------------- report
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const mb = (bytes) => bytes / 1e6;

function targetRows(r) {
  const rows = [];
  const add = (target, measured, met, note = "") =>
    rows.push({ target, measured, status: met === null ? "reported" : met === undefined ? "n/a" : met ? "met" : "missed", note });
  const ratios = r.throughput?.ratios ?? {};
  const signed = (v) => `${v >= 0 ? "+" : ""}${fmt(v, 0)} µs`;
  const extraOf = (x) =>
    (Number.isFinite(x.extraUs) ? `${signed(x.extraUs)} per request (1/throughput)` : "") +
    (Number.isFinite(x.extraCpuUs) ? `; ${signed(x.extraCpuUs)} workerd CPU per request` : "");
  const floors = Object.entries(ratios).filter(([, x]) => x.floorOf);
  const shown = new Set();
  // A floor: a reference row, no target of its own; the targets of the cases it is the floor of in its note.
  const addFloor = (id, x) => {
    shown.add(id);
    const of = x.floorOf.map((c) => (ratios[c] ? `(${caseName(c)}) ${fmt(ratios[c].rps, 3)} against ≥ ${ratios[c].target}` : `(${caseName(c)}) target ≥ ${defaultTarget(c)}, not run`));
    rows.push({
      target: `floor for ${x.floorOf.map((c) => `(${caseName(c)})`).join(", ")}, reference row (no target): ${x.row}: throughput (${caseName(id)}) / (${caseName(x.base)})`,
      measured: fmt(x.rps, 3),
      status: "reference",
      note: `${extraOf(x)}; p99 ${fmt(x.p99, 2)}×; ${of.join("; ")}`,
    });
  };
  for (const [id, x] of Object.entries(ratios)) {
    if (x.floorOf) continue;
    const vs = `(${caseName(id)}) / (${caseName(x.base)})`;
    const mine = floors.filter(([, f]) => f.floorOf.includes(id) && !f.whole);
    const whole = floors.find(([, f]) => f.floorOf.includes(id) && f.whole);
    const floorNote = mine.map(([fid, f]) => `; floor (${caseName(fid)}) ${fmt(f.rps, 3)}, ${signed(f.extraCpuUs)} workerd CPU`).join("");
    // The target: extra workerd CPU per request against the floor's, in the same rounds.
    for (const [fid, f] of mine) {
      const parsed = PARSED_CASES.has(id);
      const limit = parsed ? FLOOR_FACTOR * f.extraCpuUs : f.extraCpuUs + FLOOR_MARGIN_US;
      const range = (v) => (v.length ? `${fmt(Math.min(...v), 0)}…${fmt(Math.max(...v), 0)}` : "n/a");
      add(
        `${x.row}: extra workerd CPU per request (${caseName(id)}) ≤ ${parsed ? `${FLOOR_FACTOR}× floor (${caseName(fid)})'s` : `floor (${caseName(fid)})'s + ${FLOOR_MARGIN_US} µs`}`,
        `${signed(x.extraCpuUs)} vs ${signed(f.extraCpuUs)}`,
        Number.isFinite(x.extraCpuUs) && Number.isFinite(f.extraCpuUs) ? x.extraCpuUs <= limit : undefined,
        `limit ${signed(limit)}; ${parsed ? `${fmt(x.extraCpuUs / f.extraCpuUs, 2)}× the floor's` : `${signed(x.extraCpuUs - f.extraCpuUs)} over the floor`}; per round (µs): case ${range(x.perRound.extraCpuUs)}, floor ${range(f.perRound.extraCpuUs)}` +
          (parsed && ratios[WIRE_FLOOR[id]] ? `; the parse (${caseName(fid)}) and the wire work of the unparsed floor (${caseName(WIRE_FLOOR[id])}: ${WIRE_FLOOR[id] === "G" || WIRE_FLOOR[id] === "J" ? "cookies, the banner appended" : "cookies, the CSP"}) together: ${signed(f.extraCpuUs + ratios[WIRE_FLOOR[id]].extraCpuUs)}` : "") +
          (parsed && whole && Number.isFinite(whole[1].extraCpuUs) ? `; scan mode's whole job done by a floor (${caseName(whole[0])}): ${signed(whole[1].extraCpuUs)}, ${whole[1].extraCpuUs > limit ? "over the limit: out of reach for any worker here" : "under the limit"}` : ""),
      );
    }
    add(`${x.row}: throughput ${vs} (the blocked issue's target ≥ ${x.target}, reported only)`, fmt(x.rps, 3), null, extraOf(x) + floorNote);
    const o = x.openLoop;
    const open = o ? `; open loop at ${o.rate} req/s (${fmt(OPEN_LOOP.share * 100, 0)} % of the case's throughput): p99 ${fmt(o.p99Ms)} ms vs ${fmt(o.baseP99Ms)} ms (${fmt(o.p99, 2)}×), p50 ${fmt(o.p50Ms)} vs ${fmt(o.baseP50Ms)} ms` : "";
    add(`${x.row}: p99 ${vs} (the blocked issue's target ≤ ${P99_TARGET}×, reported only)`, `${fmt(x.p99, 2)}×`, null, `${fmt(x.p99Ms)} ms vs ${fmt(x.baseP99Ms)} ms; p50 ${fmt(x.p50Ms)} vs ${fmt(x.baseP50Ms)} ms (1/throughput ratio ${fmt(1 / x.rps, 2)})${open}`);
    for (const [fid, f] of mine) if (!shown.has(fid)) addFloor(fid, f);
  }
  // Floors whose cases were not run (BENCH_CASES).
  for (const [fid, f] of floors) if (!shown.has(fid)) addFloor(fid, f);
  const sz = r.sizes;
  if (sz) {
    const { curve } = sz;
    const ordinary = sz.pages.filter((p) => p.kind === "ordinary");
    const parsed = ordinary.filter((p) => p.kb < PARSE_LIMIT_KB);
    const slope = (mode) => perMb(parsed.map((p) => [p.kb, curve[p.key].extraUs[mode]]));
    const [scan, floor] = [slope("scan"), slope("floor")];
    add(
      `size curve: scan mode's extra workerd CPU per MB ≤ 1.5× the empty rewriter's (pages ${parsed.map((p) => p.kb).join(", ")} KB, parsed)`,
      `${fmt(scan / floor, 2)}×`,
      Number.isFinite(scan / floor) ? scan / floor <= 1.5 : undefined,
      `scan ${fmt(scan / 1000, 2)} ms per MB, empty rewriter ${fmt(floor / 1000, 2)}, csp-only ${fmt(slope("csp-only") / 1000, 2)} (least squares over the sizes)` +
        (Number.isFinite(slope("whole")) ? `; scan mode's whole job done by a floor (floor-scan): ${fmt(slope("whole") / 1000, 2)} ms per MB, ${fmt(slope("whole") / floor, 2)}× the empty rewriter's${slope("whole") / floor > 1.5 ? ": out of reach for any worker here" : ""}` : ""),
    );
    const worst = (mode) => Math.max(...ordinary.map((p) => curve[p.key].extraUs[mode]));
    for (const mode of ["scan", "csp-only"]) {
      const w = worst(mode);
      add(
        `size curve: no page up to ${Math.max(...ordinary.map((p) => p.kb))} KB over 10 ms of extra workerd CPU, ${mode === "scan" ? "scan mode" : "csp-only"}, banner due`,
        `${fmt(w / 1000, 2)} ms`,
        Number.isFinite(w) ? w <= 10_000 : undefined,
        ordinary.map((p) => `${p.kb} KB ${fmt(curve[p.key].extraUs[mode] / 1000, 2)} ms`).join(", ") + `; empty rewriter ${ordinary.map((p) => fmt(curve[p.key].extraUs.floor / 1000, 2)).join(", ")} ms`,
      );
    }
    for (const p of sz.pages.filter((x) => x.kind !== "ordinary")) {
      const same = curve[`ordinary:${p.kb}`];
      const c = curve[p.key];
      const ok = c.statuses.scan?.[200] === c.requests;
      const ratio = c.extraUs.scan / same?.extraUs.scan;
      const refused = !ok && c.extraUs.scan <= 10_000;
      add(
        `hostile markup (${p.kind}), ${p.kb} KB, scan mode: extra CPU ≤ 2× the ordinary page's of the same size, or refused before 10 ms`,
        ok ? `${fmt(ratio, 2)}×` : `refused (${Object.entries(c.statuses.scan ?? {}).map(([st, n]) => `${n}× ${st === "0" ? "stream cut" : `HTTP ${st}`}`).join(", ")})`,
        ok ? ratio <= 2 : refused,
        `+${fmt(c.extraUs.scan / 1000, 2)} ms (ordinary +${fmt(same?.extraUs.scan / 1000, 2)}); empty rewriter +${fmt(c.extraUs.floor / 1000, 2)} ms${c.statuses.floor?.[200] === c.requests ? "" : " (its stream cut too)"}; csp-only +${fmt(c.extraUs["csp-only"] / 1000, 2)} ms`,
      );
    }
  }
  const dec = r.decision;
  for (const [size, limit] of [[5, 2], [50, 20]]) {
    const us = dec?.results?.[size]?.us;
    const slowest = dec?.results?.[size] && Object.keys(dec.results[size]).filter((k) => k !== "us").find((k) => dec.results[size][k].us === us);
    add(`decision, ${size} Set-Cookie lines < ${limit} µs`, Number.isFinite(us) ? `${fmt(us, 3)} µs` : "n/a", Number.isFinite(us) ? us < limit : undefined, dec?.reason ?? (slowest ? `slowest state: ${slowest}` : ""));
  }
  const s = r.streaming;
  for (const [key, label] of [["download", `${OPTS.downloadBytes / MiB} MiB download`], ["upload", `${OPTS.uploadBytes / MiB} MiB upload`]]) {
    const x = s?.[key];
    const okx = x && !x.error;
    add(`${label}: workerd memory growth < 50 MB`, okx ? `${fmt(mb(x.growth), 1)} MB` : "n/a", okx ? mb(x.growth) < 50 : undefined, x?.error ?? s?.reason ?? (okx ? `${fmt(x.seconds, 1)} s` : ""));
  }
  const b = r.bundle;
  add("bundle raw < 100 KiB", b?.raw ? `${fmt(b.raw / 1024, 1)} KiB` : "n/a", b?.raw ? b.raw < 100 * 1024 : undefined, b?.error ? "bundle failed" : "");
  const bf = r.bundleFloor;
  const floorNote = bf?.gzip && b?.gzip ? `floor (hono as the worker uses it, the policy data): ${fmt(bf.gzip / 1024, 1)} KiB; consent-edge's own code: +${fmt((b.gzip - bf.gzip) / 1024, 1)} KiB` : "";
  add("bundle gzip < 30 KiB", b?.gzip ? `${fmt(b.gzip / 1024, 1)} KiB` : "n/a", b?.gzip ? b.gzip < 30 * 1024 : undefined, floorNote);
  return rows;
}

/**
 * The targets against the floors (extra workerd CPU per request, same run): the parsed cases at
 * most FLOOR_FACTOR× their floor's (an empty rewriter on the same page); every other case at most
 * its floor's + FLOOR_MARGIN_US.
 */
const PARSED_CASES = new Set(["c", "r", "m", "e"]);
const FLOOR_FACTOR = 1.3;
/**
 * A parsed case also does what an unparsed page pays on the wire: the cookie work, and the banner
 * appended (c, e) or the CSP set (r, m). Their floors' sum (the parse plus that) is printed beside
 * the target, as a lower bound of the case that no single floor gives.
 */
const WIRE_FLOOR = { c: "G", e: "J", r: "S", m: "T" };
const FLOOR_MARGIN_US = 60;

/**
 * Pages from this size on pass unparsed in the size curve's scan mode, whose visitor gets the banner
 * (src/rewrite/unparsed.ts, BANNER_PARSE_LIMIT: 384 KiB): the slope is taken below it.
 */
const PARSE_LIMIT_KB = 393;

/** Least-squares slope of [kb, µs] points, in µs per MB. */
function perMb(points) {
  const pts = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length < 2) return NaN;
  const mx = pts.reduce((s, [x]) => s + x, 0) / pts.length;
  const my = pts.reduce((s, [, y]) => s + y, 0) / pts.length;
  const sxy = pts.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = pts.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return (sxy / sxx) * 1000;
}

/** Display names of the baselines: b, b′ (100 KB page), b″ (JSON), b‴ (many elements), bᶜ (cacheable page); c*, r*, m*, e*: markup csp-only. */
const caseName = (id) => ({ B: "b′", A: "b″", M: "b‴", K: "bᶜ", C: "c*", R: "r*", N: "m*", E: "e*" })[id] ?? id;

/** The throughput target of a case (for a floor's note when that case was not run). */
const defaultTarget = (id) => defineCases({}, { accept: "", refuse: "" })[id]?.target;

function renderMarkdown(r, rows) {
  const lines = [
    `# consent-edge bench — ${r.date}`,
    "",
    `Node ${process.versions.node}, workerd ${r.workerdVersion}, ${r.cpus} CPUs; ${OPTS.rounds} rounds × ${OPTS.seconds} s ` +
      `(+${OPTS.warmupSeconds} s warm-up), ${OPTS.connections} connections, pinning: ${procs.pinning}${quick ? " (--quick)" : ""}${OPTS.entry ? `; entry ${OPTS.entry}` : ""}.`,
    "",
    "| target | measured | result | note |",
    "|---|---|---|---|",
    ...rows.map((x) => `| ${x.target} | ${x.measured} | ${x.status} | ${x.note.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`),
  ];
  if (r.throughput) {
    lines.push("", "| case | what | req/s (median) | p50 ms | p99 ms | workerd CPU µs/req | runs | errors |", "|---|---|---|---|---|---|---|---|");
    for (const [id, s] of Object.entries(r.throughput.summary))
      lines.push(`| ${caseName(id)} | ${s.label}${s.verified ? "" : " (failed its check, not timed)"} | ${fmt(s.rps, 0)} | ${fmt(s.p50Ms)} | ${fmt(s.p99Ms)} | ${fmt(s.cpuUs, 0)} | ${s.runs} | ${s.errors} |`);
  }
  if (r.sizes) {
    const { curve, modes } = r.sizes;
    const others = modes.slice(1);
    lines.push(
      "",
      "Extra workerd CPU per request (ms) against page size, sequential requests, each mode alternated with the pass-through of the same page (median over rounds); `cut` where the answer's stream failed:",
      "",
      `| page | KB | pass-through ms | ${others.map((m) => m.label).join(" | ")} |`,
      `|---|---|---|${others.map(() => "---|").join("")}`,
      ...r.sizes.pages.map((p) => {
        const c = curve[p.key];
        const cell = (m) => `+${fmt(c.extraUs[m.id] / 1000, 2)}${c.statuses[m.id]?.[200] === c.requests ? "" : " (cut)"}`;
        return `| ${p.kind} | ${p.kb} | ${fmt(c.passUs / 1000, 2)} | ${others.map(cell).join(" | ")} |`;
      }),
    );
  }
  if (r.alloc) {
    lines.push(
      "",
      "Allocation per request (V8 `--trace-gc` in a second workerd, one case at a time, 20 connections; heap before a collection minus after the previous one):",
      "",
      "| case | what | KB allocated / request | GC pause ms / 1000 requests | full GCs / 10k requests | longest pause ms | collections |",
      "|---|---|---|---|---|---|---|",
      ...Object.entries(r.alloc).map(([id, a]) =>
        a.error
          ? `| ${caseName(id)} | ${a.label} | ${a.error} | | | | |`
          : `| ${caseName(id)} | ${a.label} | ${fmt(a.kbPerRequest, 1)} | ${fmt(a.pauseMsPer1000, 1)} | ${fmt(a.fullCollectionsPer10k, 1)} | ${fmt(a.longestPauseMs, 1)} | ${a.collections} |`,
      ),
    );
  }
  if (r.instructions) {
    lines.push("", "Instructions per request (valgrind's callgrind on a third workerd of the same config, each case's requests counted alone, one keep-alive connection; the minimum of the repetitions). Under valgrind V8's JIT tiers up less, so JavaScript weighs more than at full speed; the ratio is baseline ÷ case, beside the throughput target:", "");
    if (r.instructions.reason) lines.push(`n/a: ${r.instructions.reason}`);
    else {
      const { counts, cases } = r.instructions;
      lines.push("| case | what | kIr / request | over its baseline | ratio baseline ÷ case | throughput target |", "|---|---|---|---|---|---|");
      for (const [id, c] of Object.entries(counts)) {
        const base = cases[id].base && counts[cases[id].base];
        const over = base ? c.kIr - base.kIr : NaN;
        const target = cases[id].floorOf ? `floor for ${cases[id].floorOf.map((x) => `(${caseName(x)})`).join(", ")}` : cases[id].target ? `≥ ${cases[id].target}` : "";
        lines.push(`| ${caseName(id)} | ${c.label} | ${c.error ?? fmt(c.kIr, 1)} | ${Number.isFinite(over) ? `+${fmt(over, 1)}` : ""} | ${base ? fmt(base.kIr / c.kIr, 3) : ""} | ${target} |`);
      }
    }
  }
  if (r.bundle?.modules?.length) {
    lines.push(
      "",
      `Bundle by module group (minified bytes from esbuild's metafile; gzip cost = the ${fmt(r.bundle.gzip / 1024, 1)} KiB total minus the gzip of the bundle without the group's bytes, from the source map; pro rata = share of the total by minified bytes):`,
      "",
      "| module group | minified KiB | gzip cost KiB | ≈ gzip pro rata KiB |",
      "|---|---|---|---|",
      ...r.bundle.modules.map((m) => `| ${m.group} | ${fmt(m.bytes / 1024, 1)} | ${m.gzipCost === undefined ? "n/a" : fmt(m.gzipCost / 1024, 2)} | ${fmt(m.gzipShare / 1024, 1)} |`),
    );
  }
  if (r.broken.length) lines.push("", "**Harness or correctness failures:**", "", ...r.broken.map((b) => `- ${b.replace(/\n/g, " ")}`));
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------- main
async function main() {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const started = Date.now();
  const report = { date: new Date().toISOString(), options: OPTS, cpus: (await import("node:os")).cpus().length, broken };
  report.workerdVersion = (await import("workerd")).version;

  const needWorker = only.has("throughput") || only.has("sizes") || only.has("streaming") || only.has("alloc") || only.has("instructions");
  if (only.has("bundle") || needWorker) {
    log("bundling with wrangler deploy --dry-run …");
    report.bundle = await procs.bundleWorker({ root: ROOT, outdir: path.join(WORK, "bundle"), entry: OPTS.entry });
    if (report.bundle.error) broken.push(report.bundle.error);
    else log(`bundle ${report.bundle.files.join(", ")}: ${report.bundle.raw} B raw, ${report.bundle.gzip} B gzip`);
  }
  if (only.has("bundle") && !report.bundle.error) {
    report.bundleFloor = await bundleFloor(path.join(WORK, "bundle"));
    if (report.bundleFloor.error) broken.push(report.bundleFloor.error);
    else log(`bundle floor (hono as the worker uses it, the policy data): ${report.bundleFloor.raw} B raw, ${report.bundleFloor.gzip} B gzip`);
  }

  if (only.has("decision")) {
    log("decision micro-benchmark …");
    report.decision = await benchDecision(ROOT, WORK);
    if (report.decision.status === "broken") broken.push(report.decision.reason);
    const d = report.decision;
    const states = (size) => Object.keys(d.results[size]).filter((k) => k !== "us").map((k) => `${k} ${fmt(d.results[size][k].us, 3)}`).join(", ");
    log(d.status === "ok" ? `decision: 5 lines ${fmt(d.results[5].us, 3)} µs (${states(5)}), 50 lines ${fmt(d.results[50].us, 3)} µs (${states(50)}); a record's first sight (HMAC verify) ${fmt(d.firstSight.us, 1)} µs` : `decision: ${d.reason}`);
  }

  if (needWorker && !report.bundle.error) {
    const origin = await procs.startOriginProcess(path.join(BENCH, "origin.mjs"));
    await bundleFloors();
    const workerdLog = path.join(WORK, "workerd.log");
    const { workerd, ports } = await startBenchWorkerd({ originPort: origin.port, bundleMain: report.bundle.main, file: "workerd.capnp", logFile: "workerd.log" });
    log(`origin :${ports.origin}, workerd pid ${workerd.pid} pass-through :${ports.passthrough}, consent-edge :${ports.edge}, floors ${FLOOR_WORKERS.map((w) => `${w.name} :${ports[w.portKey]}`).join(", ")}`);

    // Streaming first, on a fresh runtime: after the load runs workerd holds hundreds of MB of freed
    // heap that a buffering worker could reuse without the resident size growing.
    if (only.has("streaming")) {
      for (const port of [ports.passthrough, ports.edge]) await request({ port, path: PATHS.page, headers: { host: HOST } });
      log(`streaming ${OPTS.downloadBytes / MiB} MiB down, ${OPTS.uploadBytes / MiB} MiB up through consent-edge …`);
      report.streaming = await benchStreaming({
        pid: workerd.pid,
        port: ports.edge,
        host: HOST,
        paths: PATHS,
        downloadBytes: OPTS.downloadBytes,
        uploadBytes: OPTS.uploadBytes,
      });
      for (const key of ["download", "upload"]) {
        const x = report.streaming[key];
        if (x.error) broken.push(`streaming ${key}: ${x.error}`);
        else log(`${key}: ${fmt(x.seconds, 1)} s, workerd RSS ${fmt(mb(x.rssBefore), 1)} → peak ${fmt(mb(x.rssPeak), 1)} MB`);
      }
    }
    const consent = only.has("throughput") || only.has("alloc") || only.has("instructions") ? await benchConsent(ports) : undefined;
    if (only.has("throughput")) report.throughput = await benchThroughput(ports, workerd.pid, consent);
    if (only.has("sizes")) report.sizes = await benchSizes(ports, workerd.pid);
    if (only.has("alloc")) {
      const gcLog = path.join(WORK, "workerd-gc.log");
      const { workerd: gcWorkerd, ports: gcPorts } = await startBenchWorkerd({
        originPort: origin.port,
        bundleMain: report.bundle.main,
        file: "workerd-gc.capnp",
        logFile: "workerd-gc.log",
        floors: false,
        v8Flags: ["--trace-gc"],
        start: { lineBuffered: true },
      });
      log(`allocation: workerd --trace-gc pid ${gcWorkerd.pid} …`);
      const all = defineCases(gcPorts, consent);
      report.alloc = await benchAllocation({
        cases: Object.fromEntries(ALLOC_CASES.map((id) => [id, all[id]])),
        logFile: gcLog,
        seconds: quick ? 1 : 3,
      });
      await procs.stop(gcWorkerd);
    }
    if (only.has("instructions")) report.instructions = await instructionCounts(origin.port, report.bundle.main, consent);
    if (workerd.exitCode !== null) broken.push(`workerd exited (${workerd.exitCode}) during the run; see ${workerdLog}`);
    await procs.stopAll();
  } else if (needWorker) {
    report.streaming = { reason: "no bundle" };
  }

  report.seconds = (Date.now() - started) / 1000;
  const rows = targetRows(report);
  report.targets = rows;
  const md = renderMarkdown(report, rows);
  fs.writeFileSync(path.join(RESULTS, "latest.md"), md);
  fs.writeFileSync(path.join(RESULTS, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${md}`);
  log(`done in ${fmt(report.seconds, 0)} s; written to bench/results/latest.md and latest.json`);
  return broken.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (e) => {
    console.error("bench: harness failed:", e?.stack ?? e);
    await procs.stopAll();
    process.exit(1);
  },
);
