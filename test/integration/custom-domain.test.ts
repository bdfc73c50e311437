// A tenant on its own domain: the "parent" cookie domain follows each host, so a refusal on
// data.example.test expires the Domain=example.test variants (not opendatasoft.com's), while
// the same tenant's platform host keeps opendatasoft.com; a host declared in parentDomains uses
// its declared parent.
import { describe, expect, it } from "vitest";
import { parseSetCookie } from "../../src/cookies/set-cookie";
import { serve, tenantPolicy } from "./tenant-wiring";

const policy = tenantPolicy({
  id: "data-example",
  hosts: ["data-example.opendatasoft.com", "data.example.test", "portal.data.example.test"],
  siteUrl: "https://data.example.test",
  parentDomains: { "portal.data.example.test": "example.test" },
});

async function gaExpiryDomains(host: string): Promise<string[]> {
  const { res } = await serve(policy, `https://${host}/__fixture/echo`, { headers: { cookie: "sessionid=s; _ga=GA1.1.2; _gid=3" } });
  await res.arrayBuffer();
  return res.headers
    .getSetCookie()
    .map((l) => parseSetCookie(l)!)
    .filter((c) => c.name === "_ga" && c.attributes.maxAge === 0)
    .map((c) => c.attributes.domain ?? "(host)")
    .sort();
}

describe("per-host cookie scope", () => {
  it("expires the custom domain's parent variants", async () => {
    expect(await gaExpiryDomains("data.example.test")).toEqual(["(host)", "example.test"]);
  });

  it("keeps the platform's parent on the platform host of the same tenant", async () => {
    expect(await gaExpiryDomains("data-example.opendatasoft.com")).toEqual(["(host)", "opendatasoft.com"]);
  });

  it("uses the declared parent of a deeper host", async () => {
    expect(await gaExpiryDomains("portal.data.example.test")).toEqual(["(host)", "example.test"]);
  });

  it("resolves each host's parent when the policy is built", () => {
    expect(policy.hosts.map((h) => policy.parentDomainFor(h))).toEqual(["opendatasoft.com", "example.test", "example.test"]);
  });
});
