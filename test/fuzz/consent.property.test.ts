// Property tests of the consent cookie against the real maia policy: parseConsent never throws and
// fails closed on anything that is not a valid choice; serializeConsent's output always reads back.
// 40,000 generated cases per run in this file in CI, 37,000 in a plain `npm test` (runs.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { consentSetCookie, parseConsent, serializeConsent } from "../../src/consent";
import type { Consent } from "../../src/consent/types";
import { POLICIES } from "../../src/policy";
import { cookieNameOf, parseSetCookieLine } from "./oracle";
import { count, runs } from "./runs";

// A failing property stops shrinking after 120 s and reports the smallest case found so far; a
// passing one that runs out of time fails too (each takes under 10 s on an idle machine; files
// run three at a time on two cores, beside other work).
fc.configureGlobal({ interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true });

const POLICY = POLICIES.byId("maia")!;
/** Consent keys a choice can grant: those of the policy's non-necessary services. */
const GRANTABLE = [...new Set(POLICY.services.filter((s) => s.category !== "necessary").map((s) => s.consentKey))];
const SERVICE_KEYS = new Set(POLICY.services.map((s) => s.consentKey));
/** Every category (a Map: "__proto__" and friends are no category) → its optional consent keys. */
const CATEGORY_KEYS = new Map<string, string[]>(["necessary", "functional", "statistics", "marketing"].map((c) => [c, []]));
for (const s of POLICY.services) if (s.category !== "necessary" && !CATEGORY_KEYS.get(s.category)!.includes(s.consentKey)) CATEGORY_KEYS.get(s.category)!.push(s.consentKey);
const KNOWN = new Set([...SERVICE_KEYS, ...CATEGORY_KEYS.keys(), "timestamp", "revision"]);
const MAX_TIME = 8.64e15;

function expectNoChoice(c: Consent, gpc: boolean): void {
  expect(c.explicit).toBe(false);
  expect(c.granted.size).toBe(0);
  expect(c.source).toBe(gpc ? "gpc" : "default");
}

/** How a value may arrive: as is, percent-encoded, quoted, with spaces around. */
const wrap = fc.constantFrom<(v: string) => string>((v) => v, encodeURIComponent, (v) => `"${v}"`, (v) => ` ${v}\t`, (v) => `"${encodeURIComponent(v)}"`);

const unknownKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "GA", "Statistics", " ga", "ga "),
).filter((k) => !KNOWN.has(k));
const wrongType = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.boolean(), { maxLength: 2 }), fc.constant({ ga: true }));

/** A JSON object that is not a valid choice, and why. */
const invalidJson: fc.Arbitrary<string> = fc.oneof(
  // No key the policy knows (prototype keys included), whatever the values.
  fc.dictionary(unknownKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }).map((o) => JSON.stringify(o)),
  fc.constantFrom('{"__proto__":{"ga":true}}', '{"constructor":{"prototype":{"ga":true}}}', '{"__proto__":true,"toString":true}'),
  // A known key with a wrong type.
  fc.tuple(fc.constantFrom(...SERVICE_KEYS, ...CATEGORY_KEYS.keys()), wrongType).map(([k, v]) => JSON.stringify({ ga: true, [k]: v })),
  // A timestamp that is not a finite number, or a revision that is not the current one.
  fc.oneof(wrongType.filter((t) => typeof t !== "number"), fc.constantFrom("1e999", "-1e999")).map((t) => `{"ga":true,"timestamp":${typeof t === "string" && t.endsWith("e999") ? t : JSON.stringify(t)}}`),
  fc.oneof(fc.string(), fc.integer(), fc.constant(null)).filter((r) => r !== POLICY.revision).map((r) => JSON.stringify({ ga: true, revision: r })),
  // Not an object.
  fc.jsonValue().filter((v) => typeof v !== "object" || v === null || Array.isArray(v)).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 20 }).map((s) => `{${s}`),
);

/** Values that are not a valid choice: invalid JSON objects, truncated encodings, huge values, category lists naming nothing. */
const invalidValue: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(invalidJson, wrap).map(([v, w]) => w(v)),
  // A valid value cut short: the JSON loses its closing brace, or a %XX escape is split.
  fc
    .tuple(fc.subarray(GRANTABLE), fc.integer({ min: 0, max: 2 ** 40 }), fc.nat())
    .map(([g, now, cut]) => {
      const full = serializeConsent(g, POLICY, now);
      return full.slice(0, cut % full.length);
    }),
  fc.constantFrom("%", "%7", "%E0%A4%A", "%7B%22ga%22%3Atrue%7", "%C0%AF", "%ZZ"),
  // Over 4096 characters, valid otherwise.
  fc.integer({ min: 4100, max: 20000 }).map((n) => encodeURIComponent(JSON.stringify({ ga: true, pad: "x".repeat(n) }))),
  fc.integer({ min: 4097, max: 9000 }).map((n) => "statistics" + ",".repeat(n - 10)),
  // Category lists and plain text that name no category.
  fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("stats", "statistic", "all", "true", "ga")), { maxLength: 4 })
    .map((a) => a.join(","))
    .filter((s) => s.split(",").every((t) => !CATEGORY_KEYS.has(t.trim().toLowerCase())) && !s.includes("%") && !s.trim().startsWith("{")),
  fc.constantFrom("", " ", '""', "null", "[]", "{}", '"{}"', "{", "}"),
);

