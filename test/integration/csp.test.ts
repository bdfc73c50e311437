// The consent-derived CSP through the whole worker, and its report endpoint: the worker's own,
// never proxied, bounded (bad, oversized and flooding reports get a clear 4xx).
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_REPORT_BYTES, REPORT_BUDGET } from "../../src/csp";
import { FULL_CONSENT_COOKIE, call, recordCookie, respondPath } from "../helpers";

const REPORT = "/.consent-edge/csp-report";
const legacyReport = JSON.stringify({
  "csp-report": {
    "document-uri": "http://maia.opendatasoft.com/explore/?q=private",
    "effective-directive": "script-src-elem",
    "blocked-uri": "https://www.google-analytics.com/analytics.js?cid=1",
    disposition: "enforce",
  },
});
const post = (body: BodyInit | null, type: string | null, extra: Record<string, string> = {}, host?: string) =>
  call(REPORT, { method: "POST", body, headers: { ...(type ? { "content-type": type } : {}), ...extra }, host });

afterEach(() => vi.restoreAllMocks());

describe("the CSP on proxied pages", () => {
  it("is enforced on the demo home page without consent, with report directives when sampled (CSP_REPORT_SAMPLE=1 here)", async () => {
    const res = await call("/");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/^default-src 'self' static\.opendatasoft\.com;/);
    // Named hosts only, each where the portal needs it: no wildcard over the tenants' parent domain.
    expect(csp).not.toContain("*.opendatasoft.com");
    expect(csp).toMatch(/; font-src 'self' data: static\.opendatasoft\.com fonts\.gstatic\.com;/);
    expect(csp).toMatch(/; script-src 'self' 'unsafe-inline' 'unsafe-eval' static\.opendatasoft\.com;/);
    expect(csp).toContain("report-uri /.consent-edge/csp-report");
    expect(csp).not.toContain("google-analytics.com");
    expect(res.headers.get("content-security-policy-report-only")).toBeNull();
    await res.text();
  });

  it("puts report-to and Reporting-Endpoints on https pages", async () => {
    const res = await call("/", { https: true });
    expect(res.headers.get("content-security-policy")).toMatch(/report-to consent-edge$/);
    expect(res.headers.get("reporting-endpoints")).toBe(`consent-edge="${REPORT}"`);
    await res.text();
  });

  it("lists a consented service's hosts, and is absent with full consent", async () => {
    const ga = await call("/", { headers: { cookie: await recordCookie(["ga"]) } });
    expect(ga.headers.get("content-security-policy")).toContain("google-analytics.com *.google-analytics.com");
    await ga.text();
    const full = await call("/", { headers: { cookie: FULL_CONSENT_COOKIE } });
    expect(full.headers.get("content-security-policy")).toBeNull();
    await full.text();
  });

  it("keeps the origin's own CSP beside it", async () => {
    const res = await call(respondPath({ headers: [["content-type", "text/html"], ["content-security-policy", "frame-ancestors 'none'"]], body: "<p>x" }));
    const values = res.headers.get("content-security-policy")!;
    expect(values.startsWith("frame-ancestors 'none', default-src 'self'")).toBe(true);
    await res.text();
  });

  it("leaves /cookies with its own strict policy", async () => {
    const res = await call("/cookies");
    expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'none'; style-src 'nonce-[^']+'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/);
    await res.text();
  });
});

describe("the report endpoint", () => {
  it("logs one structured record per violation, host and path only, and answers 204", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const res = await post(legacyReport, "application/csp-report");
    expect(res.status).toBe(204);
    const records = log.mock.calls.map((c) => JSON.parse(String(c[0]))).filter((r) => r.msg === "consent-edge: csp violation");
    expect(records).toEqual([
      { msg: "consent-edge: csp violation", tenant: "maia", directive: "script-src-elem", blockedHost: "www.google-analytics.com", path: "/explore/", disposition: "enforce" },
    ]);
  });

  it("accepts Reporting API batches", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const batch = [1, 2].map((i) => ({ type: "csp-violation", body: { documentURL: `https://maia.opendatasoft.com/p${i}`, blockedURL: `https://t${i}.example/x`, effectiveDirective: "img-src" } }));
    const res = await post(JSON.stringify(batch), "application/reports+json");
    expect(res.status).toBe(204);
    const hosts = log.mock.calls.map((c) => JSON.parse(String(c[0]))).filter((r) => r.msg === "consent-edge: csp violation").map((r) => [r.blockedHost, r.path]);
    expect(hosts).toEqual([["t1.example", "/p1"], ["t2.example", "/p2"]]);
  });

  it("is the worker's own: never proxied, and refused on unknown hosts", async () => {
    const get = await call(REPORT);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(await get.text()).toMatch(/POSTed/);
    const unknown = await post(legacyReport, "application/csp-report", {}, "evil.example.org");
    expect(unknown.status).toBe(421);
    await unknown.text();
  });

  it.each([
    ["no content type", null, legacyReport, 415, /csp-report/],
    ["a form", "application/x-www-form-urlencoded", "a=b", 415, /csp-report/],
    ["not JSON", "application/csp-report", "{oops", 400, /not JSON/],
    ["the wrong shape", "application/csp-report", "[1,2]", 400, /csp-report/],
    ["a batch without violations", "application/reports+json", '[{"type":"network-error","body":{}}]', 400, /no csp-violation/],
  ] as const)("answers %s with a clear %d", async (_, type, body, status, message) => {
    const res = await post(body, type);
    expect(res.status).toBe(status);
    expect(await res.text()).toMatch(message);
  });

  it("refuses an oversized report, declared or streamed, without reading it", async () => {
    const big = JSON.stringify({ "csp-report": { "blocked-uri": "x".repeat(MAX_REPORT_BYTES) } });
    const declared = await post(big, "application/csp-report");
    expect(declared.status).toBe(413);
    expect(await declared.text()).toMatch(/limited to/);
    const chunk = new TextEncoder().encode("x".repeat(8192));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        sent++;
        if (sent > 1000) c.close();
        else c.enqueue(chunk);
      },
    });
    const streamed = await post(stream, "application/csp-report");
    expect(streamed.status).toBe(413);
    await streamed.text();
    // It stopped reading soon after the limit, not after the 8 MB the client offered.
    expect(sent).toBeLessThan(50);
  });

  it("answers a flood with 429 and Retry-After, per tenant, and keeps answering", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    // A seed tenant of its own, so that the budget other tests use is not spent.
    const host = "inai.opendatasoft.com";
    const statuses: number[] = [];
    for (let i = 0; i < REPORT_BUDGET + 20; i++) {
      const res = await post(legacyReport, "application/csp-report", {}, host);
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      await res.text();
    }
    expect(statuses.slice(0, REPORT_BUDGET).every((s) => s === 204)).toBe(true);
    expect(statuses.slice(REPORT_BUDGET).every((s) => s === 429)).toBe(true);
    // Another tenant is not affected; the worker still serves pages.
    expect((await post(legacyReport, "application/csp-report")).status).toBe(204);
    const page = await call("/", { host });
    expect(page.status).toBe(200);
    await page.text();
  });
});
