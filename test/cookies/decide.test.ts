import { describe, expect, it } from "vitest";
import { NECESSARY_ONLY } from "../../src/consent/types";
import { filterRequestCookies, filterSetCookies, isAllowed } from "../../src/cookies/decide";
import { POLICY, consentFor } from "./fixtures";

describe("isAllowed", () => {
  const cases: Array<[string, string, string[], boolean]> = [
    ["necessary without consent", "sessionid", [], true],
    ["statistics without consent", "_ga", [], false],
    ["statistics with its key", "_ga", ["ga"], true],
    ["statistics with another key", "_ga", ["matomo"], false],
    ["prefix cookie with its key", "_pk_id.1.abcd", ["matomo"], true],
  ];
  it.each(cases)("%s", (_label, name, keys, expected) => {
    expect(isAllowed(POLICY.classify(name), consentFor(...keys))).toBe(expected);
  });
  it("never allows an unknown cookie, whatever was granted", () => {
    expect(isAllowed(undefined, consentFor("ga", "matomo", "at", "opendatasoft"))).toBe(false);
  });
});

describe("filterSetCookies", () => {
  const nameCases: Array<[string, string, string[], "kept" | "unknown" | "no-consent" | "unparseable" | "consent-cookie"]> = [
    ["sessionid", "sessionid=abc; Path=/; HttpOnly; SameSite=Lax", [], "kept"],
    ["csrftoken with Expires comma", "csrftoken=x; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/", [], "kept"],
    ["django_language", "django_language=fr; Path=/", [], "kept"],
    // Only the worker writes consent: an origin's consent cookie never reaches the jar, declared or not.
    ["cookies_preferences from the origin", 'cookies_preferences="{}"; Path=/', ["ga"], "consent-cookie"],
    ["the worker's record from the origin", "__Host-consent-edge=v1.x; Path=/; Secure", ["ga"], "consent-cookie"],
    ["the record, another case", "__HOST-Consent-Edge=v1.x; Path=/; Secure", [], "consent-cookie"],
    ["the record, __Secure-", "__Secure-consent-edge=v1.x; Secure", [], "consent-cookie"],
    ["the record, unprefixed", "consent-edge=v1.x", [], "consent-cookie"],
    ["the http record", "consent-edge-http=v1.x; Domain=opendatasoft.com", [], "consent-cookie"],
    ["spaces around a necessary name", "  sessionid = abc", [], "kept"],
    ["tab before a necessary name", "\tsessionid=abc", [], "kept"],
    ["case differs from a necessary name", "SessionId=abc", [], "unknown"],
    ["inner space", "session id=abc", [], "unknown"],
    ["__Host- prefixed necessary name", "__Host-sessionid=abc; Path=/; Secure", [], "unknown"],
    ["__Secure- prefixed necessary name", "__Secure-csrftoken=abc; Secure", [], "unknown"],
    ["nameless cookie with a necessary name as value", "sessionid; Path=/", [], "unknown"],
    ["empty name, necessary-looking value", "=sessionid", [], "unknown"],
    ["longer than a necessary name", "sessionid2=x", [], "unknown"],
    ["exact _ga without consent", "_ga=GA1.2.3; Domain=.opendatasoft.com", [], "no-consent"],
    ["exact _ga with consent", "_ga=GA1.2.3; Domain=.opendatasoft.com", ["ga"], "kept"],
    ["prefix _ga_ABC123 with consent", "_ga_ABC123=GS1.1", ["ga"], "kept"],
    ["prefix _ga_ABC123 without consent", "_ga_ABC123=GS1.1", ["matomo"], "no-consent"],
    ["bare prefix _ga_ is not a match", "_ga_=x", ["ga"], "unknown"],
    ["_gax is not _ga", "_gax=1", ["ga"], "unknown"],
    ["_pk_id.1.abcd with consent", "_pk_id.1.abcd=xyz", ["matomo"], "kept"],
    ["_pk_ses.1.abcd without consent", "_pk_ses.1.abcd=1", ["ga"], "no-consent"],
    ["_pk_ref is undeclared", "_pk_ref.1.abcd=1", ["matomo"], "unknown"],
    ["atuserid with consent", "atuserid=1; Secure", ["at"], "kept"],
    ["CTL in value", "sessionid=a\u0001b", [], "unparseable"],
    ["header injection attempt", "a=b\r\nX: y", ["ga"], "unparseable"],
    ["injection after a necessary name", "sessionid=a\nSet-Cookie: _ga=1", [], "unparseable"],
    ["too long necessary cookie", `sessionid=${"x".repeat(4096)}`, [], "unparseable"],
    ["empty line", "", [], "unparseable"],
    ["nameless __Host- value", "__Host-x; Secure", [], "unparseable"],
  ];
  it.each(nameCases)("%s", (_label, line, keys, expected) => {
    const { kept, stripped } = filterSetCookies([line], POLICY, consentFor(...keys));
    if (expected === "kept") {
      expect(kept).toEqual([line]);
      expect(stripped).toEqual([]);
    } else {
      expect(kept).toEqual([]);
      expect(stripped).toHaveLength(1);
      expect(stripped[0].reason).toBe(expected);
    }
  });

  it("keeps the same string objects, byte-for-byte, in order", () => {
    const lines = [
      "sessionid=1; Path=/; HttpOnly",
      "_ga=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Domain=.opendatasoft.com",
      "tracker=3",
      "  csrftoken  =  4  ;  path=/ ",
      "_pk_id.1.ab=5",
      "django_language=6",
    ];
    const copies = lines.map((l) => `${l}`);
    const { kept, stripped } = filterSetCookies(lines, POLICY, consentFor("matomo"));
    expect(kept).toEqual([lines[0], lines[3], lines[4], lines[5]]);
    kept.forEach((k, i) => expect(k).toBe([lines[0], lines[3], lines[4], lines[5]][i]));
    expect(lines).toEqual(copies); // input untouched
    expect(stripped).toEqual([
      { name: "_ga", reason: "no-consent", service: "ga" },
      { name: "tracker", reason: "unknown" },
    ]);
  });

  it("reports the service id and the name as the browser reads it", () => {
    const { stripped } = filterSetCookies([" _pk_ses.9.z =1", "abc"], POLICY, NECESSARY_ONLY);
    expect(stripped).toEqual([
      { name: "_pk_ses.9.z", reason: "no-consent", service: "matomo" },
      { name: "", reason: "unknown" },
    ]);
  });

  it("handles no lines", () => {
    expect(filterSetCookies([], POLICY, NECESSARY_ONLY)).toEqual({ kept: [], stripped: [] });
  });
});

