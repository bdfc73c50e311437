// Child processes of the bench (origin, workerd): started here, all killed on exit or signal,
// each start bounded in time. Also the raw `workerd serve` setup: one capnp config, two workers.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import zlib from "node:zlib";
import path from "node:path";
import workerd from "workerd";
import { gzipCostByGroup } from "./bundle-cost.mjs";

// The package is CommonJS with `__esModule`: Node hands ESM importers module.exports as the default.
const workerdPath = typeof workerd === "string" ? workerd : workerd.default;

const children = new Set();

function killAll(signal = "SIGTERM") {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal);
      } catch {}
    }
  }
}
process.on("exit", () => killAll("SIGKILL"));
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

function track(child, label) {
  children.add(child);
  child.on("exit", () => children.delete(child));
  child.label = label;
  return child;
}

/**
 * CPU pinning: workerd (one thread does the work) gets CPU 0 to itself; the origin and the load
 * generator share the rest, so they do not steal workerd's core. Opt-in (BENCH_PIN=1, needs taskset): on a
 * shared machine a pinned process cannot move away from someone else's load, which made runs noisier here.
 */
const CPUS = (await import("node:os")).availableParallelism();
const PIN =
  process.env.BENCH_PIN === "1" && CPUS >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0
    ? { workerd: "0", origin: "1", self: CPUS >= 3 ? `2-${CPUS - 1}` : "1" }
    : undefined;
export const pinning = PIN ? `workerd on CPU ${PIN.workerd}, origin on ${PIN.origin}, load generator on ${PIN.self}` : "none";
if (PIN) spawnSync("taskset", ["-a", "-p", "-c", PIN.self, String(process.pid)], { stdio: "ignore" });
const pinned = (cpus, cmd, args) => (PIN ? ["taskset", ["-c", cpus, cmd, ...args]] : [cmd, args]);

/** Stops one child we started: SIGTERM, then SIGKILL after 3 s. */
export function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => (clearTimeout(timer), resolve()));
    child.kill("SIGTERM");
  });
}

