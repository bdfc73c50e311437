// No response made for one consent state is reused for another (src/proxy/cache.ts): what the
// worker changed, or treats by consent, is private and no-store without validators; what it did
// not change keeps the origin's caching headers; document requests lose their validators.
import { describe, expect, it } from "vitest";
import { FULL_CONSENT_COOKIE, call, echoHeader, respondPath, type Echo } from "../helpers";

const CACHEABLE: Array<[string, string]> = [
  ["cache-control", "public, max-age=3600"],
  ["etag", '"v1"'],
  ["last-modified", "Wed, 21 Oct 2026 07:28:00 GMT"],
];
const PAGE = `<!doctype html><html><head><title>p</title><script>gtag('config', 'G-DEMO123')</script></head><body><p>x</p></body></html>`;

function expectNoReuse(res: Response) {
  expect(res.headers.get("cache-control")).toBe("private, no-store");
  expect(res.headers.get("etag")).toBeNull();
  expect(res.headers.get("last-modified")).toBeNull();
}

describe("caching of consent-dependent responses", () => {
  it("makes a rewritten HTML page private and no-store, without validators", async () => {
    const res = await call(respondPath({ headers: [["content-type", "text/html"], ...CACHEABLE], body: PAGE }));
    expect(await res.text()).toContain('type="text/plain"');
    expectNoReuse(res);
  });

  it("does the same for a document the visitor's consent left as it came (full consent)", async () => {
    const res = await call(respondPath({ headers: [["content-type", "text/html"], ...CACHEABLE], body: PAGE }), { headers: { cookie: FULL_CONSENT_COOKIE } });
    expect(await res.text()).toContain("gtag('config'");
    expectNoReuse(res);
  });

  it("does the same for a non-document whose Set-Cookie lines were stripped", async () => {
    const res = await call(respondPath({ headers: [["content-type", "application/json"], ...CACHEABLE], setCookies: ["_gid=1; Path=/"], body: "{}" }));
    expect(res.headers.getSetCookie()).toEqual([]);
    expectNoReuse(res);
  });

  it("keeps the origin's caching headers on a response it did not change", async () => {
    const res = await call(respondPath({ headers: [["content-type", "application/json"], ...CACHEABLE], setCookies: ["csrftoken=t; Path=/"], body: "{}" }));
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(res.headers.get("etag")).toBe('"v1"');
    expect(res.headers.get("last-modified")).toBe("Wed, 21 Oct 2026 07:28:00 GMT");
    await res.text();
  });

  it("never forwards the validators of a document request, so no 304 revives a page cached for another state", async () => {
    const conditional = { "if-none-match": '"v1"', "if-modified-since": "Wed, 21 Oct 2026 07:28:00 GMT" };
    const documentHeaders: Array<Record<string, string>> = [{ accept: "text/html,*/*;q=0.8" }, { "sec-fetch-dest": "document" }];
    for (const headers of documentHeaders) {
      const echo = (await (await call("/__fixture/echo", { headers: { ...conditional, ...headers } })).json()) as Echo;
      expect(echoHeader(echo, "if-none-match")).toEqual([]);
      expect(echoHeader(echo, "if-modified-since")).toEqual([]);
    }
    // An image keeps them, and may get its 304.
    const img = (await (await call("/__fixture/echo", { headers: { ...conditional, "sec-fetch-dest": "image", accept: "image/*" } })).json()) as Echo;
    expect(echoHeader(img, "if-none-match")).toEqual(['"v1"']);
    const page = respondPath({ headers: [["content-type", "text/html"], ...CACHEABLE], body: PAGE, conditional: true });
    const revalidated = await call(page, { headers: { ...conditional, accept: "text/html" } });
    expect(revalidated.status).toBe(200);
    expectNoReuse(revalidated);
    await revalidated.text();
  });
});
