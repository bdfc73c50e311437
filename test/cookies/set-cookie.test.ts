import { describe, expect, it } from "vitest";
import { type SetCookieAttributes, parseSetCookie, setCookieName } from "../../src/cookies/set-cookie";

describe("setCookieName (RFC 6265bis 5.6)", () => {
  const cases: Array<[string, string, string | null]> = [
    ["plain", "sessionid=abc; Path=/; HttpOnly", "sessionid"],
    ["no attributes", "a=b", "a"],
    ["empty value", "a=", "a"],
    ["empty value with attributes", "a=; Path=/", "a"],
    ["spaces around name", "  sessionid  =abc", "sessionid"],
    ["tabs around name", "\tsessionid\t=abc", "sessionid"],
    ["spaces around value", "a =  b  ; Path=/", "a"],
    ["inner space kept", "session id=x", "session id"],
    ["second = belongs to the value", "a=b=c", "a"],
    ["= after ; is an attribute", "abc; Path=/", ""],
    ["quoted value", 'a="quoted value"; Path=/', "a"],
    ["quoted value with = and ,", 'a="x=1,y=2"', "a"],
    ["expires with a comma", "_ga=GA1.2.3; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/", "_ga"],
    ["nameless cookie", "abc", ""],
    ["nameless with attributes", "abc; Path=/; Secure", ""],
    ["empty name with =", "=abc", ""],
    ["spaces then = is empty name", "  =abc", ""],
    ["empty name and value", "=", null],
    ["blank line", "", null],
    ["only whitespace", " \t ", null],
    ["only attributes", "; Path=/", null],
    ["empty pair then attributes", " = ; Path=/", null],
    ["nameless __Secure- value", "__Secure-x=1", "__Secure-x"],
    ["nameless value starting __Secure-", "__Secure-abc", null],
    ["nameless value starting __secure- (case)", "__SECURE-abc", null],
    ["nameless value starting __Host-", "__Host-abc; Path=/", null],
    ["nameless =__host- value", "=__host-x", null],
    ["nameless __Hosted is fine", "__Hosted", ""],
    ["__Host- name kept verbatim", "__Host-sessionid=1; Path=/; Secure", "__Host-sessionid"],
    ["case kept", "SessionID=1", "SessionID"],
    ["tab inside value allowed", "a=b\tc", "a"],
    ["NUL rejects", "a=b\u0000c", null],
    ["CR rejects", "a=b\rc", null],
    ["LF rejects", "a=b\nX-Injected: y", null],
    ["CRLF in name rejects", "a=b\r\nX: y", null],
    ["CTL in attributes rejects the line", "a=b; Path=/\u0001", null],
    ["DEL rejects", "a\u007f=b", null],
    ["0x1f rejects", "a=\u001f", null],
    ["0x80 is not a CTL", "a=\u0080", "a"],
    ["non-ASCII name", "é=1", "é"],
    ["comma in name is taken as is", "a,b=1", "a,b"],
  ];
  it.each(cases)("%s", (_label, line, expected) => {
    expect(setCookieName(line)).toBe(expected);
  });

  it("accepts name + value of exactly 4096 octets", () => {
    expect(setCookieName(`n=${"v".repeat(4095)}`)).toBe("n");
    expect(setCookieName(`${"n".repeat(4096)}=`)).toBe("n".repeat(4096));
  });

  it("rejects name + value over 4096 octets", () => {
    expect(setCookieName(`n=${"v".repeat(4096)}`)).toBeNull();
    expect(setCookieName(`${"n".repeat(2049)}=${"v".repeat(2048)}`)).toBeNull();
  });

  it("counts octets, not UTF-16 units, and ignores trimmed whitespace", () => {
    // "é" is two octets: 2048 of them is 4096 octets with the 1-octet name over.
    expect(setCookieName(`n=${"é".repeat(2048)}`)).toBeNull();
    expect(setCookieName(`n=${"é".repeat(2047)}v`)).toBe("n");
    // An astral character is one surrogate pair, four octets.
    expect(setCookieName(`n=${"😀".repeat(1023)}vvv`)).toBe("n");
    expect(setCookieName(`n=${"😀".repeat(1024)}`)).toBeNull();
    expect(setCookieName(`n=${"v".repeat(4095)}${" ".repeat(50)}; Path=/`)).toBe("n");
  });

  it("does not count attributes towards the limit", () => {
    expect(setCookieName(`n=v; Comment=${"x".repeat(5000)}`)).toBe("n");
  });

  it("splits only at the first ; even when the value looks like attributes", () => {
    expect(setCookieName("sessionid; sessionid=x")).toBe("");
    expect(setCookieName("_ga=1; _ga_ABC=2")).toBe("_ga");
  });
});

