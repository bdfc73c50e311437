// Fixed cases from the property tests: every shrunk counterexample fast-check produced while the
// properties were written (against deliberately broken copies of src/cookies, to prove the
// properties can fail, and against the first versions of the test models), plus the boundaries
// the generators aim at. Each row is checked against the oracle AND the production code.
import { describe, expect, it } from "vitest";
import { parseConsent } from "../../src/consent";
import type { Consent } from "../../src/consent/types";
import { filterRequestCookies, filterSetCookies } from "../../src/cookies/decide";
import { POLICIES } from "../../src/policy";
import { cookieNameOf, mayStore, storedName } from "./oracle";

const POLICY = POLICIES.byId("maia")!;
const ALL = new Set(POLICY.services.map((s) => s.consentKey));
const consent = (granted: Set<string>): Consent => ({ explicit: granted.size > 0, source: "cookie", granted });
const x = (n: number) => "x".repeat(n);

/** [label, Set-Cookie line, the name the oracle says it stores under (null: ignored)]. */
const SET_COOKIE_CASES: Array<[string, string, string | null]> = [
  // Shrunk counterexamples (mutant: a tab not trimmed around the name).
  ["tab between name and =", "sessionid \t =!", "sessionid"],
  ["tabs before a necessary name, long value", `\t\tsessionid=${x(4000)}`, "sessionid"],
  ["tab before =, then attributes", ` sessionid\t=;${x(100)}`, "sessionid"],
  // Shrunk counterexamples (mutant: names compared without case).
  ["upper-case necessary name, spaces", " SESSIONID=  ", "SESSIONID"],
  ["upper-case necessary name, comma value", "SESSIONID =a,b", "SESSIONID"],
  ["upper-case prefix", "_GA_! =!", "_GA_!"],
  // Shrunk counterexamples (mutant: no 4096-octet limit).
  ["name + value of 4097 octets", ` sessionid=${x(4088)}`, null],
  ["name + value of 4096 octets", `sessionid=${x(4087)}`, "sessionid"],
  ["4096 octets with a 2-octet character", `sessionid=${x(4085)}é`, "sessionid"],
  ["4097 octets with a 2-octet character", `sessionid=${x(4086)}é`, null],
  ["4-octet character over the limit", `sessionid=${x(4084)}😀`, null],
  ["lone surrogate counts as 3 octets", `sessionid=${x(4084)}\ud800`, "sessionid"],
  ["lone surrogate over the limit", `sessionid=${x(4085)}\ud800`, null],
  ["whitespace around the value is not counted", `sessionid=   ${x(4087)}   `, "sessionid"],
  // Boundaries the generators aim at.
  ["bare prefix is no declared name", "_ga_=!", "_ga_"],
  ["nameless, necessary-looking value", "sessionid; Path=/", ""],
  ["nameless __Host- value", "__Host-sessionid", null],
  ["nameless __secure- value, any case", "__sEcUrE-x=", "__sEcUrE-x"],
  ["nameless lower-case __host- value", "__host-x", null],
  ["empty name and value", " = ; Path=/", null],
  ["folded with a comma", "sessionid=1, _ga=GA1.2.3", "sessionid"],
  ["response splitting", "sessionid=1\r\nSet-Cookie: _ga=1", null],
  ["DEL in an attribute", "sessionid=1; Path=/\x7f", null],
  ["HTAB inside the value is allowed", "sessionid=a\tb", "sessionid"],
  ["NBSP is not whitespace", "\u00a0sessionid=1", "\u00a0sessionid"],
  ["zero-width space after the name", "sessionid\u200b=1", "sessionid\u200b"],
  ["Cyrillic lookalike", "ѕessionid=1", "ѕessionid"],
  ["quoted name", '"sessionid"=1', '"sessionid"'],
  ["= in the value", "csrftoken=a=b=c", "csrftoken"],
  ["semicolon first", ";sessionid=1", null],
  ["__Host- prefixed necessary name", "__Host-sessionid=1; Secure; Path=/", "__Host-sessionid"],
];

