// Floor (W) for case (d), full consent on a page sent no-store: the worker's own Hono (src/hono.ts,
// its RegExpRouter) with one route, a copy of the visitor's headers whose Cookie header no longer
// holds the consent record (the record never reaches the origin), and the origin's response as it
// came. No consent reading, no cookie decision, no logging. Bundled by the bench (bundleFloors);
// timed against the pass-through (b) like (d).
import { Hono } from "../src/hono";
// Plain JavaScript shared with floor-cookies and floor-append (bench/ is bundled by esbuild, not type-checked).
import { originRequestHeaders } from "./lib/floor-cookie-work.mjs";

const RECORD_NAMES = new Set(["__Host-consent-edge", "consent-edge-http"]);
const notRecord = (name: string) => !RECORD_NAMES.has(name);

const app = new Hono<{ Bindings: { ORIGIN: string } }>();
app.all("*", (c) => {
  const request = c.req.raw;
  const url = new URL(request.url);
  return fetch(c.env.ORIGIN + url.pathname + url.search, { method: request.method, headers: originRequestHeaders(request, notRecord), redirect: "manual" });
});

export default app;
