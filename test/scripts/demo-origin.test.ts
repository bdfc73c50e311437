// The demo portal `npm start` shows (demo/origin.mjs) serves none of the routes only tests need;
// the tests' origin (test/fixtures/origin.mjs) is the same portal with them added.
import { afterEach, describe, expect, it } from "vitest";
import { startOrigin } from "../../demo/origin.mjs";
import { startTestOrigin } from "../fixtures/origin.mjs";

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

const TEST_ROUTES: Array<[string, string]> = [
  ["GET", "/__fixture/echo"],
  ["GET", `/__fixture/respond?spec=${Buffer.from(JSON.stringify({ body: "fixture" })).toString("base64url")}`],
  ["GET", "/__stats"],
  ["POST", "/__stats/reset"],
];

describe("the demo portal and the tests' origin", () => {
  it("the demo answers 404 to every test route, and serves its pages", async () => {
    const demo = await startOrigin({ port: 0 });
    running.push(demo);
    for (const [method, path] of TEST_ROUTES) {
      const res = await fetch(`${demo.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      await res.arrayBuffer();
    }
    const home = await fetch(`${demo.url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("_paq");
  });

  it("the tests' origin answers them, and counts the portal's hits", async () => {
    const origin = await startTestOrigin({ port: 0 });
    running.push(origin);
    expect((await fetch(`${origin.url}/__stats/reset`, { method: "POST" })).status).toBe(204);
    const echo = await fetch(`${origin.url}/__fixture/echo`, { headers: { "x-probe": "1" } });
    expect(((await echo.json()) as { headers: string[][] }).headers).toContainEqual(["x-probe", "1"]);
    const respond = await fetch(`${origin.url}${TEST_ROUTES[1]![1]}`);
    expect(await respond.text()).toBe("fixture");
    await (await fetch(`${origin.url}/`)).text();
    await (await fetch(`${origin.url}/analytics/gtag.js`)).text();
    expect(await (await fetch(`${origin.url}/__stats`)).json()).toMatchObject({ pages: 1, "gtag.js": 1 });
  });
});