export function stopAll() {
  return Promise.all([...children].map(stop));
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts bench/origin.mjs in its own process (its own core); resolves with { child, port }. */
export function startOriginProcess(originScript, timeoutMs = 10_000) {
  const child = track(spawn(...pinned(PIN?.origin, process.execPath, [originScript]), { stdio: ["ignore", "inherit", "inherit", "ipc"] }), "origin");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`origin did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once("message", (m) => (clearTimeout(timer), resolve({ child, port: m.port })));
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`origin exited (${code}) before listening`))));
  });
}

function waitForPort(port, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`workerd exited (${child.exitCode}); see its log`));
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => (sock.destroy(), resolve()));
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`workerd did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

const capnpString = (s) => JSON.stringify(s);

/** BENCH_VARS="CSP_MODE=off,CSP_REPORT_SAMPLE=0": more text bindings for both workers (e.g. to time the rewriter's full coverage). */
/** The BENCH_VARS pairs (`K=V,K2=V2`), as [name, value]. */
function benchVars() {
  const raw = process.env.BENCH_VARS;
  if (!raw) return [];
  return raw
    .split(",")
    .filter((kv) => kv.includes("="))
    .map((kv) => [kv.slice(0, kv.indexOf("=")).trim(), kv.slice(kv.indexOf("=") + 1).trim()]);
}

/** A worker's settings: the compatibility of wrangler.toml, text bindings (a later name wins over an earlier one), loopback outbound. */
function workerSettings({ compatibilityDate, compatibilityFlags, vars }) {
  const bindings = [...new Map(vars)].map(([name, text]) => `(name = ${capnpString(name)}, text = ${capnpString(text)})`).join(", ");
  return (
    `compatibilityDate = ${capnpString(compatibilityDate)},\n` +
    `  compatibilityFlags = [${compatibilityFlags.map(capnpString).join(", ")}],\n` +
    `  bindings = [${bindings}],\n` +
    `  globalOutbound = "loopback",`
  );
}

/**
 * Writes a capnp config into `dir` serving the pass-through worker on `ports.passthrough` and the
 * consent-edge bundle (the files of `bundleDir`, `mainModule` first) on `ports.edge`, both with
 * ORIGIN bound to the bench origin; with `ports.edgeUnparsed`, the same bundle there with
 * MARKUP_MODE=csp-only (pages of visitors without consent pass unparsed). The outbound network allows loopback, which workerd refuses by default.
 * `extraWorkers` ([{ name, file, port }]): more single-module workers (the bench's floors, e.g.
 * bench/floor-cookies.mjs), each a service of that name on its port, with the same settings and
 * bindings as the pass-through. `vars` ([[name, text]]): more text bindings for every worker, after BENCH_VARS.
 */
export function writeWorkerdConfig({ dir, passthroughFile, bundleDir, mainModule, ports, origin, compatibilityDate, compatibilityFlags, v8Flags = [], extraWorkers = [], vars: moreVars = [], file: configName = "workerd.capnp" }) {
  fs.mkdirSync(path.join(dir, "edge"), { recursive: true });
  fs.copyFileSync(passthroughFile, path.join(dir, "passthrough.mjs"));
  for (const w of extraWorkers) {
    if (!/^[a-z][a-z0-9-]*$/.test(w.name) || ["passthrough", "edge", "edge-unparsed", "loopback"].includes(w.name)) throw new Error(`bad extra worker name ${w.name}`);
    fs.copyFileSync(w.file, path.join(dir, `${w.name}.mjs`));
  }
  // capnp constant names: identifiers.
  const constName = (name) => `extra${name.replace(/(^|-)([a-z0-9])/g, (_, _d, ch) => ch.toUpperCase())}`;
  const modules = fs
    .readdirSync(bundleDir)
    .filter((f) => /\.(m?js|wasm)$/.test(f))
    .sort((a, b) => (a === mainModule ? -1 : b === mainModule ? 1 : a.localeCompare(b)));
  if (modules[0] !== mainModule) throw new Error(`bundle has no ${mainModule}`);
  for (const f of modules) fs.copyFileSync(path.join(bundleDir, f), path.join(dir, "edge", f));
  const moduleList = modules
    .map((f) => `(name = ${capnpString(f)}, ${f.endsWith(".wasm") ? "wasm" : "esModule"} = embed ${capnpString(`edge/${f}`)})`)
    .join(",\n      ");
  const vars = [["ORIGIN", origin], ["CONSENT_SECRET", "bench-consent-secret-0123456789abcdef"], ...benchVars(), ...moreVars];
  const common = workerSettings({ compatibilityDate, compatibilityFlags, vars });
  // The second worker: MARKUP_MODE=csp-only, whatever BENCH_VARS says.
  const unparsed = workerSettings({ compatibilityDate, compatibilityFlags, vars: [...vars, ["MARKUP_MODE", "csp-only"]] });
  const config = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "passthrough", worker = .passthrough),
    (name = "edge", worker = .edge),${ports.edgeUnparsed ? `\n    (name = "edge-unparsed", worker = .edgeUnparsed),` : ""}
${extraWorkers.map((w) => `    (name = ${capnpString(w.name)}, worker = .${constName(w.name)}),\n`).join("")}    (name = "loopback", network = (allow = ["local", "private"])),
  ],
  sockets = [
    (name = "passthrough", address = "127.0.0.1:${ports.passthrough}", http = (), service = "passthrough"),
    (name = "edge", address = "127.0.0.1:${ports.edge}", http = (), service = "edge"),${ports.edgeUnparsed ? `\n    (name = "edge-unparsed", address = "127.0.0.1:${ports.edgeUnparsed}", http = (), service = "edge-unparsed"),` : ""}
${extraWorkers.map((w) => `    (name = ${capnpString(w.name)}, address = "127.0.0.1:${w.port}", http = (), service = ${capnpString(w.name)}),\n`).join("")}  ],${v8Flags.length ? `\n  v8Flags = [${v8Flags.map(capnpString).join(", ")}],` : ""}
);

const passthrough :Workerd.Worker = (
  modules = [(name = "passthrough.mjs", esModule = embed "passthrough.mjs")],
  ${common}
);