describe("filterRequestCookies", () => {
  it("forwards only allowed pairs, as sent, joined by '; '", () => {
    const { header, refused } = filterRequestCookies(
      "sessionid=abc;_ga=GA1.2;  csrftoken = t ; tracker=1; _pk_id.1.ab=z",
      POLICY,
      consentFor("matomo"),
    );
    expect(header).toBe("sessionid=abc; csrftoken = t; _pk_id.1.ab=z");
    expect(refused.map((r) => [r.name, r.reason, r.classification?.service.id])).toEqual([
      ["_ga", "no-consent", "ga"],
      ["tracker", "unknown", undefined],
    ]);
  });

  it("returns null when nothing is left", () => {
    expect(filterRequestCookies("_ga=1; _gid=2", POLICY, NECESSARY_ONLY).header).toBeNull();
    const empty = { header: null, refused: [], portalStale: false, portalForwarded: false };
    expect(filterRequestCookies("", POLICY, NECESSARY_ONLY)).toEqual(empty);
    expect(filterRequestCookies(null, POLICY, NECESSARY_ONLY)).toEqual(empty);
    expect(filterRequestCookies(undefined, POLICY, NECESSARY_ONLY)).toEqual(empty);
    expect(filterRequestCookies(" ; ", POLICY, NECESSARY_ONLY).header).toBeNull();
  });

  it("lists each refused name once, keeps duplicates of allowed names", () => {
    const { header, refused } = filterRequestCookies("_ga=1; sessionid=a; _ga=2; sessionid=b; x=1; x=2", POLICY, NECESSARY_ONLY);
    expect(header).toBe("sessionid=a; sessionid=b");
    expect(refused.map((r) => r.name)).toEqual(["_ga", "x"]);
  });

  it("refuses look-alikes of necessary cookies", () => {
    const { header, refused } = filterRequestCookies(
      "SESSIONID=1; __Host-sessionid=2; sessionid_x=3; lonely; =4",
      POLICY,
      consentFor("ga", "matomo", "at"),
    );
    expect(header).toBeNull();
    expect(refused.map((r) => [r.name, r.reason])).toEqual([
      ["SESSIONID", "unknown"],
      ["__Host-sessionid", "unknown"],
      ["sessionid_x", "unknown"],
      ["", "unknown"],
    ]);
  });

  it("forwards everything declared when every service is granted", () => {
    const h = "sessionid=1; _ga=2; _ga_X=3; _pk_ses.1.a=4; atuserid=5";
    expect(filterRequestCookies(h, POLICY, consentFor("ga", "matomo", "at"))).toMatchObject({ header: h, refused: [] });
  });

  it("with a portal value, forwards cookies_preferences only when it is that value, once", () => {
    const h = "cookies_preferences=A; sessionid=1; cookies_preferences=A";
    expect(filterRequestCookies(h, POLICY, NECESSARY_ONLY, { portal: "A" })).toMatchObject({
      header: "cookies_preferences=A; sessionid=1",
      portalStale: false,
      portalForwarded: true,
    });
    expect(filterRequestCookies("cookies_preferences=B; sessionid=1", POLICY, NECESSARY_ONLY, { portal: "A" })).toMatchObject({
      header: "sessionid=1",
      refused: [],
      portalStale: true,
      portalForwarded: false,
    });
    expect(filterRequestCookies("cookies_preferences=B", POLICY, NECESSARY_ONLY, { portal: null })).toMatchObject({ header: null, portalStale: true });
  });
});
