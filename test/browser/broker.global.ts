// vitest globalSetup of the node project: one broker, in the main vitest process, that the
// browser suites ask for a stack (the test origin and `wrangler dev` in front of it) and for
// Chromium. Each stack configuration (protocol and vars) is started once, on first request, and
// shared by every suite that asks for the same one; Chromium is one browser server that each
// suite connects to (its contexts stay its own). Everything is stopped when the run ends.
// Running a single file starts only what it asks for; files that ask for nothing start nothing.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserServer } from "playwright-core";
import type { TestProject } from "vitest/node";
import { startStack, type Stack, type StackOptions } from "../e2e/stack";
import { launchChromiumServer } from "./chromium-launch";

declare module "vitest" {
  export interface ProvidedContext {
    /** The broker's URL (http://127.0.0.1:PORT); see test/browser/broker.global.ts. */
    stackBroker: string;
  }
}

/** What a suite may ask for: only what can be shared (no own state directory, no dev tenant). */
export interface SharedStackRequest {
  protocol: "http" | "https";
  vars?: Record<string, string>;
}

/** The broker's answer for a stack: its addresses (the process stays the broker's). */
export interface SharedStackAddress {
  url: string;
  port: number;
  originUrl: string;
}

/** One key per configuration, whatever the order of the vars. */
export function stackKey(request: SharedStackRequest): string {
  const vars = Object.entries(request.vars ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([request.protocol, vars]);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      try {
        resolve(body ? JSON.parse(body) : {});
      } catch (e) {
        reject(e);
      }
    });
    req.on("error", reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export default async function setup(project: TestProject) {
  const stacks = new Map<string, Promise<Stack>>();
  const stateDirs: string[] = [];
  let chromium: Promise<BrowserServer> | undefined;

  async function stackFor(request: SharedStackRequest): Promise<Stack> {
    const key = stackKey(request);
    let stack = stacks.get(key);
    if (!stack) {
      stack = (async () => {
        // A state directory of its own (its local D1, …): two wrangler dev never write one SQLite file.
        const persistTo = await mkdtemp(join(tmpdir(), "consent-edge-shared-stack-"));
        stateDirs.push(persistTo);
        const options: StackOptions = { protocol: request.protocol, vars: request.vars, persistTo };
        return startStack(options);
      })();
      stacks.set(key, stack);
      // A failed start is not kept: the next suite that asks tries again (and reports its own error).
      stack.catch(() => stacks.delete(key));
    }
    return stack;
  }

  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.method === "POST" && req.url === "/stack") {
          const request = (await readJson(req)) as SharedStackRequest;
          if (request.protocol !== "http" && request.protocol !== "https") return answer(res, 400, { error: "protocol must be http or https" });
          const stack = await stackFor(request);
          return answer(res, 200, { url: stack.url, port: stack.port, originUrl: stack.originUrl } satisfies SharedStackAddress);
        }
        if (req.method === "POST" && req.url === "/chromium") {
          if (!chromium) {
            chromium = launchChromiumServer();
            chromium.catch(() => (chromium = undefined));
          }
          return answer(res, 200, { wsEndpoint: (await chromium).wsEndpoint() });
        }
        answer(res, 404, { error: `no ${req.method} ${req.url}` });
      } catch (e) {
        answer(res, 500, { error: e instanceof Error ? e.message : String(e) });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  project.provide("stackBroker", `http://127.0.0.1:${port}`);

  return async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    const started = await Promise.allSettled([...stacks.values()]);
    const browser = await chromium?.catch(() => undefined);
    await Promise.allSettled([browser?.close(), ...started.map((s) => (s.status === "fulfilled" ? s.value.close() : undefined))]);
    await Promise.allSettled(stateDirs.map((d) => rm(d, { recursive: true, force: true })));
  };
}
