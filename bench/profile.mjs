// `npm run bench:profile -- [case] [seconds]`: where consent-edge spends its time on one bench case.
// The same raw `workerd serve` setup as the bench, with workerd's inspector on: the V8 CPU profiler
// samples the worker while the load generator runs the case, and the heaviest functions are printed
// by self time and by total (inclusive) time. Cases: the ids of bench/run.mjs (c, d, D, r, m, e, f).
// The bundle is not minified, so that functions keep their names. `-- --heap f 5` samples allocations instead; `-- --csp-only c 5` profiles (c*) (MARKUP_MODE=csp-only). Writes the raw profile to bench/results/work/<case>.cpuprofile (open it in Chrome DevTools).
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import workerd from "workerd";
import { request, runLoad } from "./lib/load.mjs";
import * as procs from "./lib/processes.mjs";
import { PATHS } from "./origin.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORK = path.join(ROOT, "bench", "results", "work");
const HOST = "maia.opendatasoft.com";
const NECESSARY = "sessionid=q8v2k1m0zx7c3b4n5a6s7d8f9g0h1j2k; csrftoken=Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe";
const workerdPath = typeof workerd === "string" ? workerd : workerd.default;

const args = process.argv.slice(2);
// --heap: V8's sampling heap profiler instead (allocations, those already collected included).
const heap = args.includes("--heap");
// --csp-only: the worker with MARKUP_MODE=csp-only (the starred cases: c -> c*, r -> r*, m -> m*, e -> e*).
const cspOnly = args.includes("--csp-only");
const [caseId = "f", secondsArg = "5"] = args.filter((a) => !a.startsWith("--"));
const CASES = {
  c: { path: PATHS.page },
  d: { path: PATHS.page, consent: "accept" },
  D: { path: PATHS.cacheable, consent: "accept" },
  r: { path: PATHS.page, consent: "refuse" },
  m: { path: PATHS.many, consent: "refuse" },
  e: { path: PATHS.tracked },
  f: { path: PATHS.api },
};
if (!CASES[caseId]) {
  console.error(`profile: unknown case ${caseId}; one of ${Object.keys(CASES).join(", ")}`);
  process.exit(1);
}

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
async function connect(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  let id = 0;
  const pending = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  };
  return {
    send(method, params = {}) {
      const n = ++id;
      ws.send(JSON.stringify({ id: n, method, params }));
      return new Promise((resolve, reject) =>
        pending.set(n, (msg) => (msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result))),
      );
    },
    close: () => ws.close(),
  };
}

