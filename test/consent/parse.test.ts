import { describe, expect, it } from "vitest";
import { GPC_REFUSAL, isGpc, parseConsent } from "../../src/consent/parse";
import { NECESSARY_ONLY } from "../../src/consent/types";
import { compilePolicy } from "../../src/policy/compile";
import { OPTIONAL_KEYS, POLICY, service, STATISTICS, tenantPolicy } from "./fixture";

const enc = encodeURIComponent;
const REAL = "%7B%22ga%22%3Atrue%2C%22matomo%22%3Afalse%2C%22timestamp%22%3A1700000000000%7D";
const ALL_TRUE = enc(JSON.stringify({ ga: true, matomo: true, xiti: true, at: true, functional_cookies: true, timestamp: 1 }));

type Row = [name: string, values: string[], granted: readonly string[] | "none"];

// Valid choices: explicit, source "cookie", exactly these keys granted.
const VALID: Row[] = [
  ["real Opendatasoft value", [REAL], ["ga"]],
  ["Opendatasoft value, all true", [ALL_TRUE], OPTIONAL_KEYS],
  ["Opendatasoft value, all false", [enc('{"ga":false,"matomo":false,"xiti":false,"at":false,"timestamp":1}')], []],
  ["raw unencoded JSON", ['{"ga":false,"xiti":true,"timestamp":1700000000000}'], ["xiti"]],
  ["raw JSON with spaces", ['{ "at" : true , "matomo" : true }'], ["at", "matomo"]],
  ["DQUOTE-wrapped encoded value", [`"${REAL}"`], ["ga"]],
  ["DQUOTE-wrapped category list", ['"statistics"'], STATISTICS],
  ["surrounding whitespace", [`  ${REAL}\t`], ["ga"]],
  ["lower-case percent escapes", ["%7b%22ga%22%3atrue%7d"], ["ga"]],
  ["no timestamp", ['{"matomo":true}'], ["matomo"]],
  ["matching revision", [enc('{"ga":true,"timestamp":1,"revision":"2026-11"}')], ["ga"]],
  ["functional service key", ['{"functional_cookies":true,"ga":false}'], ["functional_cookies"]],
  ["unknown keys ignored", ['{"ga":true,"facebook":true,"hotjar":false}'], ["ga"]],
  ["unknown keys ignored whatever their value", ['{"ga":true,"extra":{"x":[1,2]},"n":null}'], ["ga"]],
  ["__proto__ key is just unknown", ['{"__proto__":{"ga":true},"matomo":true}'], ["matomo"]],
  ["constructor / toString keys are just unknown", ['{"constructor":true,"toString":true,"at":true}'], ["at"]],
  ["duplicate JSON key: last wins (as JSON.parse)", ['{"ga":false,"ga":true}'], ["ga"]],
  ["necessary service key grants nothing", ['{"necessary":true}'], []],
  ["only the current revision: a choice of nothing", ['{"timestamp":1,"revision":"2026-11"}'], []],
  ["current revision, unknown keys only", ['{"facebook":true,"revision":"2026-11"}'], []],
  ["category JSON", ['{"statistics":true,"functional":false}'], STATISTICS],
  ["category JSON functional", [enc('{"functional":true}')], ["functional_cookies"]],
  ["category JSON all false", ['{"statistics":false,"functional":false,"marketing":false}'], []],
  ["marketing category with no services", ['{"marketing":true}'], []],
  ["mixed: service key overrides its category (false)", ['{"statistics":true,"ga":false}'], ["matomo", "xiti", "at"]],
  ["mixed: service key overrides its category (true)", ['{"statistics":false,"ga":true}'], ["ga"]],
  ["mixed: key order does not matter", ['{"ga":false,"statistics":true}'], ["matomo", "xiti", "at"]],
  ["mixed: other category unaffected", ['{"functional":true,"ga":true}'], ["functional_cookies", "ga"]],
  ["category list", ["statistics,functional"], OPTIONAL_KEYS],
  ["category list, case and spaces", [" Statistics , FUNCTIONAL "], OPTIONAL_KEYS],
  ["category list, encoded", [enc("statistics, functional")], OPTIONAL_KEYS],
  ["category list, one", ["functional"], ["functional_cookies"]],
  ["category list, empty items", [",statistics,,"], STATISTICS],
  ["category list, unknown names ignored", ["statistics,ads,ga"], STATISTICS],
  ["category list, necessary alone = explicit refusal", ["necessary"], []],
  ["identical duplicates count once", [REAL, REAL, REAL], ["ga"]],
  ["duplicates equal after trimming", [REAL, ` ${REAL}`], ["ga"]],
];

