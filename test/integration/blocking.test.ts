// Script blocking through the whole worker for tags served from the portal's own host
// (server-side tagging): the policy's markers catch them, not only the third-party hosts.
import { describe, expect, it } from "vitest";
import { FULL_CONSENT_COOKIE, call, respondPath } from "../helpers";

const PAGE = '<!doctype html><html><head><script async src="/gtag/js?id=G-SELF1"></script><script src="/metrics/gtm.js?id=GTM-X"></script></head><body>hi</body></html>';
const spec = { headers: [["Content-Type", "text/html; charset=utf-8"]] as Array<[string, string]>, body: PAGE };

describe("same-host analytics tags", () => {
  it("are neutralised without consent", async () => {
    const html = await (await call(respondPath(spec), { headers: { "sec-gpc": "1" } })).text();
    expect(html.match(/type="text\/plain"/g)).toHaveLength(2);
    expect(html.match(/data-consent-blocked="google-analytics"/g)).toHaveLength(2);
  });

  it("pass unchanged with consent", async () => {
    const html = await (await call(respondPath(spec), { headers: { cookie: `${FULL_CONSENT_COOKIE}` } })).text();
    expect(html).toBe(PAGE);
  });
});
