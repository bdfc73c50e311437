import { describe, expect, it } from "vitest";
import { buildCsp, allowedSources, cspHeaderName, reportSample, sampleReport, DEFAULT_REPORT_SAMPLE } from "../../src/csp";
import { compilePolicy } from "../../src/policy/compile";
import { POLICIES } from "../../src/policy";
import { BASE, POLICY, consentOf } from "../rewrite/fixtures";

const directives = (csp: string) => new Map(csp.split("; ").map((d) => [d.split(" ", 1)[0], d.split(" ").slice(1)]));

describe("buildCsp", () => {
  it("puts a source limited to some directives in those only (not default-src), and includes form-action", () => {
    const policy = compilePolicy({ ...BASE, necessarySources: ["static.example.org", { source: "fonts.example.net", directives: ["font-src", "style-src"] }] });
    const d = directives(buildCsp(policy, consentOf()));
    for (const name of ["font-src", "style-src"]) expect(d.get(name), name).toContain("fonts.example.net");
    for (const name of ["default-src", "script-src", "img-src", "connect-src", "frame-src", "worker-src", "form-action"]) {
      expect(d.get(name), name).not.toContain("fonts.example.net");
      expect(d.get(name), name).toContain("static.example.org");
    }
    expect(d.get("form-action")?.[0]).toBe("'self'");
  });

  it("limits every fetch directive to self, the necessary sources and the consented hosts", () => {
    const policy = compilePolicy({ ...BASE, necessarySources: ["static.example.org", "*.tiles.example.org"] });
    const d = directives(buildCsp(policy, consentOf("matomo")));
    for (const name of ["default-src", "script-src", "style-src", "img-src", "font-src", "connect-src", "media-src", "frame-src", "worker-src", "manifest-src"]) {
      const list = d.get(name)!;
      expect(list, name).toContain("'self'");
      for (const s of ["static.example.org", "*.tiles.example.org", "cdn.example.net", "*.cdn.example.net", "stats.example.org", "*.stats.example.org"]) expect(list, `${name} ${s}`).toContain(s);
      for (const s of ["googletagmanager.com", "google-analytics.com", "tag.aticdn.net"]) expect(list.some((x) => x.includes(s)), `${name} ${s}`).toBe(false);
    }
    expect(d.get("object-src")).toEqual(["'none'"]);
    expect(d.get("base-uri")).toEqual(["'self'"]);
    expect(d.get("script-src")).toEqual(expect.arrayContaining(["'unsafe-inline'", "'unsafe-eval'"]));
    expect(d.get("style-src")).toContain("'unsafe-inline'");
    expect(d.has("report-uri")).toBe(false);
  });

  it("lists nothing but self and the necessary hosts for a visitor who refused", () => {
    const csp = buildCsp(POLICY, consentOf());
    expect(csp.split("; ")[0]).toBe("default-src 'self' cdn.example.net *.cdn.example.net");
  });

  it("returns the same string for the same consent state, built once", () => {
    const a = buildCsp(POLICY, consentOf("ga"));
    const b = buildCsp(POLICY, { explicit: false, source: "gpc", granted: new Set(["ga", "not-a-key"]) });
    expect(b).toBe(a);
    expect(buildCsp(POLICY, consentOf("ga", "at"))).not.toBe(a);
    expect(buildCsp(POLICY, consentOf("ga"), { report: true, secure: false })).not.toBe(a);
  });

  it("adds report-uri when reporting, and report-to only over https", () => {
    expect(buildCsp(POLICY, consentOf(), { report: true, secure: false })).toMatch(/; report-uri \/\.consent-edge\/csp-report$/);
    expect(buildCsp(POLICY, consentOf(), { report: true, secure: true })).toMatch(/; report-uri \/\.consent-edge\/csp-report; report-to consent-edge$/);
  });

  it("never lets a host string inject a directive", () => {
    const hostile = compilePolicy({
      ...BASE,
      services: [...BASE.services, { id: "x", consentKey: "x", category: "statistics", provider: "X", function: "f", purpose: "p", cookies: [{ name: "x", duration: "1" }], block: { hosts: ["a.example; script-src *", "b.example"] } }],
    });
    const csp = buildCsp(hostile, consentOf("x"));
    expect(csp).not.toContain("script-src *");
    expect(csp).toContain("b.example");
    expect(allowedSources(hostile, consentOf("x"))).not.toContain("a.example; script-src *");
  });

  it("for the seed tenants, allows the Opendatasoft platform hosts but not the trackers of the base policy", () => {
    for (const policy of POLICIES.all) {
      const csp = buildCsp(policy, consentOf());
      expect(csp).toContain("static.opendatasoft.com");
      expect(csp).not.toContain("*.opendatasoft.com");
      for (const tracker of ["googletagmanager.com", "google-analytics.com", "xiti.com", "aticdn.net"]) expect(csp).not.toContain(tracker);
      expect(buildCsp(policy, consentOf("ga"))).toContain("google-analytics.com *.google-analytics.com");
    }
  });
});

describe("header name and sampling", () => {
  it("maps the modes to headers", () => {
    expect(cspHeaderName("enforce")).toBe("content-security-policy");
    expect(cspHeaderName("report-only")).toBe("content-security-policy-report-only");
    expect(cspHeaderName("off")).toBeUndefined();
  });

  it("samples with the given random source, never at 0, always at 1", () => {
    expect(sampleReport(0, () => 0)).toBe(false);
    expect(sampleReport(1, () => 0.999)).toBe(true);
    expect(sampleReport(0.1, () => 0.05)).toBe(true);
    expect(sampleReport(0.1, () => 0.5)).toBe(false);
    expect(sampleReport(Number.NaN, () => 0)).toBe(false);
  });

  it("takes the override var over the policy, the policy over the default", () => {
    const policy = compilePolicy({ ...BASE, cspReportSample: 0.5 });
    expect(reportSample(POLICY, undefined)).toBe(DEFAULT_REPORT_SAMPLE);
    expect(reportSample(policy, undefined)).toBe(0.5);
    expect(reportSample(policy, "1")).toBe(1);
    expect(reportSample(policy, "0")).toBe(0);
    expect(reportSample(policy, "lots")).toBe(0.5);
    expect(reportSample(policy, "7")).toBe(0.5);
    expect(reportSample(policy, "")).toBe(0.5);
  });
});