describe("Set-Cookie regressions: oracle and production agree", () => {
  it.each(SET_COOKIE_CASES)("%s", (_label, line, name) => {
    expect(cookieNameOf(line)).toBe(name);
    const none = filterSetCookies([line], POLICY, consent(new Set()));
    const full = filterSetCookies([line], POLICY, consent(ALL));
    const necessary = name !== null && mayStore(POLICY, name, new Set());
    const declared = name !== null && mayStore(POLICY, name, ALL);
    expect(none.kept).toEqual(necessary ? [line] : []);
    expect(full.kept).toEqual(declared ? [line] : []);
  });

  it("the storage rules of 5.7 that depend on attributes", () => {
    const https = { host: "maia.opendatasoft.com", secure: true };
    const http = { host: "maia.opendatasoft.com", secure: false };
    expect(storedName("__Secure-a=1", https)).toBeNull();
    expect(storedName("__Secure-a=1; Secure", https)).toBe("__Secure-a");
    expect(storedName("__Host-a=1; Secure; Path=/; Domain=maia.opendatasoft.com", https)).toBeNull();
    expect(storedName("__Host-a=1; Secure; Path=/", https)).toBe("__Host-a");
    expect(storedName("_ga=1; Secure", http)).toBeNull();
    expect(storedName("_ga=1; SameSite=None", https)).toBeNull();
    expect(storedName("_ga=1; Domain=.opendatasoft.com", https)).toBe("_ga");
    expect(storedName("_ga=1; Domain=evil.example", https)).toBeNull();
    expect(storedName("_ga=1; Domain=com", https)).toBeNull();
    expect(storedName(`_ga=1; Domain=evil.example${x(1100)}`, https)).toBe("_ga"); // oversized attribute ignored
  });
});

/** [label, Cookie header, none-consent forwarded header, full-consent forwarded header]. */
const REQUEST_CASES: Array<[string, string, string | null, string | null]> = [
  // Shrunk counterexample (mutant: names compared without case).
  ["upper-case necessary name", "SESSIONID = ", null, null],
  ["necessary and statistics", "sessionid=1; _ga=2; tracker=3", "sessionid=1", "sessionid=1; _ga=2"],
  ["spaces and tabs around pairs", " \tsessionid = 1 ;\t_gid=2 ", "sessionid = 1", "sessionid = 1; _gid=2"],
  ["nameless pair", "sessionid; _ga", null, null],
  ["empty pairs", ";;; ;", null, null],
  ["comma inside a value passes as the value", "sessionid=x,y z", "sessionid=x,y z", "sessionid=x,y z"],
  // workerd joins repeated Cookie fields with ", ": the second field's pair is a pair, not part of a value.
  ["two Cookie fields joined by the runtime", "sessionid=x, _ga=1", "sessionid=x", "sessionid=x; _ga=1"],
  ["a pair hidden after a comma without space", "csrftoken=t,_gid=2", "csrftoken=t", "csrftoken=t; _gid=2"],
  ["the worker's records never reach the origin", "__Host-consent-edge=v1.a; consent-edge-http=v1.b; sessionid=1", "sessionid=1", "sessionid=1"],
];

describe("Cookie header regressions", () => {
  it.each(REQUEST_CASES)("%s", (_label, header, none, full) => {
    expect(filterRequestCookies(header, POLICY, consent(new Set())).header).toBe(none);
    expect(filterRequestCookies(header, POLICY, consent(ALL)).header).toBe(full);
  });
});

/** Values that must be no choice (the first two were shrunk from the first, wrong, test models). */
const CONSENT_NO_CHOICE: Array<[string, string]> = [
  ["a category list over 4096 characters", "statistics" + ",".repeat(4090)],
  ["prototype key only", '{"__proto__":true}'],
  ["prototype key holding a grant", '{"__proto__":{"ga":true}}'],
  ["constructor chain", '{"constructor":{"prototype":{"ga":true}}}'],
  ["timestamp that overflows to Infinity", '{"ga":true,"timestamp":1e999}'],
  ["string timestamp", '{"ga":true,"timestamp":"0"}'],
  ["string true", '{"ga":"true"}'],
  ["other revision", '{"ga":true,"revision":"2020-01-01"}'],
  ["truncated escape", "%7B%22ga%22%3Atrue%7"],
  ["overlong UTF-8 escape", "%C0%AF"],
  ["empty object", "{}"],
  ["JSON array", '["ga"]'],
];

describe("consent regressions", () => {
  it.each(CONSENT_NO_CHOICE)("%s is no choice", (_label, value) => {
    const c = parseConsent([value], POLICY, { gpc: false });
    expect(c).toMatchObject({ explicit: false, source: "default" });
    expect(c.granted.size).toBe(0);
  });

  it("a category list just under the limit is a choice", () => {
    const c = parseConsent(["statistics" + ",".repeat(4086)], POLICY, { gpc: false });
    expect(c.explicit).toBe(true);
    expect([...c.granted].sort()).toEqual(["at", "ga", "matomo", "xiti"]);
  });

  it("the timestamp is fine as an integer (the first invalid-value generator got this wrong)", () => {
    expect([...parseConsent(['{"ga":true,"timestamp":0}'], POLICY, { gpc: true }).granted]).toEqual(["ga"]);
  });
});
