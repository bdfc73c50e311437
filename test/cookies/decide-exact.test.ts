// The whole keep/strip decision, exactly: kept lines (same strings, in order) AND every stripped
// name, reason and service, against the independent oracle of test/fuzz/oracle.ts. The fast
// paths of src/cookies (the control-character check, the per-policy name table, the Cookie
// header memo) must give the answer of a plain reading for every line, odd ones first.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Consent } from "../../src/consent/types";
import { NECESSARY_ONLY } from "../../src/consent/types";
import { parseCookieHeader } from "../../src/cookies/cookie-header";
import { filterRequestCookies, filterSetCookies, type StrippedCookie } from "../../src/cookies/decide";
import { noRejectedControls, setCookieName } from "../../src/cookies/set-cookie";
import { POLICIES } from "../../src/policy";
import { compilePolicy } from "../../src/policy/compile";
import { cookieHeader, grantedKeys, policyNames, setCookieLine } from "../fuzz/arbitraries";
import { cookieNameOf, declaringService, isConsentCookie, isRecordPair, requestPairName, requestPairs } from "../fuzz/oracle";

fc.configureGlobal({ interruptAfterTimeLimit: 40_000, markInterruptAsFailure: true });

const POLICY = POLICIES.byId("maia")!;
const ALL: ReadonlySet<string> = new Set(POLICY.services.map((s) => s.consentKey));
const consent = (granted: ReadonlySet<string>): Consent => ({ explicit: granted.size > 0, source: "cookie", granted });

/** What the decision must do with each line, from the oracle: "kept", or the stripped record. */
function expected(lines: readonly string[], granted: ReadonlySet<string>, own = false): { kept: string[]; stripped: StrippedCookie[] } {
  const kept: string[] = [];
  const stripped: StrippedCookie[] = [];
  for (const line of lines) {
    const name = cookieNameOf(line);
    if (name === null) {
      stripped.push({ name: "", reason: "unparseable" });
      continue;
    }
    if (isConsentCookie(name)) {
      if (own) kept.push(line);
      else stripped.push({ name, reason: "consent-cookie" });
      continue;
    }
    const service = declaringService(POLICY, name);
    if (service && (service.category === "necessary" || granted.has(service.consentKey))) kept.push(line);
    else if (service) stripped.push({ name, reason: "no-consent", service: service.id });
    else stripped.push({ name, reason: "unknown" });
  }
  return { kept, stripped };
}

function check(lines: readonly string[], granted: ReadonlySet<string>, own = false): void {
  const want = expected(lines, granted, own);
  const got = filterSetCookies(lines, POLICY, consent(granted), { ownConsentCookies: own });
  expect(got.kept.length).toBe(want.kept.length);
  for (let i = 0; i < want.kept.length; i++) expect(got.kept[i]).toBe(want.kept[i]);
  expect(got.stripped).toEqual(want.stripped);
}

const CTLS = [..."\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"];

