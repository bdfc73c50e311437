// How the browser suites start Chromium (Debian's chromium-headless-shell, else its chromium,
// driven by playwright-core): the flags every launch uses, as a browser of this process or as a
// browser server that several suites connect to (test/browser/broker.global.ts). No vitest
// import: the broker runs it too.
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserServer, type LaunchOptions } from "playwright-core";

/**
 * The Chromium the suites drive: CHROMIUM_PATH if set, else Debian's chromium-headless-shell
 * (the same Chromium, Blink, V8 and network stack, built as the headless shell that Playwright
 * itself uses for headless runs; a full run of npm test here: 202 s against 354 s with the full
 * browser in headless mode, every test passing with both), else Debian's /usr/bin/chromium.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium"].find((p) => existsSync(p)) ?? "/usr/bin/chromium";

/** Every *.opendatasoft.com name goes to loopback; the port comes from the URL. */
const TENANT_RULES = ["MAP *.opendatasoft.com 127.0.0.1", "MAP opendatasoft.com 127.0.0.1"];

function launchOptions(resolverRules: readonly string[] = []): LaunchOptions {
  return {
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
      `--host-resolver-rules=${[...TENANT_RULES, ...resolverRules].join(", ")}`,
    ],
  };
}

/** A Chromium of this process's own; `resolverRules` adds `--host-resolver-rules` entries. */
export function launchOwnChromium(resolverRules: readonly string[] = []): Promise<Browser> {
  return chromium.launch(launchOptions(resolverRules));
}

/** A Chromium server that other processes connect to (`chromium.connect(server.wsEndpoint())`). */
export function launchChromiumServer(): Promise<BrowserServer> {
  return chromium.launchServer(launchOptions());
}

/** A connection to a Chromium server: its contexts are this connection's, closed when it closes. */
export function connectChromium(wsEndpoint: string): Promise<Browser> {
  return chromium.connect(wsEndpoint);
}
