#!/usr/bin/env node
// `npm run bench:tenants`: start-up and per-request cost with 10,000 tenants against 5, in the
// same run (issue 26). Generates the tenants in a temporary directory (never committed): the
// repository's 5 and N - 5 more that extend the base, as policies/README.md shows; validates and
// pushes each set with `npm run policies -- --push` to a local KV state of its own; bundles the
// worker once (wrangler deploy --dry-run: the bundle is the same for both, it holds only the 5
// bundled defaults); then, alternating the two sets, starts a fresh runtime (miniflare: workerd
// with the KV state) and measures
//   - start: the runtime started and the worker's module evaluated (until miniflare is ready),
//   - first: start plus the first response, for a tenant only KV knows (its host and policy read,
//     verified and compiled on first use),
//   - another tenant's first use (its own KV reads, verification and compilation),
//   - warm requests to one tenant: workerd's CPU per request (/proc ticks, utime + stime) and the
//     wall-clock median.
// Medians over the rounds; ratios N / 5. Exits 1 when start or first response is above 1.2x, or
// warm CPU per request above 1.2x (the targets). Options: --tenants N (10000), --rounds R
// (5), --requests K (1500 warm requests per round), --quick (3 rounds, 400 requests).
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({ options: { tenants: { type: "string", default: "10000" }, rounds: { type: "string" }, requests: { type: "string" }, quick: { type: "boolean", default: false } } });
const N = Number(args.tenants);
const ROUNDS = Number(args.rounds ?? (args.quick ? 3 : 5));
const REQUESTS = Number(args.requests ?? (args.quick ? 400 : 1500));
const TICK_MS = 1000 / 100; // USER_HZ
const ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };
const work = mkdtempSync(path.join(os.tmpdir(), "bench-tenants-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

function run(cmd, argv, what) {
  const t = performance.now();
  const r = spawnSync(cmd, argv, { cwd: ROOT, env: ENV, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr || r.stdout}`);
  return { ms: performance.now() - t, stdout: r.stdout };
}

/** A policies folder with the repository's tenants and `n` in all. */
function policiesWith(n, name) {
  const dir = path.join(work, name);
  cpSync(path.join(ROOT, "policies"), dir, { recursive: true });
  for (let i = 1; i <= n - 5; i++) {
    const id = `t-${String(i).padStart(5, "0")}`;
    writeFileSync(path.join(dir, `${id}.json`), JSON.stringify({ extends: "opendatasoft", id, hosts: [`${id}.example.org`], siteUrl: `https://${id}.example.org` }));
  }
  return dir;
}

const sets = [
  { name: "5 tenants", n: 5, host: "maia.opendatasoft.com", other: "inai.opendatasoft.com" },
  { name: `${N} tenants`, n: N, host: `t-${String(Math.floor(N / 2)).padStart(5, "0")}.example.org`, other: `t-${String(N - 5).padStart(5, "0")}.example.org` },
];
for (const s of sets) {
  s.dir = policiesWith(s.n, `policies-${s.n}`);
  s.state = path.join(work, `state-${s.n}`);
  const push = run(process.execPath, [path.join(ROOT, "scripts/policies.mjs"), "--dir", s.dir, "--push", "--persist-to", s.state], `push of ${s.name}`);
  s.pushMs = push.ms;
  s.pushed = /pushed to [^:]*: (\d+) policies changed/.exec(push.stdout)?.[1];
  s.rounds = [];
}
const dist = path.join(work, "dist");
run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", dist], "bundle");
const bundleBytes = readFileSync(path.join(dist, "index.js")).length;
const { compatibility_date: compatibilityDate, compatibility_flags: compatibilityFlags } = (await import("wrangler")).experimental_readRawConfig({ config: path.join(ROOT, "wrangler.toml") }).rawConfig;

function get(url, host) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = http.request(`${url}cookies`, { agent: false, headers: { host, accept: "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`${host}: HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
function getWarm(url, host) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = http.request(`${url}cookies`, { agent: keepAlive, headers: { host, accept: "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`${host}: HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The workerd process miniflare started (a child of this process). */
function workerdPid() {
  for (const p of os.platform() === "linux" ? readdirProc() : []) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid && stat.includes("(workerd)")) return p;
    } catch {}
  }
  return undefined;
}
function readdirProc() {
  return spawnSync("ls", ["/proc"], { encoding: "utf8" }).stdout.split("\n").filter((x) => /^\d+$/.test(x));
}
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

async function round(s) {
  const t0 = performance.now();
  const options = convertV4MiniflareOptions({
    workers: [{ name: "edge", modules: true, modulesRoot: dist, scriptPath: path.join(dist, "index.js"), compatibilityDate, compatibilityFlags,
      kvNamespaces: { POLICY_KV: "00000000000000000000000000000000" }, bindings: { CONSENT_SECRET: "bench-only-secret-0123456789abcdef" } }],
  });
  options.resourcePersistencePath = path.join(s.state, "v3");
  const mf = new Miniflare(options);
  try {
    const url = String(await mf.ready);
    const start = performance.now() - t0;
    await get(url, s.host);
    const first = performance.now() - t0;
    const otherFirst = await get(url, s.other);
    for (let i = 0; i < 50; i++) await getWarm(url, s.host);
    const pid = workerdPid();
    const c0 = pid && cpuTicks(pid);
    const walls = [];
    for (let i = 0; i < REQUESTS; i++) walls.push(await getWarm(url, s.host));
    const cpuUs = pid ? ((cpuTicks(pid) - c0) * TICK_MS * 1000) / REQUESTS : NaN;
    return { start, first, otherFirst, cpuUs, wallMs: median(walls) };
  } finally {
    keepAlive.destroy();
    await mf.dispose();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (let r = 0; r < ROUNDS; r++) {
  // Alternating, and the order swapped each round, so that drift on a shared machine falls on both.
  for (const s of r % 2 ? [...sets].reverse() : sets) s.rounds.push(await round(s));
  process.stderr.write(`round ${r + 1}/${ROUNDS} done\n`);
}

const [small, big] = sets;
const m = (s, k) => median(s.rounds.map((x) => x[k]));
const rows = [
  ["push (validate + write KV), s", (s) => (s.pushMs / 1000).toFixed(1)],
  ["policies written to KV", (s) => s.pushed],
  ["start: runtime + module evaluated, ms", (s) => m(s, "start").toFixed(0)],
  ["first response (from start), ms", (s) => m(s, "first").toFixed(0)],
  ["another tenant's first use, ms", (s) => m(s, "otherFirst").toFixed(1)],
  ["warm request, workerd CPU, us", (s) => m(s, "cpuUs").toFixed(0)],
  ["warm request, wall median, ms", (s) => m(s, "wallMs").toFixed(2)],
];
console.log(`bench:tenants: bundle ${(bundleBytes / 1024).toFixed(1)} KiB (the same for both: it holds the 5 bundled defaults); ${ROUNDS} rounds, ${REQUESTS} warm requests each; medians; ${os.loadavg()[0].toFixed(1)} load`);
const w = [40, 12, 14, 8];
console.log(`${"".padEnd(w[0])}${small.name.padStart(w[1])}${big.name.padStart(w[2])}${"ratio".padStart(w[3])}`);
const ratios = {};
for (const [label, f] of rows) {
  const a = f(small);
  const b = f(big);
  const ratio = Number(b) / Number(a);
  ratios[label] = ratio;
  console.log(`${label.padEnd(w[0])}${String(a).padStart(w[1])}${String(b).padStart(w[2])}${(Number.isFinite(ratio) ? ratio.toFixed(2) : "").padStart(w[3])}`);
}
const checks = [
  ["start", m(big, "start") / m(small, "start")],
  ["first response", m(big, "first") / m(small, "first")],
  ["warm CPU per request", m(big, "cpuUs") / m(small, "cpuUs")],
];
let failed = false;
for (const [what, ratio] of checks) {
  const ok = ratio <= 1.2;
  failed ||= !ok;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}: ${ratio.toFixed(2)}x of 5 tenants (target <= 1.2x)`);
}
process.exit(failed ? 1 : 0);
