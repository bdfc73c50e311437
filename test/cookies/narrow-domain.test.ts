// A cookie's scope is what its policy declares, no wider: a necessary cookie set for the whole
// parent domain (every sibling tenant would receive it) is passed host-only, the rest of its line
// as sent; in-policy lines pass byte for byte.
import { describe, expect, it } from "vitest";
import { narrowDomain } from "../../src/cookies/set-cookie";
import { decideRequest, decideResponse } from "../../src/proxy/enforce";
import { POLICY, consentFor } from "./fixtures";

const HOST = "maia.opendatasoft.com";

describe("narrowDomain", () => {
  const parentOnly = [HOST];
  const cases: Array<[string, string, ReadonlyArray<string | undefined>, string]> = [
    ["parent domain not declared: host-only", "sessionid=x; Domain=opendatasoft.com; Path=/; HttpOnly", parentOnly, "sessionid=x; Path=/; HttpOnly"],
    ["leading dot and case", "sessionid=x; path=/; DOMAIN=.OpenDataSoft.com; Secure", parentOnly, "sessionid=x; path=/; Secure"],
    ["two Domain attributes: both go", "sessionid=x; Domain=maia.opendatasoft.com; Domain=opendatasoft.com", parentOnly, "sessionid=x"],
    ["declared parent: as sent", "_ga=1; Domain=opendatasoft.com; Path=/", [HOST, "opendatasoft.com"], "_ga=1; Domain=opendatasoft.com; Path=/"],
    ["its own host: as sent", "sessionid=x; Domain=maia.opendatasoft.com", parentOnly, "sessionid=x; Domain=maia.opendatasoft.com"],
    ["no Domain: as sent", "sessionid=x; Path=/", parentOnly, "sessionid=x; Path=/"],
    ["a Domain the browser rejects anyway: as sent (host-only would store it)", "sessionid=x; Domain=evil.example", parentOnly, "sessionid=x; Domain=evil.example"],
    ["an empty Domain (ignored by browsers): as sent", "sessionid=x; Domain=", parentOnly, "sessionid=x; Domain="],
  ];
  it.each(cases)("%s", (_label, line, allowed, expected) => {
    expect(narrowDomain(line, HOST, allowed)).toBe(expected);
  });
});

describe("decideResponse narrows necessary cookies written wider than declared", () => {
  const consent = consentFor();
  const ctx = { policy: POLICY, consent, secure: true, host: HOST };

  it("sessionid for the parent domain becomes host-only; the response is no longer 'unchanged'", () => {
    const lines = ["sessionid=abc; Domain=opendatasoft.com; Path=/; HttpOnly; Secure", "csrftoken=t; Path=/"];
    const out = decideResponse(lines, decideRequest(null, ctx), ctx);
    expect(out.setCookies).toEqual(["sessionid=abc; Path=/; HttpOnly; Secure", "csrftoken=t; Path=/"]);
    expect(out.unchanged).toBe(false);
  });

  it("in-policy lines pass byte for byte and unchanged (consented _ga declared for the parent)", () => {
    const lines = ["sessionid=abc; Path=/; HttpOnly; Secure", "_ga=GA1; path=/; domain=.opendatasoft.com"];
    const granted = { ...ctx, consent: consentFor("ga") };
    const out = decideResponse(lines, decideRequest(null, granted), granted);
    expect(out.setCookies).toEqual(lines);
    expect(out.unchanged).toBe(true);
  });
});
