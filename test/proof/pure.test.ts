// The pure parts of the proof of consent: the record, the browser family, the policy hash, retention.
import { describe, expect, it } from "vitest";
import { POLICIES } from "../../src/policy";
import { canonicalJson, policyHash } from "../../src/proof/policy-hash";
import { browserFamily, buildConsentRecord, choicePlace, choiceVia } from "../../src/proof/record";
import { RECORD_ID, newRecordId } from "../../src/proof/record-id";
import { retentionCutoff, retentionMonths } from "../../src/proof/retention";

describe("buildConsentRecord", () => {
  const base = {
    id: "AAAAAAAAAAAAAAAAAAAAAA",
    tenant: "t",
    now: 5,
    action: "save" as const,
    revision: "r",
    policySha256: "h",
    keys: ["ga", "matomo", "xiti"],
    place: "page" as const,
    via: "form" as const,
    lang: "en" as const,
    browser: "Firefox",
  };
  it("lists every key as granted or refused", () => {
    const r = buildConsentRecord({ ...base, granted: new Set(["matomo"]), previous: new Set() });
    expect(r.choices).toEqual({ ga: false, matomo: true, xiti: false });
    expect(r.kind).toBe("choice");
  });
  it("is a withdrawal when a key granted before is refused now, and only then", () => {
    const w = buildConsentRecord({ ...base, granted: new Set(["ga"]), previous: new Set(["xiti", "ga", "matomo"]) });
    expect([w.kind, w.withdrawn]).toEqual(["withdrawal", ["matomo", "xiti"]]);
    const more = buildConsentRecord({ ...base, granted: new Set(["ga", "xiti"]), previous: new Set(["ga"]) });
    expect([more.kind, more.withdrawn]).toEqual(["choice", []]);
  });
  it("ignores granted keys the policy does not have", () => {
    expect(buildConsentRecord({ ...base, granted: new Set(["evil"]), previous: new Set() }).choices).toEqual({ ga: false, matomo: false, xiti: false });
  });
});

describe("where and how", () => {
  it("reads the from field strictly", () => {
    expect(["banner", "page", "Banner", "", null, "x"].map(choicePlace)).toEqual(["banner", "page", "other", "other", "other", "other"]);
  });
  it("reads Sec-Fetch-Mode: navigate or nothing is a form, fetch modes are a script", () => {
    expect(["navigate", undefined, "cors", "same-origin", "no-cors", "websocket"].map(choiceVia)).toEqual(["form", "form", "script", "script", "script", "form"]);
  });
});

describe("browserFamily", () => {
  it.each([
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36", "Chrome"],
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141.0.0.0", "Edge"],
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 OPR/120.0.0.0", "Opera"],
    ["Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36", "Samsung Internet"],
    ["Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "Firefox"],
    ["Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/140.0 Mobile/15E148 Safari/605.1.15", "Firefox"],
    ["Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/141.0 Mobile/15E148 Safari/604.1", "Chrome"],
    ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15", "Safari"],
    ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"],
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/141.0.0.0 Safari/537.36", "Chrome"],
    ["curl/8.5.0", "other"],
    ["", "other"],
    [undefined, "other"],
  ])("%s is %s", (ua, family) => {
    expect(browserFamily(ua)).toBe(family);
  });
});

describe("policyHash", () => {
  it("is the same for the same policy, whatever the key order, and changes with the text", async () => {
    expect(canonicalJson({ b: 1, a: [1, { d: undefined, c: "x" }], f: () => 1, m: new Map() })).toBe('{"a":[1,{"c":"x"}],"b":1}');
    const maia = POLICIES.byId("maia")!;
    const h = await policyHash(maia);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(await policyHash(maia)).toBe(h);
    const edited = { ...maia, sections: [...maia.sections, { heading: "x", paragraphs: [] }] };
    expect(await policyHash(edited)).not.toBe(h);
    const other = POLICIES.all.find((p) => p.id !== "maia");
    if (other) expect(await policyHash(other)).not.toBe(h);
  });
});

describe("record ids", () => {
  it("are 22 base64url characters and differ", () => {
    const ids = new Set(Array.from({ length: 200 }, newRecordId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(RECORD_ID);
  });
});

describe("retention", () => {
  it("reads the var: default 13, whole months 1..120 only", () => {
    expect([undefined, "", " ", "13", "1", "120", "0", "121", "1.5", "abc", "-3"].map(retentionMonths)).toEqual([13, 13, 13, 13, 1, 120, undefined, undefined, undefined, undefined, undefined]);
  });
  it("counts calendar months back, clamped to the month's last day", () => {
    expect(new Date(retentionCutoff(Date.UTC(2026, 2, 31, 12), 1)).toISOString()).toBe("2026-02-28T12:00:00.000Z");
    expect(new Date(retentionCutoff(Date.UTC(2026, 0, 15), 13)).toISOString()).toBe("2024-12-15T00:00:00.000Z");
    expect(new Date(retentionCutoff(Date.UTC(2028, 2, 31), 1)).toISOString()).toBe("2028-02-29T00:00:00.000Z");
  });
});