describe("filterSetCookies: odd lines, exactly as the oracle reads them", () => {
  const base = "sessionid=q8v2k1m0; expires=Tue, 15 Dec 2026 10:00:00 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax; Secure";
  const odd: Array<[string, string]> = [
    ["plain necessary line", base],
    ["plain tracker line", "_ga=GA1.1.1234567890.1700000000; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=34560000; Path=/; SameSite=Lax"],
    ["tab in the value", "sessionid=a\tb; Path=/"],
    ["tab in an attribute", "sessionid=a; Path=/\t; Secure"],
    ["tab before the name", "\tsessionid=a"],
    ["DEL at the very end", `${base}\x7f`],
    ["NUL at the very start", `\x00${base}`],
    ["0x1f in the name", "session\x1fid=a"],
    ["0x0b in an attribute far out", `${base}; Comment=${"x".repeat(3000)}\x0b`],
    ["0x80, 0x9f and 0xff are not CTLs", "sessionid=\x80\x9f\xff; Path=/"],
    ["U+2028 and U+FEFF are not CTLs", "sessionid=\u2028\ufeff"],
    ["lone surrogates", "sessionid=\ud800x\udc00"],
    ["astral characters", "sessionid=😀😀; Path=/😀"],
    ["non-ASCII name", "séssionid=a"],
    ["no =", "sessionid"],
    ["= only", "="],
    ["empty name", "=sessionid"],
    ["= after the first ;", "sessionid; x=1"],
    ["== in the value", "sessionid==a"],
    ["= then ; at once", "sessionid=;"],
    ["; first", ";sessionid=a"],
    ["name of spaces only", "   =a"],
    ["duplicate names", "sessionid=a; sessionid=b"],
    ["__Host- prefix", "__Host-sessionid=a; Path=/; Secure"],
    ["__Secure- prefix", "__Secure-sessionid=a; Secure"],
    ["nameless __Host- value", "__Host-a; Path=/; Secure"],
    ["nameless __secure- value, other case", "__sEcUrE-a"],
    ["the record, odd case", "__HOST-consent-EDGE=v1.x; Path=/; Secure"],
    ["cookies_preferences", 'cookies_preferences="{}"; Path=/'],
    ["quoted value", 'sessionid="a b; c"; Path=/'],
    ["quoted name", '"sessionid"=a'],
    ["comma-folded lines", "_ga=1; Path=/, sessionid=2; Path=/"],
    ["response splitting", "sessionid=a\r\nSet-Cookie: _ga=1"],
    ["name + value of 4096 octets", `sessionid=${"x".repeat(4087)}`],
    ["name + value of 4097 octets", `sessionid=${"x".repeat(4088)}`],
    ["4096 octets with a 3-octet character", `sessionid=${"x".repeat(4084)}€`],
    ["4097 octets with a 3-octet character", `sessionid=${"x".repeat(4085)}€`],
    ["a 100 KB attribute", `sessionid=a; Comment=${"c".repeat(100_000)}`],
    ["a 100 KB attribute ending with a CTL", `sessionid=a; Comment=${"c".repeat(100_000)}\x01`],
    ["empty line", ""],
    ["blank line", " \t "],
  ];
  it.each(odd)("%s", (_label, line) => {
    for (const granted of [new Set<string>(), ALL]) {
      check([line], granted);
      check([line], granted, true);
    }
  });

  it("every CTL but HTAB, in the name, the value and an attribute of a kept line, strips it", () => {
    for (const c of CTLS) {
      for (const line of [`session${c}id=a; Path=/`, `sessionid=a${c}b; Path=/`, `sessionid=a; Pa${c}th=/`, `sessionid=a; Path=/${c}`]) {
        const { kept, stripped } = filterSetCookies([line], POLICY, consent(ALL));
        expect(kept, JSON.stringify(line)).toEqual([]);
        expect(stripped).toEqual([{ name: "", reason: "unparseable" }]);
        expect(setCookieName(line)).toBeNull();
      }
    }
  });

  it("a CTL in one line does not spoil its neighbours", () => {
    const lines = ["sessionid=1; Path=/", "_ga=2\x01", "csrftoken=3", "tracker=4\x7f", "django_language=fr"];
    check(lines, new Set());
    check(lines, ALL);
    expect(filterSetCookies(lines, POLICY, consent(ALL)).kept).toEqual([lines[0], lines[2], lines[4]]);
  });

  it("the same names under two policies are read under each (nothing shared between policies)", () => {
    const other = compilePolicy({
      ...POLICY,
      id: "other",
      services: POLICY.services.map((s) => ({ ...s, cookies: s.cookies.filter((c) => c.name !== "csrftoken") })),
    });
    const lines = ["csrftoken=1", "sessionid=2", "csrftoken=3"];
    for (let i = 0; i < 3; i++) {
      expect(filterSetCookies(lines, POLICY, NECESSARY_ONLY).kept).toEqual(lines);
      expect(filterSetCookies(lines, other, NECESSARY_ONLY)).toEqual({
        kept: ["sessionid=2"],
        stripped: [
          { name: "csrftoken", reason: "unknown" },
          { name: "csrftoken", reason: "unknown" },
        ],
      });
    }
  });

  it("many distinct names (more than any per-policy table holds) are each read right", () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(i % 3 === 0 ? `_ga_X${i}=1` : i % 3 === 1 ? `unknown${i}=1` : `_pk_id.${i}.a=1`);
    for (let round = 0; round < 2; round++) {
      check(lines, new Set());
      check(lines, new Set(["ga"]));
    }
  });

  it("names that differ only where a cheap table slot does not look are told apart, in either order", () => {
    // Same length, first, middle and last two code units: one slot of the per-policy name table.
    const pairs = [
      ["sessionid=1", "sesXionid=1"],
      ["_pk_id.9.abcd=1", "_pk_xx.9.abcd=1"],
      ["csrftoken=1", "cXrftoken=1"],
      ["cookies_preferences=1", "cookiesXpreferences=1"],
    ];
    for (const [a, b] of pairs) {
      for (const lines of [[a, b], [b, a], [a, b, a, b]]) {
        check(lines, new Set());
        check(lines, ALL);
      }
    }
  });

  it("stripped records are not shared: editing one changes no later decision", () => {
    const first = filterSetCookies(["_ga=1", "x=2"], POLICY, NECESSARY_ONLY).stripped;
    try {
      (first[0] as { name: string }).name = "changed";
    } catch {
      // frozen: also fine
    }
    expect(filterSetCookies(["_ga=1", "x=2"], POLICY, NECESSARY_ONLY).stripped).toEqual([
      { name: "_ga", reason: "no-consent", service: POLICY.classify("_ga")!.service.id },
      { name: "x", reason: "unknown" },
    ]);
  });
});