const edge :Workerd.Worker = (
  modules = [
      ${moduleList}
  ],
  ${common}
);
${ports.edgeUnparsed ? `
const edgeUnparsed :Workerd.Worker = (
  modules = [
      ${moduleList}
  ],
  ${unparsed}
);
` : ""}${extraWorkers
    .map(
      (w) => `
const ${constName(w.name)} :Workerd.Worker = (
  modules = [(name = ${capnpString(`${w.name}.mjs`)}, esModule = embed ${capnpString(`${w.name}.mjs`)})],
  ${common}
);
`,
    )
    .join("")}`;
  const file = path.join(dir, configName);
  fs.writeFileSync(file, config);
  return file;
}

/** Starts the workerd binary itself (not the npm wrapper), so its pid is the runtime's for /proc. */
export async function startWorkerd(configFile, ports, logFile, timeoutMs = 15_000, { lineBuffered = false, prefix = [] } = {}) {
  const log = fs.openSync(logFile, "w");
  // V8's --trace-gc writes with stdio buffering: line-buffered (stdbuf) so the log is current.
  // `prefix`: a command that runs workerd (valgrind for the instruction counts).
  const serve = [...prefix, workerdPath, "serve", configFile];
  const [cmd, args] = lineBuffered && spawnSync("stdbuf", ["--version"], { stdio: "ignore" }).status === 0
    ? ["stdbuf", ["-oL", "-eL", ...serve]]
    : [serve[0], serve.slice(1)];
  const child = track(spawn(...pinned(PIN?.workerd, cmd, args), { stdio: ["ignore", log, log], cwd: path.dirname(configFile) }), "workerd");
  fs.closeSync(log);
  for (const port of ports) await waitForPort(port, child, timeoutMs);
  return child;
}

/**
 * CPU time a process has run, in ns, all its threads (Linux /proc/<pid>/task/<tid>/schedstat,
 * first field); NaN where unavailable. Unlike throughput, this barely moves with what else the
 * machine runs: it is the bench's measure of work per request.
 */
export function cpuNsOf(pid) {
  try {
    let ns = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ", 1)[0]);
    }
    return ns;
  } catch {
    return NaN;
  }
}

/** VmRSS and VmHWM of a process, in bytes (Linux /proc). */
export function memoryOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** Resets the process's peak RSS (VmHWM) to its current RSS; false where the kernel refuses. */
export function resetPeakRss(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** The room a bundled input belongs to, for the size breakdown. */
function moduleGroup(input) {
  const p = input.replace(/\\/g, "/");
  if (/(^|\/)policies\//.test(p) || /src\/policy\/shipped\.generated\.ts$/.test(p)) return "policy data (shipped.generated.ts)";
  const src = /(?:^|\/)src\/(?:([^/]+)\/)?[^/]+$/.exec(p);
  if (src) return src[1] ? `src/${src[1]}/` : "src/ (wiring)";
  const hono = /node_modules\/hono\/dist\/(?:(jsx|middleware|router|utils|helper)\/)?/.exec(p);
  if (hono) return `hono${hono[1] ? `/${hono[1]}` : " (core)"}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p);
  return pkg ? pkg[1] : p;
}

/**
 * Minified bytes per module group from esbuild's metafile, largest first; gzip shared pro rata,
 * and, when the bundle's source map is there, what the group really adds to the gzip size
 * (`gzipCost`, bench/lib/bundle-cost.mjs).
 */
function moduleSizes(metafile, gzipTotal, codePath) {
  const meta = JSON.parse(fs.readFileSync(metafile, "utf8"));
  const out = Object.entries(meta.outputs).find(([name]) => /\.m?js$/.test(name))?.[1];
  if (!out) return [];
  const groups = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) {
    const g = moduleGroup(input);
    groups.set(g, (groups.get(g) ?? 0) + bytesInOutput);
  }
  const total = [...groups.values()].reduce((a, b) => a + b, 0) || 1;
  let cost = new Map();
  if (codePath && fs.existsSync(`${codePath}.map`)) {
    cost = gzipCostByGroup(fs.readFileSync(codePath, "utf8"), JSON.parse(fs.readFileSync(`${codePath}.map`, "utf8")), moduleGroup);
  }
  return [...groups]
    .map(([group, bytes]) => ({ group, bytes, gzipShare: (bytes / total) * gzipTotal, gzipCost: cost.get(group) }))
    .sort((a, b) => b.bytes - a.bytes);
}

/**
 * Bundles the worker as it deploys (`wrangler deploy --dry-run --outdir`, `entry` instead of
 * wrangler.toml's main when given), with esbuild's metafile. Resolves { raw, gzip, files, main,
 * modules } (modules: the size by module group) or { error }.
 */
export function bundleWorker({ root, outdir, entry, minify = true }) {
  fs.rmSync(outdir, { recursive: true, force: true });
  const wrangler = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  const config = path.join(root, "wrangler.toml");
  const metafile = `${outdir}.meta.json`;
  const args = [wrangler, "deploy", ...(entry ? [entry] : []), "--config", config, "--dry-run", "--outdir", outdir, "--metafile", metafile, ...(minify ? [] : ["--minify=false"])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const files = fs.existsSync(outdir) ? fs.readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f)) : [];
      if (code !== 0 || files.length === 0) return resolve({ error: `wrangler deploy --dry-run failed (${code}):\n${out.replace(/\x1b\[[0-9;]*m/g, "").trim().split("\n").slice(-12).join("\n")}` });
      let raw = 0;
      let gzip = 0;
      for (const f of files) {
        const buf = fs.readFileSync(path.join(outdir, f));
        raw += buf.length;
        gzip += zlib.gzipSync(buf).length;
      }
      const stem = entry ? path.basename(entry).replace(/\.[^.]+$/, "") : "index";
      const main = files.find((f) => f === `${stem}.js`) ?? files.find((f) => f === "index.js") ?? files[0];
      let modules = [];
      try {
        modules = moduleSizes(metafile, gzip, path.join(outdir, main));
      } catch {}
      resolve({ raw, gzip, files, main, modules });
    });
  });
}

/** The compatibility date and flags of wrangler.toml, so raw workerd runs the worker as wrangler would. */
export function readWranglerConfig(root) {
  const toml = fs.readFileSync(path.join(root, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  return { compatibilityDate: date ?? "2026-10-23", compatibilityFlags: flags ? [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]) : [] };
}
