// Cloudflare's own cookies (bot management, challenges, load balancing, waiting rooms) are
// necessary infrastructure in the base policy: without any consent they reach the origin, the
// origin's (or Cloudflare's) Set-Cookie lines for them pass, they are never expired, and
// /cookies lists them under the necessary category with their purpose.
import { describe, expect, it } from "vitest";
import { parseSetCookie } from "../../src/cookies/set-cookie";
import { POLICIES } from "../../src/policy";
import { call, echoHeader, respondPath, type Echo } from "../helpers";

// Names as Cloudflare documents them (developers.cloudflare.com, "Cloudflare Cookies").
const CLOUDFLARE_COOKIES = [
  "__cf_bm", "cf_clearance", "_cfuvid", "__cflb", "__cfwaitingroom", "__cfruid",
  "cf_ob_info", "cf_use_ob", "cf_chl_rc_i", "cf_chl_rc_ni", "cf_chl_rc_m", "__cfseq",
];

const carried = CLOUDFLARE_COOKIES.map((name, i) => `${name}=v${i}`).join("; ");

describe("Cloudflare's cookies without consent", () => {
  it("reach the origin and are never expired, while a tracker beside them is", async () => {
    const res = await call("/__fixture/echo", { https: true, headers: { cookie: `${carried}; _ga=GA1.1` } });
    const echo = (await res.json()) as Echo;
    expect(echoHeader(echo, "cookie")).toEqual([carried]);
    const expired = res.headers.getSetCookie().map((l) => parseSetCookie(l)!).filter((c) => c.attributes.maxAge === 0).map((c) => c.name);
    expect(expired).toContain("_ga");
    for (const name of CLOUDFLARE_COOKIES) expect(expired, name).not.toContain(name);
  });

  it("pass byte-for-byte when set on a response", async () => {
    const lines = [
      "__cf_bm=abc.def-1700000000-1.0.1.1-xyz; path=/; expires=Wed, 21 Oct 2099 07:28:00 GMT; domain=.opendatasoft.com; HttpOnly; Secure; SameSite=None",
      "cf_clearance=tok-1700000000-0-1; Path=/; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Domain=.opendatasoft.com; HttpOnly; Secure; SameSite=None; Partitioned",
      "__cflb=02DiuJ; SameSite=Lax; path=/; expires=Thu, 22 Oct 2099 07:28:00 GMT; HttpOnly",
      "_cfuvid=xyz-1700000000000-0.0.1.1-604800000; path=/; domain=.opendatasoft.com; HttpOnly; Secure; SameSite=None",
    ];
    const res = await call(respondPath({ setCookies: lines }), { https: true });
    expect(res.headers.getSetCookie()).toEqual(lines);
  });
});

describe.each(POLICIES.all.map((p) => [p.id, p] as const))("tenant %s", (_, policy) => {
  it("classifies every Cloudflare cookie as necessary", () => {
    for (const name of CLOUDFLARE_COOKIES) {
      const hit = policy.classify(name);
      expect(hit?.service.category, name).toBe("necessary");
    }
  });

  it("shows them on /cookies in the necessary table, with their purpose", async () => {
    const res = await call("/cookies?lang=en", { host: policy.hosts[0], https: true });
    const html = await res.text();
    const necessary = html.slice(html.indexOf('id="category-necessary"'), html.indexOf('id="category-statistics"'));
    expect(necessary).toContain(`<th scope="row"><bdi>Cloudflare</bdi></th>`);
    for (const name of ["__cf_bm", "cf_clearance", "_cfuvid", "__cflb", "__cfwaitingroom"]) {
      const row = necessary.split("<tr>").find((r) => r.includes(`<code>${name}</code>`));
      expect(row, name).toBeDefined();
      expect(row).toMatch(/<td>[^<]*[A-Za-z][^<]*<\/td>/);
    }
    expect(necessary).toContain("To remember that the visitor passed a challenge, so as not to ask again");
  });
});