describe("noRejectedControls (one check for a whole response)", () => {
  const REJECTED = /[\x00-\x08\x0a-\x1f\x7f]/;
  it("finds every code unit below 0x20 and 0x7F at every offset of every line, never a false all-clear", () => {
    const fillers = ["", "a", "ab", "abc", "é", "😀", "\ud800", "€x"];
    for (let c = 0; c < 0x80; c++) {
      const ch = String.fromCharCode(c);
      for (const before of fillers) {
        for (let at = 0; at < 9; at++) {
          const line = `${before}${"x".repeat(at)}${ch}${"y".repeat(8 - at)}`;
          for (const lines of [[line], ["sessionid=1", line], [line, "a=b; Path=/", "c"], ["", line, ""]]) {
            const clear = noRejectedControls(lines);
            if (REJECTED.test(line)) expect(clear, JSON.stringify(lines)).toBe(false);
            // An all-clear is only ever given for lines without any octet below 0x20 or 0x7F.
            if (clear) expect(lines.some((l) => /[\x00-\x1f\x7f]/.test(l))).toBe(false);
          }
        }
      }
    }
  });

  it("clears printable ASCII and non-ASCII lines, and declines (line by line) what it cannot read at once", () => {
    expect(noRejectedControls([])).toBe(true);
    expect(noRejectedControls(["sessionid=abc; Path=/; HttpOnly", "_ga=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT"])).toBe(true);
    expect(noRejectedControls(["a=\u0080\u00ff\u2028\ufeff😀\ud800"])).toBe(true);
    expect(noRejectedControls(["a=b\tc"])).toBe(false); // HTAB is allowed, but then each line is checked
    expect(noRejectedControls([`a=${"x".repeat(40_000)}`])).toBe(false); // too long for one check
    expect(noRejectedControls([`a=${"€".repeat(12_000)}`])).toBe(false); // fits in units, not in octets
  });

  it("agrees with the per-line check on generated lists (20,000 lists)", () => {
    const line = setCookieLine(policyNames(POLICY));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        if (noRejectedControls(lines)) for (const l of lines) expect(REJECTED.test(l)).toBe(false);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe("filterSetCookies, generated lines: kept and stripped exactly as the oracle says", { timeout: 60_000 }, () => {
  const line = setCookieLine(policyNames(POLICY));
  it("setCookieName is the oracle's stored name (20,000 lines)", () => {
    fc.assert(
      fc.property(line, (l) => {
        expect(setCookieName(l)).toBe(cookieNameOf(l));
      }),
      { numRuns: 20_000 },
    );
  });
  it("any consent, with and without the app's own consent cookies (10,000 lists of up to 20 lines)", () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), grantedKeys(POLICY), fc.boolean(), (lines, granted, own) => check(lines, granted, own)),
      { numRuns: 10_000 },
    );
  });
});

describe("filterRequestCookies, generated headers: forwarded and refused exactly", { timeout: 60_000 }, () => {
  /** The oracle's reading: pairs in order, records skipped, allowed pairs forwarded, each refused name once. */
  function expectedRequest(header: string, granted: ReadonlySet<string>) {
    const forwarded: string[] = [];
    const refused: Array<[string, string]> = [];
    const seen = new Set<string>();
    for (const pair of requestPairs(header).slice(0, 300)) {
      const name = requestPairName(pair);
      if (isRecordPair(name)) continue;
      const service = declaringService(POLICY, name);
      if (service && (service.category === "necessary" || granted.has(service.consentKey))) forwarded.push(pair);
      else if (!seen.has(name)) {
        seen.add(name);
        refused.push([name, service ? "no-consent" : "unknown"]);
      }
    }
    return { header: forwarded.length === 0 ? null : forwarded.join("; "), refused };
  }
  it("matches the oracle, and a second parse of the same header gives the same pairs (10,000 headers)", () => {
    fc.assert(
      fc.property(cookieHeader(policyNames(POLICY)), grantedKeys(POLICY), (h, granted) => {
        const want = expectedRequest(h, granted);
        for (let i = 0; i < 2; i++) {
          const got = filterRequestCookies(h, POLICY, consent(granted));
          expect(got.header).toBe(want.header);
          expect(got.refused.map((r) => [r.name, r.reason])).toEqual(want.refused);
        }
        expect(parseCookieHeader(h)).toEqual(parseCookieHeader(`${h}`));
      }),
      { numRuns: 10_000 },
    );
  });

  it("parseCookieHeader results cannot be edited (a second reading of the same header may share them)", () => {
    const h = "sessionid=1; _ga=2";
    const first = parseCookieHeader(h);
    expect(() => first.push({ name: "x", value: "y", raw: "x=y" })).toThrow(TypeError);
    expect(() => first.splice(0, 1)).toThrow(TypeError);
    const typeOnly = (): void => {
      // @ts-expect-error the pairs are read-only (checked by `npm run typecheck`, never run)
      first[0].name = "x";
    };
    void typeOnly;
    expect(parseCookieHeader(`${h}`)).toEqual([
      { name: "sessionid", value: "1", raw: "sessionid=1" },
      { name: "_ga", value: "2", raw: "_ga=2" },
    ]);
    expect(filterRequestCookies(h, POLICY, NECESSARY_ONLY).header).toBe("sessionid=1");
  });
});
