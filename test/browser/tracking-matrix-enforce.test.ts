// The tracking matrix (./tracking-matrix.ts) with the CSP enforced (the default), and the demo
// portal's own pages under that CSP.
import { describe, expect, it } from "vitest";
import { useChromiumStack } from "./chromium";
import { trackingMatrix } from "./tracking-matrix";

trackingMatrix("enforce");

describe("the demo portal under the enforced CSP", () => {
  const chromium = useChromiumStack({ protocol: "http" });

  it("loads its pages, styles, forms and the banner with no CSP violation of its own resources", { timeout: 120_000 }, async () => {
    const context = await chromium.browser.newContext();
    await context.addInitScript(() => {
      const w = window as unknown as { __violations: string[] };
      w.__violations = [];
      document.addEventListener("securitypolicyviolation", (e) => w.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    const p = await context.newPage();
    for (const path of ["/", "/explore", "/explore/dataset/qualite-de-l-air/", "/login"]) {
      const res = await p.goto(`${chromium.base}${path}`, { waitUntil: "networkidle" });
      expect(res!.status(), path).toBe(200);
      expect(res!.headers()["content-security-policy"], path).toContain("default-src 'self'");
      expect(await p.evaluate(() => (window as unknown as { __violations: string[] }).__violations), path).toEqual([]);
      // Its inline stylesheet applies and the banner is styled (inline styles allowed).
      expect(await p.evaluate(() => getComputedStyle(document.body).marginTop), path).toBe("0px");
      expect(await p.isVisible("#consent-edge-banner"), path).toBe(true);
    }
    await context.close();
  });
});