describe("parseConsent, generated cookies_preferences values (maia policy)", { timeout: 180_000 }, () => {
  it(`fails closed on anything that is not a valid choice (${count(runs(15_000))} values, with and without GPC)`, () => {
    fc.assert(
      fc.property(invalidValue, fc.boolean(), fc.integer({ min: 1, max: 3 }), (value, gpc, copies) => {
        expectNoChoice(parseConsent(Array(copies).fill(value), POLICY, { gpc }), gpc);
      }),
      { numRuns: runs(15_000) },
    );
  });

  it("never throws, and grants only the policy's optional keys, on any input (10,000 lists of values)", () => {
    const anyValue = fc.oneof(invalidValue, fc.string(), fc.string({ unit: "binary" }), fc.jsonValue().map((v) => JSON.stringify(v)));
    fc.assert(
      fc.property(fc.array(anyValue, { maxLength: 4 }), fc.boolean(), (values, gpc) => {
        const c = parseConsent(values, POLICY, { gpc });
        for (const key of c.granted) expect(GRANTABLE).toContain(key);
        if (!c.explicit) expectNoChoice(c, gpc);
        else expect(c.source).toBe("cookie");
      }),
      { numRuns: 10_000 },
    );
  });

  it("two different values of the cookie are no choice (3,000 pairs)", () => {
    const valid = fc.tuple(fc.subarray(GRANTABLE), fc.integer({ min: 0, max: 2 ** 40 })).map(([g, now]) => serializeConsent(g, POLICY, now));
    fc.assert(
      fc.property(valid, valid, fc.boolean(), (a, b, gpc) => {
        fc.pre(a.trim() !== b.trim());
        expectNoChoice(parseConsent([a, b], POLICY, { gpc }), gpc);
      }),
      { numRuns: 3_000 },
    );
  });

  it("reads a valid JSON choice as the documented rule says (5,000 objects, keys in any order, extra keys of any type)", () => {
    const entry = fc.oneof(
      fc.tuple(fc.constantFrom(...SERVICE_KEYS, ...CATEGORY_KEYS.keys()), fc.boolean()),
      fc.tuple(unknownKey, fc.jsonValue({ maxDepth: 1 })),
      fc.tuple(fc.constant("timestamp"), fc.double({ noNaN: true, noDefaultInfinity: true })),
      fc.tuple(fc.constant("revision"), fc.constant<unknown>(POLICY.revision)),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), wrap, fc.boolean(), (entries, w, gpc) => {
        const obj: Record<string, unknown> = {};
        for (const [k, v] of entries) Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
        const json = JSON.stringify(obj);
        const value = w(json);
        const keys = Object.keys(obj);
        // Expected, from the rule in src/consent/parse.ts's header: named keys decide for themselves,
        // categories grant the rest of their keys, only `true` grants, the current revision alone counts.
        const recognised = keys.some((k) => (k !== "timestamp" && KNOWN.has(k)));
        const named = new Set(keys.filter((k) => SERVICE_KEYS.has(k)));
        const expected = new Set<string>();
        for (const k of keys) {
          if (SERVICE_KEYS.has(k)) { if (obj[k] === true && GRANTABLE.includes(k)) expected.add(k); }
          else if (CATEGORY_KEYS.has(k) && obj[k] === true) for (const s of CATEGORY_KEYS.get(k)!) if (!named.has(s)) expected.add(s);
        }
        // A raw "%" in an unencoded value makes it a (possibly broken) percent-encoding: not this rule's business.
        if (value.includes(json)) fc.pre(!json.includes("%"));
        const c = parseConsent([value], POLICY, { gpc });
        if (!recognised || value.trim().length > 4096) expectNoChoice(c, gpc);
        else {
          expect(c.explicit).toBe(true);
          expect([...c.granted].sort()).toEqual([...expected].sort());
        }
      }),
      { numRuns: 5_000 },
    );
  });
});

describe("serializeConsent, generated choices (maia policy)", { timeout: 180_000 }, () => {
  it("always parses back to the same choice, also as the browser stores its Set-Cookie line (7,000 choices)", () => {
    fc.assert(
      fc.property(
        fc.subarray([...GRANTABLE, "necessary", "unknown", "__proto__"]),
        fc.integer({ min: -MAX_TIME, max: MAX_TIME }),
        fc.boolean(),
        fc.boolean(),
        (granted, now, gpc, secure) => {
          const value = serializeConsent(granted, POLICY, now);
          expect(value.length).toBeLessThan(4096);
          expect(value).toMatch(/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/);
          const want = GRANTABLE.filter((k) => granted.includes(k)).sort();
          const direct = parseConsent([value, ` ${value} `], POLICY, { gpc });
          expect(direct.explicit).toBe(true);
          expect([...direct.granted].sort()).toEqual(want);
          // The Set-Cookie line, read by the RFC 6265bis oracle, stores the same value under the consent cookie's name.
          if (Math.abs(now) <= MAX_TIME - 15552000 * 1000) {
            const line = consentSetCookie(value, { secure, now });
            expect(cookieNameOf(line)).toBe("cookies_preferences");
            const stored = parseSetCookieLine(line)!;
            expect(stored.attributes.path).toBe("/");
            expect(stored.attributes.secure).toBe(secure);
            expect([...parseConsent([stored.value], POLICY, { gpc }).granted].sort()).toEqual(want);
          }
        },
      ),
      { numRuns: 7_000 },
    );
  });
});
