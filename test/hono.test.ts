// src/hono.ts routes with RegExpRouter alone: for the worker's own route table (src/index.ts,
// with the real /cookies sub-app's routes), every method and path reaches the same handlers,
// in the same order, as with hono's default SmartRouter (RegExpRouter, TrieRouter fallback).
import { Hono as DefaultHono } from "hono";
import { describe, expect, it } from "vitest";
import { CSP_REPORT_PATH } from "../src/csp";
import { Hono } from "../src/hono";
import { cookiesRoutes } from "../src/pages";

type AnyHono = { use: Function; all: Function; on: Function; route: Function; request: (p: string, i?: RequestInit) => Response | Promise<Response> };

/** The worker's routes (src/index.ts order), each handler answering with its name and the ones before it. */
function workerTable<T extends AnyHono>(app: T, sub: T): T {
  const trace = (name: string) => async (c: { get: (k: string) => string[] | undefined; set: (k: string, v: string[]) => void; text: (s: string) => Response }, next?: () => Promise<void>) => {
    const seen = [...(c.get("seen") ?? []), name];
    c.set("seen", seen);
    if (name.startsWith("use:")) return void (await next!());
    return c.text(seen.join(" > "));
  };
  app.use(trace("use:tenant"));
  app.use(trace("use:inventory"));
  app.all(CSP_REPORT_PATH, trace("csp-report"));
  for (const r of cookiesRoutes.routes) sub.on(r.method, r.path, trace(`cookies:${r.method}:${r.path}`));
  app.route("/cookies", sub);
  app.all("/cookies/", trace("cookies-slash"));
  app.all("*", trace("proxy"));
  return app;
}

const PATHS = [
  "/", "/cookies", "/cookies/", "/cookies//", "/Cookies", "/cookies?lang=fr", "/cookies/x", "/cookies%2F", "/cookies.json",
  "//cookies", "/a/cookies", CSP_REPORT_PATH, `${CSP_REPORT_PATH}/`, `${CSP_REPORT_PATH}x`, "/.consent-edge/", "/explore/dataset/x/table/?q=1",
  "/api/explore/v2.1/catalog/datasets", "/%2e%2e/cookies", "/static/app.js", "/cookies/../x",
];
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

describe("src/hono.ts (RegExpRouter alone)", () => {
  const ours = workerTable(new Hono() as unknown as AnyHono, new Hono() as unknown as AnyHono);
  const theirs = workerTable(new DefaultHono() as unknown as AnyHono, new DefaultHono() as unknown as AnyHono);

  it("routes the worker's table as hono's default router does", async () => {
    let cookiesSeen = 0;
    for (const method of METHODS) {
      for (const path of PATHS) {
        const url = `http://maia.opendatasoft.com${path}`;
        const [a, b] = await Promise.all([ours.request(url, { method }), theirs.request(url, { method })]);
        const [ta, tb] = [await a.text(), await b.text()];
        expect([method, path, a.status, ta]).toEqual([method, path, b.status, tb]);
        if (ta.includes("cookies:")) cookiesSeen++;
      }
    }
    // The table reached the /cookies sub-app's handlers, not only the proxy.
    expect(cookiesSeen).toBeGreaterThan(METHODS.length);
  });

  it("uses RegExpRouter", () => {
    expect((new Hono() as unknown as { router: { name: string } }).router.name).toBe("RegExpRouter");
  });
});
