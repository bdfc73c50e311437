// Expiry proven in a real browser, over http and over https (wrangler dev serves both): a
// cookie set while consented, HttpOnly and (over https) Secure, on the host and on the parent
// domain, is gone from Chromium's jar after the visitor refuses.
import { describe, expect, it } from "vitest";
import { useChromiumStack } from "../browser/chromium";
import { recordName, signedRecord } from "./record";

function spec(setCookies: string[]): string {
  return Buffer.from(JSON.stringify({ setCookies, body: "<!doctype html><title>x</title>ok" })).toString("base64url");
}

for (const protocol of ["http", "https"] as const) {
  describe(`expiry over ${protocol}`, () => {
    const chromium = useChromiumStack({ protocol });

    it("removes consented cookies from the jar, HttpOnly included, once consent is withdrawn", async () => {
      const context = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
      const base = chromium.base;
      const secure = protocol === "https" ? "; Secure" : "";
      const far = "Expires=Wed, 21 Oct 2099 07:28:00 GMT";
      const record = (value: string) => ({
        name: recordName(protocol),
        value,
        domain: "maia.opendatasoft.com",
        path: "/",
        secure: protocol === "https",
        httpOnly: true,
      });
      await context.addCookies([record(await signedRecord(["ga", "matomo", "xiti", "at"]))]);
      const page = await context.newPage();
      const setting = [
        `_ga=GA1.2.3; ${far}; Path=/; HttpOnly${secure}`,
        `_gid=GA1.4; ${far}; Path=/; Domain=opendatasoft.com${secure}`,
        `_pk_id.1.ab=x; ${far}; Path=/${secure}`,
        `sessionid=s1; ${far}; Path=/; HttpOnly${secure}`,
      ];
      const first = await page.goto(`${base}/__fixture/respond?spec=${spec(setting)}`);
      expect(first!.status()).toBe(200);
      const before = (await context.cookies()).map((c) => c.name).sort();
      expect(before).toEqual(["_ga", "_gid", "_pk_id.1.ab", recordName(protocol), "sessionid"].sort());
      const ga = (await context.cookies()).find((c) => c.name === "_ga")!;
      expect(ga.httpOnly).toBe(true);
      expect(ga.secure).toBe(protocol === "https");

      await context.addCookies([record(await signedRecord([]))]);
      await page.goto(`${base}/__fixture/echo`);
      const after = (await context.cookies()).map((c) => c.name).sort();
      expect(after).toEqual([recordName(protocol), "sessionid"].sort());
      await context.close();
    });
  });
}