describe("parseSetCookie", () => {
  it("reads name, value and the standard attributes", () => {
    expect(
      parseSetCookie(
        "_ga=GA1.2.3.4; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=63072000; Domain=.OpenDataSoft.com; Path=/explore; Secure; HttpOnly; SameSite=none",
      ),
    ).toEqual({
      name: "_ga",
      value: "GA1.2.3.4",
      attributes: {
        expires: "Wed, 21 Oct 2015 07:28:00 GMT",
        maxAge: 63072000,
        domain: "opendatasoft.com",
        path: "/explore",
        secure: true,
        httpOnly: true,
        sameSite: "None",
      },
    });
  });

  it("defaults to not secure, not HttpOnly, nothing else", () => {
    expect(parseSetCookie("a=b")).toEqual({ name: "a", value: "b", attributes: { secure: false, httpOnly: false } });
  });

  it("keeps quotes in the value and trims around it", () => {
    expect(parseSetCookie('a =  "x y"  ; Path=/')?.value).toBe('"x y"');
  });

  it("reads a nameless cookie's value", () => {
    expect(parseSetCookie("justavalue; Path=/")).toMatchObject({ name: "", value: "justavalue" });
  });

  it("returns null when the browser would ignore the line", () => {
    expect(parseSetCookie("a=b\r\nX: y")).toBeNull();
    expect(parseSetCookie("=; Path=/")).toBeNull();
    expect(parseSetCookie("__Host-x; Path=/")).toBeNull();
  });

  const attributeCases: Array<[string, string, Record<string, unknown>]> = [
    ["names are case-insensitive", "a=b; pAtH=/x; sEcUrE; HTTPONLY", { path: "/x", secure: true, httpOnly: true }],
    ["the last one wins", "a=b; Path=/one; Path=/two", { path: "/two" }],
    ["relative path resets to the default", "a=b; Path=/one; Path=two", { path: undefined }],
    ["empty path resets to the default", "a=b; Path=/one; Path=", { path: undefined }],
    ["spaces around attribute = are trimmed", "a=b;  Path  =  /p  ", { path: "/p" }],
    ["empty domain is ignored", "a=b; Domain=x.com; Domain=", { domain: "x.com" }],
    ["leading dot dropped, lower-cased", "a=b; Domain=.EXAMPLE.org", { domain: "example.org" }],
    ["Secure with a value still counts", "a=b; Secure=no", { secure: true }],
    ["max-age zero", "a=b; Max-Age=0", { maxAge: 0 }],
    ["negative max-age means now", "a=b; Max-Age=-5", { maxAge: 0 }],
    ["max-age with a non-digit is ignored", "a=b; Max-Age=10; Max-Age=5s", { maxAge: 10 }],
    ["max-age lone minus is ignored", "a=b; Max-Age=-", { maxAge: undefined }],
    ["max-age with a plus is ignored", "a=b; Max-Age=+5", { maxAge: undefined }],
    ["samesite strict", "a=b; SameSite=STRICT", { sameSite: "Strict" }],
    ["samesite lax", "a=b; samesite=lax", { sameSite: "Lax" }],
    ["samesite unknown value", "a=b; SameSite=bogus", { sameSite: "Default" }],
    ["expires raw text kept, commas and all", "a=b; expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/", {
      expires: "Thu, 01 Jan 1970 00:00:00 GMT",
      path: "/",
    }],
    ["unknown attributes are ignored", "a=b; Priority=High; Partitioned; ; ;", { secure: false, httpOnly: false }],
    ["attribute value over 1024 octets is ignored", `a=b; Path=/ok; Path=/${"p".repeat(1024)}`, { path: "/ok" }],
    ["attribute value of 1024 octets is kept", `a=b; Path=/${"p".repeat(1023)}`, { path: `/${"p".repeat(1023)}` }],
  ];
  it.each(attributeCases)("attributes: %s", (_label, line, expected) => {
    const parsed = parseSetCookie(line);
    expect(parsed).not.toBeNull();
    for (const [key, value] of Object.entries(expected)) {
      expect(parsed!.attributes[key as keyof SetCookieAttributes], key).toEqual(value);
    }
  });
});
