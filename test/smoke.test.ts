import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
it("answers", async () => {
  const res = await exports.default.fetch(new Request("https://maia.opendatasoft.com/"));
  expect(await res.text()).toBe("hello");
});
