// Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core. Tenant
// hostnames resolve to the local worker, so the browser sends the tenant's Host and keeps
// cookies per tenant domain as it would in production.
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
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
      "--host-resolver-rules=MAP *.opendatasoft.com 127.0.0.1, MAP opendatasoft.com 127.0.0.1",
    ],
  });
}