// Not a valid choice: necessary only, explicit false.
const INVALID: Array<[name: string, values: string[]]> = [
  ["no value", []],
  ["empty", [""]],
  ["blank", ["   "]],
  ["empty quotes", ['""']],
  ["lone quote", ['"']],
  ["different duplicates", [REAL, ALL_TRUE]],
  ["different duplicates, one invalid", [REAL, "garbage"]],
  ["different duplicates, both refusing", [enc('{"ga":false}'), enc('{"ga":false,"timestamp":2}')]],
  ["revision mismatch", [enc('{"ga":true,"timestamp":1,"revision":"2025-01"}')]],
  ["revision mismatch, category JSON", ['{"statistics":true,"revision":"old"}']],
  ["revision of wrong type", ['{"ga":true,"revision":202611}']],
  ["revision empty string", ['{"ga":true,"revision":""}']],
  ["timestamp as string", ['{"ga":true,"timestamp":"1700000000000"}']],
  ["timestamp null", ['{"ga":true,"timestamp":null}']],
  ["string true", ['{"ga":"true"}']],
  ["number 1", ['{"ga":1}']],
  ["null", ['{"ga":null}']],
  ["array value", ['{"ga":[true]}']],
  ["nested junk", ['{"ga":{"value":true}}']],
  ["category with string", ['{"statistics":"yes"}']],
  ["one wrong type spoils the rest", ['{"ga":true,"matomo":"false"}']],
  ["top-level array", ['[{"ga":true}]']],
  ["top-level array of categories", ['["statistics"]']],
  ["JSON string", [enc('"statistics"')]],
  ["JSON true", ["true"]],
  ["JSON null", ["null"]],
  ["empty object", ["{}"]],
  ["only unknown keys", ['{"facebook":true}']],
  ["only timestamp and an old revision", ['{"timestamp":1,"revision":"2026-10"}']],
  ["only timestamp", ['{"timestamp":1}']],
  ["only __proto__", ['{"__proto__":true}']],
  ["truncated encoding %7B%22ga", ["%7B%22ga"]],
  ["truncated UTF-8 %E0%A4%A", ["%E0%A4%A"]],
  ["invalid UTF-8 %FF", ["%FF"]],
  ["lone percent", ["statistics%"]],
  ["malformed JSON", ['{"ga":true,}']],
  ["JSON with trailing junk", ['{"ga":true}x']],
  ["double-encoded", [enc(REAL)]],
  ["unknown category only", ["ads"]],
  ["unknown categories only", ["ads, tracking"]],
  ["service key is not a category", ["ga"]],
  ["semicolon list", ["statistics;functional"]],
  ["oversized", [enc(JSON.stringify({ ga: true, pad: "x".repeat(5000) }))]],
  ["oversized list", ["statistics," + " ".repeat(4100) + ",functional"]],
];

describe("parseConsent: valid choices", () => {
  it.each(VALID)("%s", (_name, values, granted) => {
    const consent = parseConsent(values, POLICY, { gpc: false });
    expect(consent.explicit).toBe(true);
    expect(consent.source).toBe("cookie");
    expect([...consent.granted].sort()).toEqual([...(granted as readonly string[])].sort());
  });

  it.each(VALID)("%s: wins over GPC", (_name, values, granted) => {
    const consent = parseConsent(values, POLICY, { gpc: true });
    expect(consent).toMatchObject({ explicit: true, source: "cookie" });
    expect(consent.granted.size).toBe(granted.length);
  });
});

