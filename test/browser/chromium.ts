// Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core. Tenant
// hostnames resolve to the local worker, so the browser sends the tenant's Host and keeps
// cookies per tenant domain as it would in production.
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { startStack, type Stack, type StackOptions } from "../e2e/stack";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * `resolverRules`: more `--host-resolver-rules` entries, e.g. `MAP *.google-analytics.com 127.0.0.1`
 * to send a tracker host to a loopback server that counts its connections (tracker-server.ts).
 */
export async function launchChromium(resolverRules: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // Every *.opendatasoft.com name goes to loopback; the port comes from the URL.
      `--host-resolver-rules=${["MAP *.opendatasoft.com 127.0.0.1", "MAP opendatasoft.com 127.0.0.1", ...resolverRules].join(", ")}`,
    ],
  });
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
 * The usual setup of a Chromium suite, in the suite it is called in: the real stack (e2e/stack.ts:
 * the demo origin and `wrangler dev`) and Chromium, started together in a beforeAll and closed in
 * an afterAll (the browser first). If one of the two fails to start, the other is closed as well.
 */
export function useChromiumStack(options: StackOptions, browserOptions: { resolverRules?: readonly string[] } = {}): ChromiumStack {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    const [s, b] = await Promise.allSettled([startStack(options), launchChromium(browserOptions.resolverRules)]);
    if (s.status === "fulfilled") stack = s.value;
    if (b.status === "fulfilled") browser = b.value;
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
