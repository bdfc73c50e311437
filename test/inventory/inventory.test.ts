// The cookie inventory through the worker, in real local D1: what the origin sets and what
// visitors carry, with the right source, classification and count.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { MAIA, respondPath } from "../helpers";

// The isolate's tally is made on first use, with that request's INVENTORY_FLUSH_SECONDS: this file
// needs the worker's modules as a fresh isolate has them, whatever other test files ran before it
// in this one (the workers project shares an isolate between files).
vi.resetModules();
const { default: worker } = await import("../../src/index");

// Flush after every request, so that each test sees its own counts at once.
const ENV = { ...env, DB: env.INVENTORY_TEST_DB, INVENTORY_FLUSH_SECONDS: "0" };

async function get(path: string, cookie?: string): Promise<Response> {
  const ctx = createExecutionContext();
  const headers = new Headers(cookie ? { cookie } : {});
  const res = await worker.fetch(new Request(`http://${MAIA}${path}`, { headers, redirect: "manual" }), ENV, ctx);
  await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return res;
}

async function row(source: string, name: string): Promise<Record<string, unknown> | null> {
  return env.INVENTORY_TEST_DB.prepare("SELECT * FROM cookie_inventory WHERE tenant = 'maia' AND source = ? AND name = ?").bind(source, name).first();
}

const unique = (prefix: string) => `${prefix}_${crypto.randomUUID().slice(0, 8)}`;

beforeEach(async () => {
  await env.INVENTORY_TEST_DB.exec("DELETE FROM cookie_inventory");
});

describe("cookie inventory", () => {
  it("counts an undeclared cookie the origin sets, as unknown, and a declared one under its service", async () => {
    const name = unique("mystery");
    const path = respondPath({ setCookies: [`${name}=1; Path=/`, "_ga=GA1.2.3; Path=/"] });
    const before = Date.now();
    for (let i = 0; i < 3; i++) expect((await get(path)).status).toBe(200);
    const unknown = await row("origin", name);
    expect(unknown).toMatchObject({ tenant: "maia", source: "origin", name, service: null, count: 3 });
    expect(unknown!.first_seen).toBeGreaterThanOrEqual(before);
    expect(unknown!.last_seen).toBeGreaterThanOrEqual(unknown!.first_seen as number);
    expect(await row("origin", "_ga")).toMatchObject({ service: "google-analytics", count: 3 });
    // Stripped from the visitor's response, counted all the same: the inventory sees what the origin does.
    expect(await row("visitor", name)).toBeNull();
  });

  it("counts an undeclared cookie a visitor carries, and the declared ones under their services", async () => {
    const name = unique("carried");
    await get("/__fixture/echo", `${name}=x; sessionid=s`);
    await get("/__fixture/echo", `sessionid=s; ${name}=y`);
    expect(await row("visitor", name)).toMatchObject({ source: "visitor", service: null, count: 2 });
    expect(await row("visitor", "sessionid")).toMatchObject({ service: "opendatasoft", count: 2 });
    expect(await row("origin", name)).toBeNull();
  });

  it("adds to the counts across flushes, keeping the first sighting", async () => {
    const name = unique("again");
    await get("/__fixture/echo", `${name}=1`);
    const first = (await row("visitor", name))!;
    await get("/__fixture/echo", `${name}=1`);
    await get("/cookies", `${name}=1`);
    const later = (await row("visitor", name))!;
    expect(later.count).toBe(3);
    expect(later.first_seen).toBe(first.first_seen);
    expect(later.last_seen).toBeGreaterThanOrEqual(first.last_seen as number);
  });

  it("counts the hosts a browser's CSP reports as blocked, under their service or as unknown, and no keyword", async () => {
    const unknownHost = `tracker-${crypto.randomUUID().slice(0, 8)}.example`;
    const report = (blocked: string, directive = "img-src") =>
      JSON.stringify({ "csp-report": { "document-uri": `https://${MAIA}/explore`, "blocked-uri": blocked, "violated-directive": directive, disposition: "enforce" } });
    const send = async (body: string) => {
      const ctx = createExecutionContext();
      const req = new Request(`http://${MAIA}/.consent-edge/csp-report`, { method: "POST", headers: { "content-type": "application/csp-report" }, body });
      const res = await worker.fetch(req, ENV, ctx);
      await waitOnExecutionContext(ctx);
      return res.status;
    };
    expect(await send(report("https://www.google-analytics.com/g/collect?v=2"))).toBe(204);
    expect(await send(report(`https://${unknownHost}/pixel.gif`))).toBe(204);
    expect(await send(report(`https://${unknownHost}/other.gif`))).toBe(204);
    expect(await send(report("inline", "script-src-elem"))).toBe(204);
    expect(await row("csp", "www.google-analytics.com")).toMatchObject({ service: "google-analytics", count: 1 });
    expect(await row("csp", unknownHost)).toMatchObject({ service: null, count: 2 });
    const { results } = await env.INVENTORY_TEST_DB.prepare("SELECT name FROM cookie_inventory WHERE source = 'csp'").all();
    expect(results.map((r) => r.name).sort()).toEqual([unknownHost, "www.google-analytics.com"].sort());
  });

  it("never keeps a cookie value", async () => {
    const name = unique("valued");
    await get(respondPath({ setCookies: [`${name}=origin-secret-value`] }), `${name}=visitor-secret-value`);
    const { results } = await env.INVENTORY_TEST_DB.prepare("SELECT * FROM cookie_inventory").all();
    expect(results.length).toBeGreaterThan(0);
    expect(JSON.stringify(results)).not.toMatch(/secret-value/);
  });

  it("a failing database leaves the page as it was", async () => {
    const path = respondPath({ setCookies: [`${unique("x")}=1`], body: "<p>same</p>" });
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`http://${MAIA}${path}`), { ...ENV, DB: env.UNMIGRATED_DB }, ctx);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("<p>same</p>");
    await waitOnExecutionContext(ctx);
  });
});
