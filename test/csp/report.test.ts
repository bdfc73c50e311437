import { describe, expect, it } from "vitest";
import { MAX_VIOLATIONS_PER_REQUEST, parseCspReports, reportFormat } from "../../src/csp";

const legacy = (body: object) => JSON.stringify({ "csp-report": body });

describe("reportFormat", () => {
  it("knows the two report media types (and plain JSON, which older browsers send)", () => {
    expect(reportFormat("application/csp-report")).toBe("csp-report");
    expect(reportFormat("Application/CSP-Report; charset=utf-8")).toBe("csp-report");
    expect(reportFormat("application/json")).toBe("csp-report");
    expect(reportFormat("application/reports+json")).toBe("reports+json");
    for (const t of [null, "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]) expect(reportFormat(t)).toBeUndefined();
  });
});

describe("parseCspReports", () => {
  it("reads a report-uri report down to directive, host and path, dropping the visitor's data", () => {
    const r = parseCspReports("csp-report", legacy({
      "document-uri": "https://maia.opendatasoft.com/explore/?q=my+name&email=a@b.c",
      referrer: "https://search.example/?q=secret",
      "violated-directive": "script-src-elem",
      "effective-directive": "script-src-elem",
      "original-policy": "default-src 'self'",
      "blocked-uri": "https://www.google-analytics.com/analytics.js?cid=123.456",
      "script-sample": "user data",
      disposition: "enforce",
    }));
    expect(r).toEqual({ ok: true, skipped: 0, violations: [{ directive: "script-src-elem", blockedHost: "www.google-analytics.com", path: "/explore/", disposition: "enforce" }] });
    expect(JSON.stringify(r)).not.toMatch(/secret|email|cid|user data|123/);
  });

  it("reads a Reporting API batch, skipping other report types", () => {
    const batch = [
      { type: "deprecation", body: {} },
      { type: "csp-violation", url: "https://maia.opendatasoft.com/a?x=1", body: { documentURL: "https://maia.opendatasoft.com/a?x=1", blockedURL: "https://tiles.example.org/1/2/3.png", effectiveDirective: "img-src", disposition: "report" } },
      { type: "csp-violation", body: { documentURL: "https://maia.opendatasoft.com/", blockedURL: "inline", effectiveDirective: "script-src-elem" } },
      { type: "csp-violation", body: { documentURL: "https://maia.opendatasoft.com/", blockedURL: "data", effectiveDirective: "frame-src" } },
    ];
    const r = parseCspReports("reports+json", JSON.stringify(batch));
    expect(r).toEqual({
      ok: true,
      skipped: 1,
      violations: [
        { directive: "img-src", blockedHost: "tiles.example.org", path: "/a", disposition: "report" },
        { directive: "script-src-elem", blockedHost: "inline", path: "/", disposition: "enforce" },
        { directive: "frame-src", blockedHost: "data", path: "/", disposition: "enforce" },
      ],
    });
  });

  it("keeps odd values bounded and harmless", () => {
    const r = parseCspReports("csp-report", legacy({ "violated-directive": "<script>x", "blocked-uri": "javascript:alert(1)", "document-uri": 42 }));
    expect(r).toEqual({ ok: true, skipped: 0, violations: [{ directive: "unknown", blockedHost: "javascript", path: "", disposition: "enforce" }] });
    const long = parseCspReports("csp-report", legacy({ "effective-directive": "img-src", "blocked-uri": "not a url", "document-uri": "https://h/" + "a".repeat(5000) }));
    expect(long.ok && long.violations[0].path.length).toBe(300);
    expect(long.ok && long.violations[0].blockedHost).toBe("unknown");
  });

  it("reads at most MAX_VIOLATIONS_PER_REQUEST from one batch", () => {
    const one = { type: "csp-violation", body: { documentURL: "https://h/", blockedURL: "https://t.example/", effectiveDirective: "img-src" } };
    const r = parseCspReports("reports+json", JSON.stringify(Array(50).fill(one)));
    expect(r.ok && [r.violations.length, r.skipped]).toEqual([MAX_VIOLATIONS_PER_REQUEST, 50 - MAX_VIOLATIONS_PER_REQUEST]);
  });

  it.each([
    ["csp-report", "not json", /not JSON/],
    ["csp-report", "[]", /csp-report/],
    ["csp-report", '{"csp-report": "x"}', /csp-report/],
    ["reports+json", '{"type":"csp-violation"}', /array/],
    ["reports+json", '[{"type":"deprecation","body":{}}]', /no csp-violation/],
  ] as const)("rejects %s %s", (format, text, reason) => {
    const r = parseCspReports(format, text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});
