import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { indexConsentPolicy, MAX_CONSENT_VALUE_LENGTH } from "../../src/consent/consent-index";
import { parseConsent } from "../../src/consent/parse";
import { CONSENT_COOKIE, CONSENT_MAX_AGE, consentSetCookie, serializeConsent } from "../../src/consent/serialize";
import { compilePolicy } from "../../src/policy/compile";
import type { Category } from "../../src/policy/types";
import { OPTIONAL_KEYS, POLICY, service, tenantPolicy } from "./fixture";

const NOW = 1_795_000_000_000; // 2026-11-18T...Z
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

function subsets<T>(items: readonly T[]): T[][] {
  return Array.from({ length: 2 ** items.length }, (_, mask) => items.filter((_, i) => mask & (1 << i)));
}

describe("serializeConsent", () => {
  it("writes the Opendatasoft form with every optional key, timestamp and revision", () => {
    const value = serializeConsent(new Set(["ga", "functional_cookies"]), POLICY, NOW);
    expect(JSON.parse(decodeURIComponent(value))).toEqual({
      ga: true,
      matomo: false,
      xiti: false,
      at: false,
      functional_cookies: true,
      timestamp: NOW,
      revision: "2026-11",
    });
    expect(value.startsWith("%7B%22ga%22%3Atrue%2C%22matomo%22%3Afalse")).toBe(true);
  });

  it("drops keys the policy does not use, and the necessary key", () => {
    const value = serializeConsent(["ga", "facebook", "necessary", "__proto__"], POLICY, NOW);
    const json = JSON.parse(decodeURIComponent(value));
    expect(Object.keys(json)).toEqual([...OPTIONAL_KEYS, "timestamp", "revision"]);
    expect(json.ga).toBe(true);
  });

  it("accepts any iterable (array, generator)", () => {
    function* keys() {
      yield "matomo";
      yield "at";
    }
    const fromSet = serializeConsent(new Set(["matomo", "at"]), POLICY, NOW);
    expect(serializeConsent(["matomo", "at"], POLICY, NOW)).toBe(fromSet);
    expect(serializeConsent(keys(), POLICY, NOW)).toBe(fromSet);
  });

  const ALL = subsets(OPTIONAL_KEYS);
  it(`has ${ALL.length} subsets to round-trip`, () => expect(ALL).toHaveLength(32));

  it.each(ALL.map((s) => [s.join(",") || "(none)", s] as const))("round-trips %s", (_name, subset) => {
    const value = serializeConsent(subset, POLICY, NOW);
    expect(value).toMatch(COOKIE_VALUE);
    expect(value.length).toBeLessThan(MAX_CONSENT_VALUE_LENGTH);
    for (const gpc of [false, true]) {
      const consent = parseConsent([value], POLICY, { gpc });
      expect(consent.explicit).toBe(true);
      expect(consent.source).toBe("cookie");
      expect(consent.granted).toEqual(new Set(subset));
    }
  });

  it("round-trips for arbitrary policies (property)", () => {
    const category = fc.constantFrom<Category>("necessary", "functional", "statistics", "marketing");
    const key = fc.string({ minLength: 1, maxLength: 12, unit: "binary" }).filter((k) => k !== "timestamp" && k !== "revision");
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, category), { minLength: 1, maxLength: 8, selector: ([k]) => k }),
        fc.string({ maxLength: 20, unit: "binary" }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.func(fc.boolean()),
        (services, revision, now, pick) => {
          const policy = compilePolicy(
            tenantPolicy({ revision, services: services.map(([k, c], i) => service(`s${i}`, k, c, `c${i}`)) }),
          );
          const optional = services.filter(([, c]) => c !== "necessary").map(([k]) => k);
          const chosen = optional.filter((k) => pick(k));
          const value = serializeConsent(chosen, policy, now);
          expect(value).toMatch(COOKIE_VALUE);
          const consent = parseConsent([value], policy, { gpc: true });
          expect(consent.explicit).toBe(true);
          expect(consent.granted).toEqual(new Set(chosen));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("round-trips keys and a revision with lone surrogates, quotes and separators", () => {
    const keys = ["bad\uD800", 'q"uote', "semi;colon", "com,ma", "sp ace", "back\\slash", "é"];
    const policy = compilePolicy(
      tenantPolicy({ revision: 'r\uDC00";,', services: keys.map((k, i) => service(`s${i}`, k, "statistics", `c${i}`)) }),
    );
    for (const subset of subsets(keys)) {
      const value = serializeConsent(subset, policy, NOW);
      expect(value).toMatch(COOKIE_VALUE);
      expect(parseConsent([value], policy, { gpc: false }).granted).toEqual(new Set(subset));
    }
  });

  it("a policy with no optional service still records an explicit choice", () => {
    const policy = compilePolicy(tenantPolicy({ services: [service("ods", "necessary", "necessary", "sessionid")] }));
    expect(parseConsent([serializeConsent(["necessary"], policy, NOW)], policy, { gpc: true })).toMatchObject({
      explicit: true,
      source: "cookie",
    });
  });

  it.each([NaN, Infinity, -Infinity, 1.5, 9e15])("rejects now = %s", (now) => {
    expect(() => serializeConsent([], POLICY, now)).toThrow(RangeError);
  });

  it("stays under the cap at the widest timestamp", () => {
    expect(serializeConsent([], POLICY, -8.64e15).length).toBeLessThan(MAX_CONSENT_VALUE_LENGTH);
  });
});

describe("indexConsentPolicy: policies that cannot be written", () => {
  const many = (n: number, len: number) =>
    Array.from({ length: n }, (_, i) => service(`s${i}`, `k${i}`.padEnd(len, "x"), "statistics", `c${i}`));

  it("accepts a large policy that fits", () => {
    const policy = compilePolicy(tenantPolicy({ services: many(100, 10) }));
    expect(indexConsentPolicy(policy).keys).toHaveLength(100);
    expect(serializeConsent([], policy, NOW).length).toBeLessThan(MAX_CONSENT_VALUE_LENGTH);
  });

  it("throws a clear Error when the value would exceed the cap", () => {
    const policy = compilePolicy(tenantPolicy({ services: many(200, 20) }));
    expect(() => indexConsentPolicy(policy)).toThrow(/cookies_preferences would be \d+ bytes with 200 consent keys/);
    expect(() => serializeConsent([], policy, NOW)).toThrow(/limit 4095/);
  });

  it.each(["timestamp", "revision"])("throws on the reserved consent key %s", (key) => {
    const policy = compilePolicy(tenantPolicy({ services: [service("x", key, "statistics", "_x")] }));
    expect(() => indexConsentPolicy(policy)).toThrow(`reserved consent key "${key}"`);
  });


  it("a key used by a necessary and an optional service is optional", () => {
    const policy = compilePolicy(
      tenantPolicy({ services: [service("a", "k", "necessary", "_a"), service("b", "k", "statistics", "_b")] }),
    );
    expect(indexConsentPolicy(policy).keys).toEqual(["k"]);
  });

  it("memoises per compiled policy", () => {
    expect(indexConsentPolicy(POLICY)).toBe(indexConsentPolicy(POLICY));
  });
});

describe("consentSetCookie", () => {
  const value = serializeConsent(["ga"], POLICY, NOW);
  const expires = new Date(NOW + CONSENT_MAX_AGE * 1000).toUTCString();

  it.each([
    [false, `${CONSENT_COOKIE}=${value}; Path=/; Max-Age=15552000; Expires=${expires}; SameSite=Lax`],
    [true, `${CONSENT_COOKIE}=${value}; Path=/; Max-Age=15552000; Expires=${expires}; SameSite=Lax; Secure`],
  ])("secure=%s", (secure, line) => {
    expect(consentSetCookie(value, { secure, now: NOW })).toBe(line);
  });

  it("constants", () => {
    expect(CONSENT_COOKIE).toBe("cookies_preferences");
    expect(CONSENT_MAX_AGE).toBe(180 * 24 * 3600);
  });

  it("Expires is an IMF-fixdate 180 days after now", () => {
    const line = consentSetCookie("x", { secure: false, now: Date.UTC(2026, 10, 18, 8, 49, 37) });
    expect(line).toContain("; Expires=Mon, 17 May 2027 08:49:37 GMT;");
  });

  it.each(['a"b', "a;b", "a,b", "a b", "a\\b", "é", "a\nb"])("rejects %j", (bad) => {
    expect(() => consentSetCookie(bad, { secure: true, now: NOW })).toThrow(TypeError);
  });

  it("rejects a now that makes no date", () => {
    expect(() => consentSetCookie("x", { secure: true, now: NaN })).toThrow(RangeError);
  });
});