describe("parseConsent: no valid choice", () => {
  it.each(INVALID)("%s → necessary only", (_name, values) => {
    const consent = parseConsent(values, POLICY, { gpc: false });
    expect(consent).toEqual({ explicit: false, source: "default", granted: new Set() });
  });

  it.each(INVALID)("%s, with GPC → gpc refusal", (_name, values) => {
    const consent = parseConsent(values, POLICY, { gpc: true });
    expect(consent).toEqual({ explicit: false, source: "gpc", granted: new Set() });
  });

  it("returns the shared constants", () => {
    expect(parseConsent([], POLICY, { gpc: false })).toBe(NECESSARY_ONLY);
    expect(parseConsent([], POLICY, { gpc: true })).toBe(GPC_REFUSAL);
  });

  it("does not pollute Object.prototype", () => {
    parseConsent(['{"__proto__":{"polluted":true},"ga":true}'], POLICY, { gpc: false });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a value exactly at the cap is still read", () => {
    const base = '{"ga":true,"pad":"';
    const value = base + "x".repeat(4096 - base.length - 2) + '"}';
    expect(value.length).toBe(4096);
    expect(parseConsent([value], POLICY, { gpc: false }).granted).toEqual(new Set(["ga"]));
    expect(parseConsent([value + " x"], POLICY, { gpc: false }).explicit).toBe(false);
  });
});

describe("parseConsent: policy revision", () => {
  it.each([
    ["absent", '{"ga":true}', true],
    ["same", '{"ga":true,"revision":"2026-11"}', true],
    ["older", '{"ga":true,"revision":"2026-10"}', false],
    ["case differs", '{"ga":true,"revision":"2026-11 "}', false],
  ] as const)("revision %s → explicit %s", (_name, value, explicit) => {
    expect(parseConsent([value], POLICY, { gpc: false }).explicit).toBe(explicit);
  });

  it("the same value stops counting when the policy's revision changes", () => {
    const value = enc('{"ga":true,"revision":"2026-11"}');
    const next = compilePolicy(tenantPolicy({ revision: "2027-01" }));
    expect(parseConsent([value], POLICY, { gpc: false }).explicit).toBe(true);
    expect(parseConsent([value], next, { gpc: false })).toBe(NECESSARY_ONLY);
  });
});

describe("parseConsent: keys follow the policy", () => {
  it("a key the policy does not declare is ignored", () => {
    const noXiti = compilePolicy(tenantPolicy({ services: tenantPolicy().services.filter((s) => s.id !== "xiti") }));
    expect(parseConsent(['{"xiti":true,"ga":true}'], noXiti, { gpc: false }).granted).toEqual(new Set(["ga"]));
    expect(parseConsent(['{"xiti":true}'], noXiti, { gpc: false }).explicit).toBe(false);
    expect(parseConsent(["statistics"], noXiti, { gpc: false }).granted).toEqual(new Set(["ga", "matomo", "at"]));
  });

  it("a policy consent key named __proto__ or constructor works like any other", () => {
    const odd = compilePolicy(
      tenantPolicy({
        services: [service("p", "__proto__", "statistics", "_p"), service("c", "constructor", "marketing", "_c")],
      }),
    );
    expect(parseConsent(['{"__proto__":true,"constructor":false}'], odd, { gpc: false }).granted).toEqual(
      new Set(["__proto__"]),
    );
    expect(parseConsent(["marketing"], odd, { gpc: false }).granted).toEqual(new Set(["constructor"]));
  });

  it("an unwritable policy fails closed instead of throwing", () => {
    const bad = compilePolicy(tenantPolicy({ services: [service("t", "timestamp", "statistics", "_t")] }));
    expect(parseConsent(['{"timestamp":1}'], bad, { gpc: true })).toBe(GPC_REFUSAL);
  });
});

describe("isGpc", () => {
  it.each([
    ["1", true],
    [" 1 ", true],
    ["1\t", true],
    ["0", false],
    ["", false],
    ["true", false],
    ["1, 1", false],
    ["11", false],
    [null, false],
    [undefined, false],
  ] as const)("%j → %s", (header, expected) => {
    expect(isGpc(header)).toBe(expected);
  });
});
