// Real headless Chromium (Debian's chromium-headless-shell or chromium: chromium-launch.ts) driven by playwright-core, in front of the
// real stack (the test origin and `wrangler dev`). Tenant hostnames resolve to the local worker,
// so the browser sends the tenant's Host and keeps cookies per tenant domain as in production.
//
// The one set-up of every browser suite is useChromiumStack(). By default the stack and Chromium
// are shared: the node project's broker (test/browser/broker.global.ts) starts each stack
// configuration once per run and one Chromium server, and each suite gets its own connection
// (its contexts and cookie jars are its own). A suite whose checks read or change the stack's own
// state (the origin's hit counters, the worker's logs, its D1) asks for `own: true`.
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { startStack, type Stack, type StackOptions } from "../e2e/stack";
import type { SharedStackAddress, SharedStackRequest } from "./broker.global";
import { CHROMIUM, connectChromium, launchOwnChromium } from "./chromium-launch";

export { CHROMIUM };

/** The broker's URL, when the project runs one (undefined outside the node project). */
function broker(): string | undefined {
  try {
    return inject("stackBroker");
  } catch {
    return undefined;
  }
}

async function ask<T>(path: string, body: unknown): Promise<T> {
  const url = broker();
  if (!url) throw new Error("no stack broker in this vitest project (test/browser/broker.global.ts)");
  const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const answer = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`stack broker: ${answer.error ?? res.status}`);
  return answer;
}

/**
 * Chromium for this suite: a connection to the run's shared browser, or a browser of its own
 * without a broker or with `resolverRules`: more `--host-resolver-rules` entries, e.g.
 * `MAP *.google-analytics.com 127.0.0.1` to send a tracker host to a loopback server that counts
 * its connections (tracker-server.ts); the shared browser resolves only the tenants' names.
 */
export async function launchChromium(resolverRules: readonly string[] = []): Promise<Browser> {
  if (!broker() || resolverRules.length) return launchOwnChromium(resolverRules);
  const { wsEndpoint } = await ask<{ wsEndpoint: string }>("/chromium", {});
  return connectChromium(wsEndpoint);
}

/** The run's stack for this configuration, started by the broker on first request and stopped by it at the end. */
export async function sharedStack(request: SharedStackRequest): Promise<Stack> {
  const { url, port, originUrl } = await ask<SharedStackAddress>("/stack", request);
  return {
    url,
    port,
    originUrl,
    logs: () => {
      throw new Error("a shared stack's logs are the broker's: use useChromiumStack({ …, own: true }) to read them");
    },
    // The broker stops it when the run ends.
    close: async () => {},
  };
}

export interface ChromiumStackOptions extends StackOptions {
  /**
   * A stack of this suite's own, started and stopped with it, for checks that read or change the
   * stack's state: the origin's hit counters, the worker's logs, its local D1. Implied by
   * `persistTo` and `devTenant`, and wherever no broker runs.
   */
  own?: boolean;
}

/** The stack and the browser of one suite; read them in tests and hooks, once its beforeAll has run. */
export interface ChromiumStack {
  readonly stack: Stack;
  readonly browser: Browser;
  /** The worker as the seed tenant maia: `<protocol>://maia.opendatasoft.com:<port>`. */
  readonly base: string;
  /** The worker reached under another host name: `<protocol>://<host>:<port>`. */
  at(host: string): string;
}

/**
 * The usual setup of a Chromium suite, in the suite it is called in: the stack and Chromium,
 * got together in a beforeAll and let go in an afterAll (the browser first), also when one of
 * the two failed to start.
 */
export function useChromiumStack(options: ChromiumStackOptions, browserOptions: { resolverRules?: readonly string[] } = {}): ChromiumStack {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const own = options.own || options.persistTo !== undefined || options.devTenant !== undefined || !broker();
  beforeAll(async () => {
    const [s, b] = await Promise.allSettled([own ? startStack(options) : sharedStack({ protocol: options.protocol, vars: options.vars }), launchChromium(browserOptions.resolverRules)]);
    if (s.status === "fulfilled") stack = s.value;
    if (b.status === "fulfilled") browser = b.value;
    // The afterAll lets go of whichever did start.
    if (s.status === "rejected") throw s.reason;
    if (b.status === "rejected") throw b.reason;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useChromiumStack: the ${what} is read before its beforeAll ran (or it failed to start)`);
    return value;
  };
  return {
    get stack() {
      return started(stack, "stack");
    },
    get browser() {
      return started(browser, "browser");
    },
    get base() {
      return this.at("maia.opendatasoft.com");
    },
    at(host: string) {
      return `${options.protocol}://${host}:${started(stack, "stack").port}`;
    },
  };
}

/** A visitor's consent state, as the browser suites name them ("no choice" and "undecided" are the same). */
export type VisitorState = "no choice" | "undecided" | "refused" | "Sec-GPC" | "consent";

/**
 * A fresh context for a visitor in `state`: Sec-GPC sent on every request, or the choice made on
 * the portal's /cookies page as a visitor makes it ("Accept all" for consent, "Refuse all"), the
 * 303 and the stored choice checked.
 */
export async function visitorContext(browser: Browser, base: string, state: VisitorState): Promise<BrowserContext> {
  const context = await browser.newContext(state === "Sec-GPC" ? { extraHTTPHeaders: { "Sec-GPC": "1" } } : {});
  if (state === "refused" || state === "consent") {
    const p = await context.newPage();
    await p.goto(`${base}/cookies?lang=en`);
    const [post] = await Promise.all([
      p.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/cookies"),
      p.getByRole("button", { name: state === "consent" ? "Accept all" : "Refuse all", exact: true }).click(),
    ]);
    expect(post.status()).toBe(303);
    await p.waitForLoadState("load");
    const pref = (await context.cookies()).map((c) => c.name);
    expect(pref.some((n) => /cookies_preferences|consent/.test(n)), pref.join()).toBe(true);
    await p.close();
  }
  return context;
}
