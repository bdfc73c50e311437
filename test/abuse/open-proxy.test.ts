// No open proxy: the Host header alone picks the tenant, and the upstream is always that tenant's
// origin, whatever the URL, X-Forwarded-Host, Forwarded or the path say.
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { echoHeader, type Echo } from "../helpers";

const ORIGIN = new URL(env.ORIGIN!);

/** A request straight to the worker with the given URL and headers (Host may differ from the URL). */
function send(url: string, headers: Record<string, string> = {}, e: Partial<Env> = {}): Promise<Response> {
  return worker.fetch(new Request(url, { headers, redirect: "manual" }), { ...env, ...e }, createExecutionContext()) as Promise<Response>;
}

async function echo(res: Response): Promise<Echo> {
  expect(res.status).toBe(200);
  return (await res.json()) as Echo;
}

describe("tenant by Host only", () => {
  it("an absolute-form target naming another host: the Host decides, the origin receives the path only", async () => {
    const e = await echo(await send("http://evil.example/__fixture/echo?x=1", { host: "maia.opendatasoft.com" }));
    expect(e.url).toBe("/__fixture/echo?x=1");
    expect(echoHeader(e, "host")).toEqual([ORIGIN.host]);
    expect(echoHeader(e, "x-forwarded-host")).toEqual(["maia.opendatasoft.com"]);
  });

  it("X-Forwarded-Host and Forwarded are ignored for the tenant and replaced upstream", async () => {
    const e = await echo(
      await send("http://maia.opendatasoft.com/__fixture/echo", {
        "x-forwarded-host": "evil.example",
        forwarded: "host=evil.example;proto=https",
        "x-forwarded-proto": "https",
      }),
    );
    expect(echoHeader(e, "x-forwarded-host")).toEqual(["maia.opendatasoft.com"]);
    expect(echoHeader(e, "x-forwarded-proto")).toEqual(["http"]);
    expect(echoHeader(e, "forwarded")).toEqual([]);
  });

  it("an unknown Host is refused (421) even when X-Forwarded-Host names a tenant; nothing reaches the origin", async () => {
    const spy = vi.spyOn(globalThis, "fetch");
    const res = await send("http://maia.opendatasoft.com/__fixture/echo", {
      host: "evil.example",
      "x-forwarded-host": "maia.opendatasoft.com",
      forwarded: "host=maia.opendatasoft.com",
    });
    expect(res.status).toBe(421);
    expect(await res.text()).not.toContain("evil.example");
    expect(spy).not.toHaveBeenCalled();
  });

  it.each([
    ["MAIA.OpenDataSoft.COM", "maia.opendatasoft.com"],
    ["maia.opendatasoft.com.", "maia.opendatasoft.com"],
    ["maia.opendatasoft.com:8443", "maia.opendatasoft.com"],
    ["Maia.Opendatasoft.Com.:80", "maia.opendatasoft.com"],
  ])("Host %s is the tenant %s", async (host, tenant) => {
    const e = await echo(await send("http://x.invalid/__fixture/echo", { host }));
    expect(echoHeader(e, "x-forwarded-host")).toEqual([tenant]);
    expect(echoHeader(e, "host")).toEqual([ORIGIN.host]);
  });

  it.each([
    "user@maia.opendatasoft.com",
    "user:pw@maia.opendatasoft.com",
    "maia.opendatasoft.com@evil.example",
    "maia.opendatasoft.com:99999",
    "maia.opendatasoft.com:80:80",
    "maia.opendatasoft.com/evil",
    "maia..opendatasoft.com",
    "maia.opendatasoft.com%2eevil",
    "[maia.opendatasoft.com]",
    "maia.opendatasoft.com,evil.example",
    "x".repeat(300),
  ])("a garbage Host %j is refused with 400, before any origin fetch", async (host) => {
    const spy = vi.spyOn(globalThis, "fetch");
    const res = await send("http://maia.opendatasoft.com/", { host });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(spy).not.toHaveBeenCalled();
  });

  it.each(["evil.example", "opendatasoft.com", "maia.opendatasoft.com.evil.example", "xmaia.opendatasoft.com", "localhost", "127.0.0.1"])(
    "an unknown Host %s gets 421 without DEV_TENANT",
    async (host) => {
      const res = await send("http://maia.opendatasoft.com/", { host }, { DEV_TENANT: undefined });
      expect(res.status).toBe(421);
    },
  );
});

describe("the path never changes the upstream host", () => {
  it.each([
    ["//evil.example/x", "//evil.example/x"],
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
    ["/..%2F..%2Fetc", "/..%2F..%2Fetc"],
    ["/%2e%2e/x", "/x"], // the URL parser reads %2e%2e as a dot segment, on the worker's own URL
    ["/@evil.example/x", "/@evil.example/x"],
    ["/http://evil.example/", "/http://evil.example/"],
    ["/%0d%0aHost:%20evil.example", "/%0d%0aHost:%20evil.example"],
    ["/x?url=http://evil.example&host=evil.example", "/x?url=http://evil.example&host=evil.example"],
  ])("%s reaches the tenant's origin as %s", async (path, received) => {
    const seen: string[] = [];
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      seen.push(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
      return new Response("ok");
    });
    try {
      const r = await send(`http://maia.opendatasoft.com${path}`);
      expect(await r.text()).toBe("ok");
    } finally {
      spy.mockRestore();
    }
    expect(seen).toHaveLength(1);
    const target = new URL(seen[0]);
    expect(target.origin).toBe(ORIGIN.origin);
    expect(seen[0].slice(ORIGIN.origin.length)).toBe(received);
  });

  it("the real origin answers such paths itself (its 404), and the echo route sees dot segments resolved on its host", async () => {
    for (const path of ["//evil.example/x", "/%2F%2Fevil.example", "/..%2F"]) {
      const res = await send(`http://maia.opendatasoft.com${path}`);
      expect(res.status, path).toBe(404);
      await res.arrayBuffer();
    }
    const e = await echo(await send("http://maia.opendatasoft.com/a/../__fixture/./echo?next=//evil.example"));
    expect(e.url).toBe("/__fixture/echo?next=//evil.example");
    expect(echoHeader(e, "host")).toEqual([ORIGIN.host]);
  });
});

describe("without ORIGIN, the upstream is the tenant's own host", () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ["http://evil.example/a?b=c", { host: "maia.opendatasoft.com" }],
    ["http://maia.opendatasoft.com/a?b=c", { "x-forwarded-host": "evil.example", forwarded: "host=evil.example" }],
    ["https://maia.opendatasoft.com/a?b=c", { host: "MAIA.opendatasoft.com.:443" }],
  ] as const)("%s %j -> https://maia.opendatasoft.com/a?b=c", async (url, headers) => {
    const seen: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      seen.push(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
      return new Response("ok");
    });
    const res = await send(url, headers, { ORIGIN: "" });
    expect(await res.text()).toBe("ok");
    expect(seen).toEqual(["https://maia.opendatasoft.com/a?b=c"]);
  });
});
