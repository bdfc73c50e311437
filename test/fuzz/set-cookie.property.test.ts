// Property tests of the cookie decision against the real maia policy and an independent oracle
// (test/fuzz/oracle.ts, RFC 6265bis 5.6/5.7). 101,300 generated cases per run in this file in CI,
// 49,300 in a plain `npm test` (runs.ts: counts over 12,000 are capped there); the seed of a
// failure is printed by fast-check: add the shrunk case to regressions.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Consent } from "../../src/consent/types";
import { MAX_REQUEST_COOKIES } from "../../src/cookies/cookie-header";
import { filterRequestCookies, filterSetCookies } from "../../src/cookies/decide";
import { POLICIES } from "../../src/policy";
import { cookieHeader, grantedKeys, policyNames, setCookieLine } from "./arbitraries";
import { count, runs } from "./runs";
import { cookieNameOf, declaringService, isRecordPair, mayForward, mayStore, requestPairName, requestPairs, storedName } from "./oracle";

// A failing property stops shrinking after 120 s and reports the smallest case found so far; a
// passing one that runs out of time fails too (each takes under 10 s on an idle machine; files
// run three at a time on two cores, beside other work).
fc.configureGlobal({ interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true });

const POLICY = POLICIES.byId("maia")!;
const NAMES = policyNames(POLICY);
const NONE: ReadonlySet<string> = new Set();
const ALL: ReadonlySet<string> = new Set(POLICY.services.map((s) => s.consentKey));
const HOST = POLICY.hosts[0];

function consent(granted: ReadonlySet<string>): Consent {
  return { explicit: granted.size > 0, source: "cookie", granted };
}

const line = setCookieLine(NAMES);
const lines = (maxLength: number) => fc.array(line, { maxLength });

/** What the decision must keep under `granted`: the lines the oracle names a storable declared cookie, same strings, same order. */
function expectedKept(input: readonly string[], granted: ReadonlySet<string>): string[] {
  return input.filter((l) => {
    const name = cookieNameOf(l);
    return name !== null && mayStore(POLICY, name, granted);
  });
}

