/**
 * `npm start`: builds the policies (when scripts/policies.mjs exists), creates and migrates the local D1
 * database (consent records, cookie inventory; miniflare keeps it under .wrangler/state), starts the bundled
 * demo portal on 127.0.0.1:9000 (or the next free port) and runs `wrangler dev` in front of it, offline, as
 * tenant maia.
 * Ctrl-C (SIGINT) or SIGTERM stops both; so does the end of the parent process.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { startOrigin } from "../demo/origin.mjs";

const HOST = "127.0.0.1";
const ORIGIN_PORT = 9000;
const WORKER_PORT = 8787;
const PORT_TRIES = 20;
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;

const root = fileURLToPath(new URL("..", import.meta.url));

function buildPolicies() {
  const script = fileURLToPath(new URL("./policies.mjs", import.meta.url));
  if (!existsSync(script)) {
    console.log("start: scripts/policies.mjs not found; using the policies already built");
    return;
  }
  const result = spawnSync(process.execPath, [script], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`start: scripts/policies.mjs failed (${result.error?.message ?? `exit ${result.status}`}); fix the policies first`);
    process.exit(result.status || 1);
  }
}

const OFFLINE_ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

/** `wrangler d1 migrations apply --local` creates the database on first use and applies what is new. */
function migrateLocalDatabase() {
  const result = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"], {
    cwd: root,
    // No stdin: wrangler answers its "continue?" with yes when nobody can.
    stdio: ["ignore", "inherit", "inherit"],
    env: OFFLINE_ENV,
  });
  if (result.status !== 0) {
    console.error(`start: could not migrate the local D1 database (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(result.status || 1);
  }
}

async function startOriginNear(port) {
  for (let p = port; p < port + PORT_TRIES; p++) {
    try {
      return await startOrigin({ port: p, host: HOST, tenant: "maia" });
    } catch (err) {
      if (err.code !== "EADDRINUSE") throw err;
    }
  }
  throw new Error(`no free port for the demo portal in ${port}-${port + PORT_TRIES - 1}`);
}

function isFree(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}

async function freePortNear(port) {
  for (let p = port; p < port + PORT_TRIES; p++) if (await isFree(p)) return p;
  throw new Error(`no free port for wrangler dev in ${port}-${port + PORT_TRIES - 1}`);
}

/** Resolves true once the worker answers over HTTP, false if `alive()` turns false or time runs out. */
async function waitForWorker(url, alive) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (alive() && Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(5000), redirect: "manual" });
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return false;
}

buildPolicies();
migrateLocalDatabase();
const origin = await startOriginNear(ORIGIN_PORT);
const workerPort = await freePortNear(WORKER_PORT);
const workerUrl = `http://${HOST}:${workerPort}`;
console.log(`start: demo portal on ${origin.url}; starting wrangler dev on ${workerUrl} …`);

const wrangler = spawn(
  "npx",
  ["wrangler", "dev", "--port", String(workerPort), "--ip", HOST,
    "--var", `ORIGIN:${origin.url}`, "--var", "DEV_TENANT:maia",
    // The consent record's HMAC secret: CONSENT_SECRET from the environment, else a fresh one per run
    // (choices are then asked again after a restart). Deployments use `wrangler secret put CONSENT_SECRET`.
    "--var", `CONSENT_SECRET:${process.env.CONSENT_SECRET || randomBytes(32).toString("base64url")}`],
  {
    cwd: root,
    // Its own process group, so one signal reaches npx, wrangler and workerd alike (npx does not pass
    // SIGTERM on). No stdin: a background group must not read the terminal, so wrangler's hotkeys are off.
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    env: OFFLINE_ENV,
  },
);

let running = true;
let stopping = false;
wrangler.on("error", (err) => {
  console.error(`start: could not run wrangler: ${err.message}`);
  running = false;
  origin.close().then(() => process.exit(1));
});
wrangler.on("exit", (code, signal) => {
  running = false;
  origin.close().then(() => process.exit(stopping ? 0 : (code ?? 1)));
});
function stop(signal) {
  if (stopping) return;
  stopping = true;
  if (!running) return;
  signalWrangler(signal);
  setTimeout(() => signalWrangler("SIGKILL"), STOP_GRACE_MS).unref();
}
function signalWrangler(signal) {
  try {
    process.kill(-wrangler.pid, signal);
  } catch {
    // the group is already gone
  }
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
// `npm start` runs us under `sh -c`, which dies on SIGTERM without passing it on: stop with our parent.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && stop("SIGTERM"), 1000).unref();

if (await waitForWorker(`${workerUrl}/`, () => running)) {
  console.log(`
  consent-edge is running.
    open ${workerUrl}  (served as tenant maia; the policy page is ${workerUrl}/cookies)
    or   curl -i -H 'Host: inai.opendatasoft.com' ${workerUrl}/
  The demo portal behind it (${origin.url}) sets statistics cookies on purpose: watch them being stripped.
  Choices made here are recorded in the local D1 database: see them with \`npm run report\`.
  Policies come from the bundle; \`npm run policies -- --push\` writes them to the local KV, and the
  running worker serves a change within POLICY_CACHE_SECONDS (60 s), without a restart.
  Ctrl-C stops both.
`);
} else if (running) {
  console.error(`start: wrangler dev did not answer on ${workerUrl} within ${READY_TIMEOUT_MS / 1000} s`);
}
