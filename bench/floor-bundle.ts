// Bundle floor: what of the worker's gzipped bundle is not consent-edge's own code. The worker's
// Hono (src/hono.ts: HonoBase and its RegExpRouter) with the parts of hono the worker imports
// (csrf, bodyLimit, HTTPException, a sub-app mounted with route, the form body parser), and the
// tenants' policy data (src/policy/shipped.generated.ts, which the worker and the middleware
// export both bundle). Never served: bundled by the bench as the worker is (wrangler deploy
// --dry-run, minified), only to be weighed beside it. Every import is used, so none is shaken out.
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { Hono } from "../src/hono";
import { POLICY_DATA } from "../src/policy/shipped.generated";

const pages = new Hono();
pages.get("/", (c) => c.json(POLICY_DATA));
pages.post("/", csrf(), bodyLimit({ maxSize: 4096, onError: (c) => c.text("too large", 413) }), async (c) => {
  const form = await c.req.parseBody();
  if (typeof form.action !== "string") throw new HTTPException(400, { message: "no action" });
  return c.text(form.action);
});

const app = new Hono<{ Bindings: { ORIGIN: string } }>();
app.use(async (c, next) => {
  c.header("x-floor", "bundle");
  await next();
});
app.route("/cookies", pages);
app.all("*", (c) => fetch(c.env.ORIGIN + new URL(c.req.url).pathname, { headers: c.req.raw.headers, redirect: "manual" }));

export default app;