function expectSameStrings(actual: readonly string[], expected: readonly string[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBe(expected[i]);
}

/** No consent: nothing the browser would store under a non-necessary name is kept. */
function checkNoConsent(input: readonly string[]): void {
  const { kept, stripped } = filterSetCookies(input, POLICY, consent(NONE));
  expect(kept.length + stripped.length).toBe(input.length);
  const keptSet = new Set(kept);
  for (const l of input) {
    for (const ctx of [{ host: HOST, secure: true }, { host: HOST, secure: false }]) {
      const name = storedName(l, ctx);
      if (name !== null && declaringService(POLICY, name)?.category !== "necessary") expect(keptSet.has(l)).toBe(false);
    }
  }
  // Stronger: every kept line writes a necessary cookie whatever its attributes.
  for (const k of kept) expect(declaringService(POLICY, cookieNameOf(k) ?? "")?.category).toBe("necessary");
}

/** Full consent: exactly the declared lines, byte-for-byte, in order. */
function checkFullConsent(input: readonly string[]): void {
  const { kept, stripped } = filterSetCookies(input, POLICY, consent(ALL));
  expectSameStrings(kept, expectedKept(input, ALL));
  expect(kept.length + stripped.length).toBe(input.length);
}

describe("filterSetCookies, generated Set-Cookie lines (maia policy)", { timeout: 180_000 }, () => {
  it("the generator reaches every kind of line (sanity of the generator, 2,000 samples)", () => {
    const sample = fc.sample(line, { numRuns: 2000, seed: 42 });
    const names = sample.map(cookieNameOf);
    expect(names.filter((n) => n === null).length).toBeGreaterThan(200); // ignored by browsers
    expect(names.filter((n) => n === "").length).toBeGreaterThan(100); // nameless
    expect(names.filter((n) => n && declaringService(POLICY, n)?.category === "necessary").length).toBeGreaterThan(100);
    expect(names.filter((n) => n && declaringService(POLICY, n)?.category === "statistics").length).toBeGreaterThan(100);
    expect(names.filter((n) => n && !declaringService(POLICY, n)).length).toBeGreaterThan(100);
    expect(sample.filter((l) => l.length > 8192).length).toBeGreaterThan(40);
  });

  it(`no consent: no line stored under a non-necessary name is kept (${count(runs(30_000))} lists of up to 20 lines)`, () => {
    fc.assert(fc.property(lines(20), (input) => checkNoConsent(input)), { numRuns: runs(30_000) });
  });

  it(`full consent: every declared line passes byte-for-byte and in order, nothing else (${count(runs(30_000))} lists)`, () => {
    fc.assert(fc.property(lines(20), (input) => checkFullConsent(input)), { numRuns: runs(30_000) });
  });

  it(`any consent: kept is exactly the lines of necessary or granted services, in order (${count(runs(15_000))} lists)`, () => {
    fc.assert(
      fc.property(lines(20), grantedKeys(POLICY), (input, granted) => {
        const { kept, stripped } = filterSetCookies(input, POLICY, consent(granted));
        expectSameStrings(kept, expectedKept(input, granted));
        expect(kept.length + stripped.length).toBe(input.length);
      }),
      { numRuns: runs(15_000) },
    );
  });

  it("1,000 to 1,500 lines in one response, both ways (100 responses)", () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1000, maxLength: 1500 }), (input) => {
        checkNoConsent(input);
        checkFullConsent(input);
      }),
      { numRuns: 100 },
    );
  });

  it("lines of 8 KB to 64 KB around declared names (1,000 lines)", () => {
    const long = fc
      .tuple(line, fc.integer({ min: 8192, max: 65536 }), fc.constantFrom("x", "é", "😀", "; Path=/", ", _ga=1"), fc.boolean())
      .map(([l, n, fill, inValue]) => (inValue ? l.replace("=", "=" + fill.repeat(Math.ceil(n / fill.length))) : l + fill.repeat(Math.ceil(n / fill.length))));
    fc.assert(
      fc.property(long, (l) => {
        checkNoConsent([l]);
        checkFullConsent([l]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("filterRequestCookies, generated Cookie headers (maia policy)", { timeout: 180_000 }, () => {
  function check(header: string, granted: ReadonlySet<string>): void {
    const { header: forwarded, refused } = filterRequestCookies(header, POLICY, consent(granted));
    // Never forwards a name the origin would read as a cookie without consent.
    const sent = forwarded === null ? [] : requestPairs(forwarded);
    for (const pair of sent) expect(mayForward(POLICY, requestPairName(pair), granted)).toBe(true);
    // Never eats a consented pair among the first MAX_REQUEST_COOKIES, and keeps their order.
    const handled = requestPairs(header).slice(0, MAX_REQUEST_COOKIES);
    expect(sent).toEqual(handled.filter((p) => mayForward(POLICY, requestPairName(p), granted)));
    // Every refused name is reported once; the worker's records are never refused.
    const refusedNames = refused.map((r) => r.name);
    expect(new Set(refusedNames).size).toBe(refusedNames.length);
    for (const name of refusedNames) expect(mayForward(POLICY, name, granted) || isRecordPair(name)).toBe(false);
  }

  it(`forwards exactly the consented pairs, in order (${count(runs(25_000))} headers)`, () => {
    fc.assert(fc.property(cookieHeader(NAMES), grantedKeys(POLICY), (h, granted) => check(h, granted)), { numRuns: runs(25_000) });
  });

  it("headers with 250 to 400 pairs, none and full consent (200 headers)", () => {
    fc.assert(
      fc.property(cookieHeader(NAMES, 400, 250), (h) => {
        check(h, NONE);
        check(h, ALL);
      }),
      { numRuns: 200 },
    );
  });
});
