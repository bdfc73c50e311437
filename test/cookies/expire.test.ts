import { describe, expect, it } from "vitest";
import type { RefusedCookie } from "../../src/cookies/decide";
import { MAX_EXPIRY_LINES, expiryLines } from "../../src/cookies/expire";
import { parseSetCookie, setCookieName } from "../../src/cookies/set-cookie";
import { POLICY, makePolicy } from "./fixtures";

const DEAD = "=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=";
const HTTPS = { secure: true, host: "maia.opendatasoft.com" };
const HTTP = { secure: false, host: "maia.opendatasoft.com" };

function refuse(name: string): RefusedCookie {
  const classification = POLICY.classify(name);
  return classification ? { name, reason: "no-consent", classification } : { name, reason: "unknown" };
}

describe("expiryLines", () => {
  const cases: Array<[string, string, { secure: boolean; host: string }, string[]]> = [
    // Unknown and refused cookies also on the parent domain, where a sibling may have written them.
    ["unknown over https", "tracker", HTTPS, [`tracker${DEAD}/; Secure; SameSite=Lax`, `tracker${DEAD}/; Domain=opendatasoft.com; Secure; SameSite=Lax`]],
    ["unknown over http", "tracker", HTTP, [`tracker${DEAD}/; SameSite=Lax`, `tracker${DEAD}/; Domain=opendatasoft.com; SameSite=Lax`]],
    ["unknown on a one-label host: host-only alone", "tracker", { secure: false, host: "localhost" }, [`tracker${DEAD}/; SameSite=Lax`]],
    ["host and parent over https", "_ga", HTTPS, [
      `_ga${DEAD}/; Secure; SameSite=Lax`,
      `_ga${DEAD}/; Domain=opendatasoft.com; Secure; SameSite=Lax`,
    ]],
    ["host and parent over http", "_gid", HTTP, [
      `_gid${DEAD}/; SameSite=Lax`,
      `_gid${DEAD}/; Domain=opendatasoft.com; SameSite=Lax`,
    ]],
    ["prefix-declared cookie uses its own name", "_ga_ABC123", HTTPS, [
      `_ga_ABC123${DEAD}/; Secure; SameSite=Lax`,
      `_ga_ABC123${DEAD}/; Domain=opendatasoft.com; Secure; SameSite=Lax`,
    ]],
    // A custom domain's parent follows from the host, not from the platform's parentDomain.
    ["parent of a host outside parentDomain: derived from the host", "_ga", { secure: true, host: "data.example.org" }, [
      `_ga${DEAD}/; Secure; SameSite=Lax`,
      `_ga${DEAD}/; Domain=example.org; Secure; SameSite=Lax`,
    ]],
    ["look-alike host: never the platform's parent, its own name", "_ga", { secure: true, host: "evilopendatasoft.com" }, [
      `_ga${DEAD}/; Secure; SameSite=Lax`,
      `_ga${DEAD}/; Domain=evilopendatasoft.com; Secure; SameSite=Lax`,
    ]],
    ["one-label host: no parent", "_ga", { secure: false, host: "localhost" }, [`_ga${DEAD}/; SameSite=Lax`]],
    ["parent kept on the parent itself, host upper-case", "_ga", { secure: true, host: "OpenDataSoft.com" }, [
      `_ga${DEAD}/; Secure; SameSite=Lax`,
      `_ga${DEAD}/; Domain=opendatasoft.com; Secure; SameSite=Lax`,
    ]],
    ["paths × domains, literal domain skipped when it does not match", "atidvisitor", HTTPS, [
      `atidvisitor${DEAD}/; Secure; SameSite=Lax`,
      `atidvisitor${DEAD}/explore; Secure; SameSite=Lax`,
      `atidvisitor${DEAD}/; Domain=opendatasoft.com; Secure; SameSite=Lax`,
    ]],
    ["literal domain kept when the host is under it", "atidvisitor", { secure: false, host: "data.example.org" }, [
      `atidvisitor${DEAD}/; SameSite=Lax`,
      `atidvisitor${DEAD}/; Domain=example.org; SameSite=Lax`,
      `atidvisitor${DEAD}/explore; SameSite=Lax`,
      `atidvisitor${DEAD}/explore; Domain=example.org; SameSite=Lax`,
    ]],
    ["secure cookie over https", "atuserid", HTTPS, [`atuserid${DEAD}/; Secure; SameSite=Lax`, `atuserid${DEAD}/; Domain=opendatasoft.com; Secure; SameSite=Lax`]],
    ["secure cookie over http cannot be deleted", "atuserid", HTTP, []],
    ["__Host- over https: exactly one line", "__Host-tracker", HTTPS, [`__Host-tracker${DEAD}/; Secure; SameSite=Lax`]],
    ["__Host- over http: none", "__Host-tracker", HTTP, []],
    ["__host- prefix is case-insensitive", "__HOST-x", HTTP, []],
    ["__Secure- over https", "__Secure-x", HTTPS, [`__Secure-x${DEAD}/; Secure; SameSite=Lax`, `__Secure-x${DEAD}/; Domain=opendatasoft.com; Secure; SameSite=Lax`]],
    ["__Secure- over http: none", "__Secure-x", HTTP, []],
    ["__sEcUrE- over http: none", "__sEcUrE-x", HTTP, []],
  ];
  it.each(cases)("%s", (_label, name, ctx, expected) => {
    expect(expiryLines([refuse(name)], POLICY, ctx)).toEqual(expected);
  });

  it("emits one __Host- line even when the declaration lists other paths and domains", () => {
    const policy = makePolicy({
      services: [{
        id: "x", consentKey: "x", category: "marketing", provider: "x", function: "x", purpose: "x",
        cookies: [{ name: "__Host-", prefix: true, duration: "1d", paths: ["/a", "/b"], domains: ["host", "parent"] }],
      }],
    });
    const name = "__Host-id";
    const lines = expiryLines([{ name, reason: "no-consent", classification: policy.classify(name) }], policy, HTTPS);
    expect(lines).toEqual([`__Host-id${DEAD}/; Secure; SameSite=Lax`]);
  });

  it("skips unknown cookies when expireUnknown is false, still expires declared ones", () => {
    const policy = makePolicy({ expireUnknown: false });
    const lines = expiryLines(
      [{ name: "tracker", reason: "unknown" }, { name: "_gid", reason: "no-consent", classification: policy.classify("_gid") }],
      policy,
      HTTP,
    );
    expect(lines).toEqual([`_gid${DEAD}/; SameSite=Lax`, `_gid${DEAD}/; Domain=opendatasoft.com; SameSite=Lax`]);
  });

  it("derives the parent from the host when the policy has no parentDomain", () => {
    const policy = makePolicy({ parentDomain: undefined });
    const lines = expiryLines([{ name: "_ga", reason: "no-consent", classification: policy.classify("_ga") }], policy, HTTPS);
    expect(lines).toEqual([`_ga${DEAD}/; Secure; SameSite=Lax`, `_ga${DEAD}/; Domain=opendatasoft.com; Secure; SameSite=Lax`]);
  });

  it("uses a host's declared parent domain, and each host its own", () => {
    const policy = makePolicy({
      hosts: ["maia.opendatasoft.com", "portal.data.example.org", "data.other.example"],
      parentDomains: { "portal.data.example.org": "example.org" },
    });
    const ga = (host: string) => expiryLines([{ name: "_ga", reason: "no-consent", classification: policy.classify("_ga") }], policy, { secure: true, host });
    expect(ga("portal.data.example.org")).toEqual([`_ga${DEAD}/; Secure; SameSite=Lax`, `_ga${DEAD}/; Domain=example.org; Secure; SameSite=Lax`]);
    expect(ga("data.other.example")).toEqual([`_ga${DEAD}/; Secure; SameSite=Lax`, `_ga${DEAD}/; Domain=other.example; Secure; SameSite=Lax`]);
    expect(ga("maia.opendatasoft.com")[1]).toBe(`_ga${DEAD}/; Domain=opendatasoft.com; Secure; SameSite=Lax`);
  });

  it("never writes a declared parent the host is not under (validation bypassed)", () => {
    const policy = makePolicy({ parentDomains: { "maia.opendatasoft.com": "evil.example" } });
    const lines = expiryLines([{ name: "_ga", reason: "no-consent", classification: policy.classify("_ga") }], policy, HTTPS);
    expect(lines).toEqual([`_ga${DEAD}/; Secure; SameSite=Lax`]);
  });

  it("never matches a parent domain on an IP host", () => {
    const policy = makePolicy({ parentDomain: "0.1" });
    const lines = expiryLines([{ name: "_ga", reason: "no-consent", classification: policy.classify("_ga") }], policy, {
      secure: false,
      host: "10.0.0.1",
    });
    expect(lines).toEqual([`_ga${DEAD}/; SameSite=Lax`]);
  });

  it("skips declared paths and domains that are unsafe to write", () => {
    const policy = makePolicy({
      parentDomains: { "maia.opendatasoft.com": "opendatasoft.com; HttpOnly" },
      services: [{
        id: "x", consentKey: "x", category: "marketing", provider: "x", function: "x", purpose: "x",
        cookies: [{ name: "xid", duration: "1d", paths: ["/", "relative", "/a;b", "/a b", "/ok"], domains: ["host", "parent", "Example.COM\r\nX: y"] }],
      }],
    });
    const lines = expiryLines([{ name: "xid", reason: "no-consent", classification: policy.classify("xid") }], policy, HTTP);
    expect(lines).toEqual([`xid${DEAD}/; SameSite=Lax`, `xid${DEAD}/ok; SameSite=Lax`]);
  });

  const injection: Array<[string, string]> = [
    ["empty name", ""],
    ["CRLF", "a=b\r\nX: y"],
    ["LF", "a\nb"],
    ["semicolon", "a;Domain=evil.com"],
    ["equals", "a=b"],
    ["comma", "a,b"],
    ["space", "a b"],
    ["tab", "a\tb"],
    ["quote", 'a"b'],
    ["slash", "a/b"],
    ["brackets", "a[0]"],
    ["NUL", "a\u0000"],
    ["DEL", "a\u007f"],
    ["non-ASCII", "café"],
  ];
  it.each(injection)("never writes a name with %s", (_label, name) => {
    expect(expiryLines([{ name, reason: "unknown" }], POLICY, HTTPS)).toEqual([]);
  });

  it("drains a sibling's cookie bomb: every unknown name the request carries is expired on the parent domain, up to the cap", () => {
    const bomb = Array.from({ length: 20 }, (_, i): RefusedCookie => ({ name: `junk${i}`, reason: "unknown" }));
    const lines = expiryLines(bomb, POLICY, HTTPS);
    for (let i = 0; i < 20; i++) expect(lines).toContain(`junk${i}${DEAD}/; Domain=opendatasoft.com; Secure; SameSite=Lax`);
    expect(lines).toHaveLength(40);
  });

  it("accepts token punctuation in names", () => {
    const name = "a!#$%&'*+-.^_`|~1";
    expect(expiryLines([{ name, reason: "unknown" }], POLICY, HTTP)).toEqual([`${name}${DEAD}/; SameSite=Lax`, `${name}${DEAD}/; Domain=opendatasoft.com; SameSite=Lax`]);
  });

  it("dedupes repeated names", () => {
    expect(expiryLines([refuse("tracker"), refuse("tracker"), refuse("_gid"), refuse("_gid")], POLICY, HTTP)).toHaveLength(4);
  });

  it(`caps the output at ${MAX_EXPIRY_LINES} lines`, () => {
    const many = Array.from({ length: 500 }, (_, i) => refuse(i % 2 ? `t${i}` : `_ga_${i}`));
    const lines = expiryLines(many, POLICY, HTTPS);
    expect(lines).toHaveLength(MAX_EXPIRY_LINES);
    expect(new Set(lines).size).toBe(MAX_EXPIRY_LINES);
    expect(lines[0]).toBe(`_ga_0${DEAD}/; Secure; SameSite=Lax`);
  });

  it("expires refused declared cookies first, whatever number of unknown cookies comes before them", () => {
    const flood = Array.from({ length: 70 }, (_, i) => refuse(`unknown_${i}`));
    const lines = expiryLines([...flood, refuse("_gid"), refuse("_pk_id.1.ab")], POLICY, HTTPS);
    expect(lines).toHaveLength(MAX_EXPIRY_LINES);
    const names = lines.map((l) => l.split("=")[0]);
    expect(names.slice(0, names.lastIndexOf("_pk_id.1.ab") + 1).every((n) => n === "_gid" || n === "_pk_id.1.ab")).toBe(true);
    expect(names).toContain("_gid");
    expect(names).toContain("_pk_id.1.ab");
    // What is left of the cap goes to the unknown ones, in request order.
    expect(names[names.length - 1]).toMatch(/^unknown_\d+$/);
    expect(names.filter((n) => n.startsWith("unknown_"))[0]).toBe("unknown_0");
  });

  it("returns [] for nothing refused", () => {
    expect(expiryLines([], POLICY, HTTPS)).toEqual([]);
  });

  it("writes lines a browser reads back as an immediate deletion of that exact cookie", () => {
    const lines = expiryLines([refuse("_ga"), refuse("atidvisitor"), refuse("tracker")], POLICY, HTTPS);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const parsed = parseSetCookie(line);
      expect(parsed).not.toBeNull();
      expect(setCookieName(line)).toBe(parsed!.name);
      expect(parsed!.value).toBe("");
      expect(parsed!.attributes.maxAge).toBe(0);
      expect(parsed!.attributes.secure).toBe(true);
      expect(parsed!.attributes.path?.startsWith("/")).toBe(true);
    }
  });
});
