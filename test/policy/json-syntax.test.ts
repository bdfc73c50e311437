// The JSON syntax locator agrees with JSON.parse on what is valid, and points at the first
// offending character with 1-based line and column.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findJsonSyntaxError } from "../../src/policy/json-syntax";

const parses = (t: string) => {
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
};

describe("findJsonSyntaxError", () => {
  it.each([
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /',' or '}'/],
    ['{"a": [1,]}', 1, 10, /trailing comma before '\]'/],
    ['{"a": 1,}', 1, 9, /trailing comma before '}'/],
    ["{'a': 1}", 1, 2, /double quotes/],
    ['{"a": tru}', 1, 7, /a value was expected/],
    ['{"a": "\\x"}', 1, 8, /invalid escape/],
    ['{"a": 01}', 1, 8, /',' or '}'/],
    ["", 1, 1, /end of file/],
    ["{} {}", 1, 4, /after the JSON value/],
    ["\uFEFF{}", 1, 1, /byte order mark/],
    ['{\r\n"a":\r\n}', 3, 1, /a value was expected/],
  ])("%j: line %i, column %i", (text, line, column, reason) => {
    const e = findJsonSyntaxError(text)!;
    expect(e).not.toBeNull();
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.reason).toMatch(reason);
  });

  it("accepts what JSON.parse accepts, including the repository's own kind of file", () => {
    expect(findJsonSyntaxError('{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"], "b": {}}')).toBeNull();
    expect(findJsonSyntaxError(" [ ] ")).toBeNull();
  });

  it("agrees with JSON.parse on arbitrary JSON and on mutations of it", () => {
    const json = fc.jsonValue().map((v) => JSON.stringify(v, null, 1));
    fc.assert(
      fc.property(json, fc.nat(), fc.constantFrom("", ",", "}", "]", '"', "'", ":", "\n", "x", "\\", "\u0001", "-"), (text, at, insert) => {
        const k = text.length === 0 ? 0 : at % (text.length + 1);
        const mutated = text.slice(0, k) + insert + text.slice(k);
        expect(findJsonSyntaxError(text)).toBeNull();
        expect(findJsonSyntaxError(mutated) === null).toBe(parses(mutated));
      }),
      { numRuns: 2000 },
    );
  });

  it("says 'nested too deeply' rather than crash", () => {
    const deep = "[".repeat(200_000) + "]".repeat(200_000);
    expect(() => findJsonSyntaxError(deep)).not.toThrow();
  });
});
