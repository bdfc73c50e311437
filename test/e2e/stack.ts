// Starts the real stack for tests that run in Node: the demo portal (with its fixture routes)
// and the worker under `wrangler dev`, over http or https, on free loopback ports.
import { spawn, type ChildProcess } from "node:child_process";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { startTestOrigin } from "../fixtures/origin.mjs";
import { TEST_CONSENT_SECRET } from "../secret";

export interface Stack {
  /** The worker's base URL on loopback, e.g. https://127.0.0.1:PORT */
  url: string;
  port: number;
  originUrl: string;
  logs: () => string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function probe(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(url.replace(/^http:/, "https:"), { rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("error", () => resolve(false));
    req.end();
  });
}

async function ready(url: string, child: ChildProcess, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    const ok = url.startsWith("https:") ? await probe(url) : await fetch(url).then(() => true, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer on ${url}`);
}

export interface StackOptions {
  protocol: "http" | "https";
  devTenant?: string;
  vars?: Record<string, string>;
  /** wrangler dev's state directory (its local D1 among others); default .wrangler/state. */
  persistTo?: string;
  /** Another wrangler config than the repository's wrangler.toml (e.g. shorter queue retries). */
  config?: string;
}

/** Tries at most this many port pairs: freePort's port can be taken by another process before wrangler binds it. */
const PORT_ATTEMPTS = 3;

export async function startStack(options: StackOptions): Promise<Stack> {
  const origin = await startTestOrigin({ port: 0 });
  for (let attempt = 1; ; attempt++) {
    try {
      return await startWorker(options, origin);
    } catch (err) {
      if (attempt < PORT_ATTEMPTS && /Address already in use/i.test((err as Error).message)) continue;
      await origin.close();
      throw err;
    }
  }
}

/** wrangler dev in front of `origin` on fresh loopback ports; on failure it is stopped (the origin is not). */
async function startWorker(options: StackOptions, origin: { url: string; close(): Promise<void> }): Promise<Stack> {
  const port = await freePort();
  const inspector = await freePort();
  const vars = { ORIGIN: origin.url as string, CONSENT_SECRET: TEST_CONSENT_SECRET, ...(options.devTenant ? { DEV_TENANT: options.devTenant } : {}), ...options.vars };
  const args = ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--local-protocol", options.protocol];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  if (options.persistTo) args.push("--persist-to", options.persistTo);
  if (options.config) args.push("--config", options.config);
  let output = "";
  const child = spawn("npx", args, {
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `${options.protocol}://127.0.0.1:${port}`;
  const stopWorker = async () => {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {}
      await new Promise((r) => setTimeout(r, 300));
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
    }
  };
  try {
    await ready(url, child, Date.now() + 90_000);
  } catch (err) {
    await stopWorker();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  const close = async () => {
    await stopWorker();
    await origin.close();
  };
  return { url, port, originUrl: origin.url, logs: () => output, close };
}
