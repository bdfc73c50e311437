import { describe, expect, it } from "vitest";
import { MAX_REQUEST_COOKIES, cookieValues, parseCookieHeader } from "../../src/cookies/cookie-header";

describe("parseCookieHeader", () => {
  const cases: Array<[string, string | null | undefined, Array<[string, string, string]>]> = [
    ["null", null, []],
    ["undefined", undefined, []],
    ["empty", "", []],
    ["only separators and spaces", " ; ;; \t;", []],
    ["one pair", "a=b", [["a", "b", "a=b"]]],
    ["browser shape", "sessionid=abc; _ga=GA1.2.3", [["sessionid", "abc", "sessionid=abc"], ["_ga", "GA1.2.3", "_ga=GA1.2.3"]]],
    ["no space after ;", "a=1;b=2", [["a", "1", "a=1"], ["b", "2", "b=2"]]],
    ["whitespace around name and =", "  a  =  1  ;\tb\t=2", [["a", "1", "a  =  1"], ["b", "2", "b\t=2"]]],
    ["trailing ;", "a=1;", [["a", "1", "a=1"]]],
    ["nameless pair", "lonely; a=1", [["", "lonely", "lonely"], ["a", "1", "a=1"]]],
    ["empty name", "=x", [["", "x", "=x"]]],
    ["only =", "=", [["", "", "="]]],
    ["empty value", "a=", [["a", "", "a="]]],
    ["value containing =", "a=b=c", [["a", "b=c", "a=b=c"]]],
    ["quoted value kept", 'a="x y"', [["a", '"x y"', 'a="x y"']]],
    ["comma in a value", "a=1,2 x", [["a", "1,2 x", "a=1,2 x"]]],
    // workerd joins repeated Cookie fields with ", " (RFC 9113 §8.2.3 means "; "): a comma before name= ends a pair.
    ["two fields joined with a comma", "a=1, b=2", [["a", "1", "a=1"], ["b", "2", "b=2"]]],
    ["a pair hidden after a comma", "a=1,b=2", [["a", "1", "a=1"], ["b", "2", "b=2"]]],
    ["a comma before a nameless pair stays", "a=1, b", [["a", "1, b", "a=1, b"]]],
    ["joined fields of several pairs", "a=1; b=2, c=3; d=4", [["a", "1", "a=1"], ["b", "2", "b=2"], ["c", "3", "c=3"], ["d", "4", "d=4"]]],
    ["duplicate names kept in order", "a=1; a=2", [["a", "1", "a=1"], ["a", "2", "a=2"]]],
    ["case kept", "SessionID=1", [["SessionID", "1", "SessionID=1"]]],
  ];
  it.each(cases)("%s", (_label, header, expected) => {
    expect(parseCookieHeader(header).map((c) => [c.name, c.value, c.raw])).toEqual(expected);
  });

  it(`handles at most ${MAX_REQUEST_COOKIES} pairs`, () => {
    const header = Array.from({ length: 1000 }, (_, i) => `c${i}=${i}`).join("; ");
    const parsed = parseCookieHeader(header);
    expect(parsed).toHaveLength(MAX_REQUEST_COOKIES);
    expect(parsed[MAX_REQUEST_COOKIES - 1].name).toBe(`c${MAX_REQUEST_COOKIES - 1}`);
  });

  it("never throws on odd input", () => {
    for (const h of ["\u0000=\u0000", "a=\r\n", ";".repeat(10_000), "=".repeat(100), "\uD800=\uDFFF"]) {
      expect(() => parseCookieHeader(h)).not.toThrow();
    }
  });
});

describe("cookieValues", () => {
  const cookies = parseCookieHeader("a=1; b=2; a=3; A=4; a =5");
  it("returns every value of the name in order", () => {
    expect(cookieValues(cookies, "a")).toEqual(["1", "3", "5"]);
  });
  it("compares names case-sensitively", () => {
    expect(cookieValues(cookies, "A")).toEqual(["4"]);
  });
  it("returns [] for a missing name", () => {
    expect(cookieValues(cookies, "zz")).toEqual([]);
  });
});