/** Self and total time per function (name, file, line), from a V8 CPU profile. */
function summarize(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (dt[i + 1] ?? 0));
  const label = (n) => {
    const f = n.callFrame;
    const file = f.url ? path.basename(f.url) : "";
    return `${f.functionName || "(anonymous)"}${file ? ` ${file}:${f.lineNumber + 1}` : ""}`;
  };
  const self = new Map();
  const total = new Map();
  let all = 0;
  for (const [id, us] of selfUs) {
    all += us;
    const n = nodes.get(id);
    self.set(label(n), (self.get(label(n)) ?? 0) + us);
    // Inclusive: each function once per stack, however often it recurses.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(nodes.get(cur));
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + us);
    }
  }
  return { all, self, total };
}

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  const bundle = await procs.bundleWorker({ root: ROOT, outdir: path.join(WORK, "bundle"), entry: process.env.BENCH_ENTRY || undefined, minify: false });
  if (bundle.error) throw new Error(bundle.error);
  const origin = await procs.startOriginProcess(path.join(ROOT, "bench", "origin.mjs"));
  const ports = { origin: origin.port, passthrough: await procs.freePort(), edge: await procs.freePort() };
  const inspectorPort = await procs.freePort();
  const config = procs.writeWorkerdConfig({
    dir: WORK,
    passthroughFile: path.join(ROOT, "bench", "passthrough.mjs"),
    bundleDir: path.join(WORK, "bundle"),
    mainModule: bundle.main,
    ports,
    origin: `http://127.0.0.1:${origin.port}`,
    vars: cspOnly ? [["MARKUP_MODE", "csp-only"]] : [],
    ...procs.readWranglerConfig(ROOT),
  });
  const child = spawn(workerdPath, ["serve", config, `--inspector-addr=127.0.0.1:${inspectorPort}`], { stdio: "ignore", cwd: WORK });
  process.on("exit", () => child.kill("SIGKILL"));
  try {
    for (let i = 0; i < 100; i++) {
      const r = await request({ port: ports.edge, path: "/", headers: { host: HOST }, timeoutMs: 1000 });
      if (r.status) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const c = CASES[caseId];
    let cookie = NECESSARY;
    if (c.consent) {
      const res = await request({
        port: ports.edge,
        path: "/cookies",
        method: "POST",
        headers: { host: HOST, origin: `http://${HOST}`, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" },
        body: `action=${c.consent}&return=%2F`,
      });
      const pairs = (res.headers?.["set-cookie"] ?? []).filter((l) => !/;\s*max-age=0\b/i.test(l)).map((l) => l.split(";", 1)[0]);
      cookie = [NECESSARY, ...pairs].join("; ");
    }
    const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
    const target = targets.find((t) => /edge/.test(t.title ?? t.id ?? "")) ?? targets.find((t) => !/passthrough/.test(JSON.stringify(t)));
    const cdp = await connect(target.webSocketDebuggerUrl.replace("localhost", "127.0.0.1"));
    const load = { port: ports.edge, path: c.path, headers: { host: HOST, cookie }, connections: 20 };
    await runLoad({ ...load, durationMs: 1000, warmupMs: 0 });
    if (heap) {
      await cdp.send("HeapProfiler.enable");
      await cdp.send("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      const run = await runLoad({ ...load, durationMs: Number(secondsArg) * 1000, warmupMs: 0 });
      const { profile } = await cdp.send("HeapProfiler.stopSampling");
      cdp.close();
      const self = new Map();
      let all = 0;
      const walk = (n) => {
        const f = n.callFrame;
        const l = `${f.functionName || "(anonymous)"}${f.url ? ` ${path.basename(f.url)}:${f.lineNumber + 1}` : ""}`;
        self.set(l, (self.get(l) ?? 0) + n.selfSize);
        all += n.selfSize;
        for (const c of n.children ?? []) walk(c);
      };
      walk(profile.head);
      console.log(`case (${caseId}) ${c.path}: ${run.requests} requests; sampled allocation ${(all / run.requests / 1024).toFixed(1)} KB per request`);
      console.log("\nallocated by (self), bytes per request:");
      for (const [l, b] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(b / run.requests).toFixed(0).padStart(8)}  ${l}`);
      return;
    }
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
    await cdp.send("Profiler.start");
    const run = await runLoad({ ...load, durationMs: Number(secondsArg) * 1000, warmupMs: 0 });
    const { profile } = await cdp.send("Profiler.stop");
    cdp.close();
    fs.writeFileSync(path.join(WORK, `${caseId}.cpuprofile`), JSON.stringify(profile));
    const { all, self, total } = summarize(profile);
    const perReq = (us) => (us / run.requests).toFixed(1);
    const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
    console.log(`case (${caseId}) ${c.path}: ${run.requests} requests, ${run.rps.toFixed(0)} req/s; sampled JS thread time ${perReq(all)} µs per request`);
    console.log("\nself time, µs per request:");
    for (const [l, us] of top(self, 30)) console.log(`${perReq(us).padStart(8)}  ${l}`);
    console.log("\ntotal time (inclusive), µs per request:");
    for (const [l, us] of top(total, 40)) console.log(`${perReq(us).padStart(8)}  ${l}`);
  } finally {
    child.kill("SIGTERM");
    await procs.stopAll();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error("profile:", e?.stack ?? e);
    process.exit(1);
  },
);
