// The enforcer as a Hono middleware in another app: cookies set by handlers are filtered,
// handlers see only consented cookies, and Hono's c.res setter cannot bring stripped lines back.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { consentEdge } from "../../src/middleware";
import { POLICIES } from "../../src/policy";
import { FULL_CONSENT } from "../helpers";

function makeApp() {
  const records: object[] = [];
  const app = new Hono();
  app.use(consentEdge({ policy: POLICIES.byId("maia")!, log: (r) => records.push(r) }));
  app.get("/", (c) => {
    c.header("set-cookie", "_ga=1; Path=/", { append: true });
    c.header("set-cookie", "sessionid=s; HttpOnly; Path=/", { append: true });
    c.header("set-cookie", "tracker=t; Path=/", { append: true });
    return c.text(c.req.header("cookie") ?? "(none)");
  });
  return { app, records };
}

describe("consentEdge middleware", () => {
  it("strips non-consented Set-Cookie lines a handler wrote", async () => {
    const { app, records } = makeApp();
    const res = await app.request("http://maia.opendatasoft.com/", { headers: { cookie: "sessionid=s; _ga=old" } });
    expect(res.headers.getSetCookie().filter((l) => !l.includes("Max-Age=0"))).toEqual(["sessionid=s; HttpOnly; Path=/"]);
    expect(res.headers.getSetCookie().some((l) => l.startsWith("_ga=;") && l.includes("Max-Age=0"))).toBe(true);
    expect(await res.text()).toBe("sessionid=s");
    expect(records).toHaveLength(1);
  });

  it("passes consented lines byte-for-byte", async () => {
    const { app } = makeApp();
    const res = await app.request("http://maia.opendatasoft.com/", { headers: { cookie: `cookies_preferences=${FULL_CONSENT}` } });
    expect(res.headers.getSetCookie()).toEqual(["_ga=1; Path=/", "sessionid=s; HttpOnly; Path=/"]);
  });

  it("is not undone by a later middleware replacing c.res (Hono copies old Set-Cookie lines)", async () => {
    const app = new Hono();
    app.use(async (c, next) => {
      await next();
      c.res = new Response(c.res.body, c.res); // a typical outer middleware
    });
    app.use(consentEdge({ policy: POLICIES.byId("maia")!, log: () => {} }));
    app.get("/", (c) => {
      c.header("set-cookie", "_ga=1; Path=/", { append: true });
      return c.text("x");
    });
    const res = await app.request("http://maia.opendatasoft.com/");
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("rejects missing options when created", () => {
    expect(() => consentEdge(undefined as never)).toThrow(TypeError);
  });
});
