// /cookies belongs to the worker on every tenant host: it is never forwarded to the origin.
import { describe, expect, it } from "vitest";
import { call } from "../helpers";

describe("/cookies on the portal host", () => {
  it("is served by the worker, with the tenant's own URL", async () => {
    const res = await call("/cookies", { host: "inai.opendatasoft.com" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("https://inai.opendatasoft.com");
  });

  it("redirects the trailing-slash form instead of proxying it", async () => {
    const res = await call("/cookies/?lang=fr");
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toMatch(/^(http:\/\/maia\.opendatasoft\.com)?\/cookies\?lang=fr$/);
  });
});
