// The demo portal's home page through the whole worker (tenant, consent, proxy, rewrite):
// without consent its trackers are inert and the banner is there; with full consent the page
// is exactly what the origin sent.
import { env } from "cloudflare:workers";
import { RESET_RE, bannerShape } from "../banner-shape";
import { describe, expect, it } from "vitest";
import { BANNER_ID } from "../../src/rewrite";
import { FULL_CONSENT_COOKIE, MAIA, call } from "../helpers";

/** Every `<script ...>` start tag of a page, in order, with the text up to its end tag. */
function scripts(html: string): Array<{ tag: string; text: string }> {
  return [...html.matchAll(/(<script\b[^>]*>)([\s\S]*?)<\/script>/gi)].map((m) => ({ tag: m[1], text: m[2] }));
}

/** The origin's own answer for the home page, as the worker would ask for it. */
async function fromOrigin(path: string): Promise<Response> {
  return fetch(new URL(path, env.ORIGIN), { headers: { "x-forwarded-host": MAIA, "x-forwarded-proto": "http" } });
}

describe("the demo home page through the worker", () => {
  it("neutralises every tracking script without consent and adds the banner", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();

    const found = scripts(html);
    // The demo has two, both inline: Matomo's snippet and gtag's, each inserting its loader.
    expect(found).toHaveLength(2);
    for (const s of found) {
      expect(s.tag, s.tag).toContain(`type="text/plain"`);
      expect(s.tag, s.tag).toMatch(/^<script type="text\/plain" data-consent-blocked="[a-z-]+">$/);
    }
    const ids = found.map((s) => /data-consent-blocked="([^"]+)"/.exec(s.tag)![1]).sort();
    expect(new Set(ids)).toEqual(new Set(["google-analytics", "matomo"]));
    // The tracker code itself is kept, byte for byte, so that consent restores it on the next view.
    expect(html).toContain("_paq.push(['trackPageView']);");
    expect(html).toContain("gtag('config', 'G-DEMO123');");

    expect(html.split(`id="${BANNER_ID}"`).length - 1).toBe(1);
    expect(html).toMatch(new RegExp(`</html>\\s*${RESET_RE}<div id="${BANNER_ID}"[\\s\\S]*</div>$`));
    expect(bannerShape(html)).toContain(`<form id="ce-ID" method="post" action="/cookies">`);
    expect(bannerShape(html)).toContain(`<input type="hidden" form="ce-ID" name="return" value="/" />`);
    expect(html).toContain(`name="action" value="accept"`);
    expect(html).toContain(`name="action" value="refuse"`);
  });

  it("returns to the same page, query included, from the banner", async () => {
    const res = await call("/?lang=en&q=air");
    const html = await res.text();
    expect(bannerShape(html)).toContain(`<input type="hidden" form="ce-ID" name="return" value="/?lang=en&#38;q=air" />`);
  });

  it("passes the page unchanged with full consent", async () => {
    const [viaWorker, direct] = await Promise.all([
      call("/", { headers: { cookie: `${FULL_CONSENT_COOKIE}` } }),
      fromOrigin("/"),
    ]);
    expect(viaWorker.status).toBe(200);
    expect(direct.status).toBe(200);
    const [a, b] = await Promise.all([viaWorker.text(), direct.text()]);
    // The home page holds no random value (tokens travel in Set-Cookie only): the whole body compares.
    expect(a).toBe(b);
    expect(a).not.toContain(BANNER_ID);
    expect(a).not.toContain("data-consent-blocked");
    expect(scripts(a).some((s) => s.text.includes("_paq.push"))).toBe(true);
    expect(viaWorker.headers.get("content-type")).toBe(direct.headers.get("content-type"));
    expect(viaWorker.headers.get("content-length")).toBe(direct.headers.get("content-length"));
  });

  it("without consent, changes nothing but the tracking scripts' start tags and the banner", async () => {
    const [viaWorker, direct] = await Promise.all([call("/"), fromOrigin("/")]);
    const [a, b] = await Promise.all([viaWorker.text(), direct.text()]);
    const normalise = (html: string) =>
      html
        .replace(new RegExp(`${RESET_RE}<div id="${BANNER_ID}"[\\s\\S]*</div>$`), "")
        .replace(/<script\b[^>]*>/gi, "<script>");
    expect(a).not.toBe(b);
    expect(normalise(a)).toBe(normalise(b));
  });
});

describe("a large page through the worker (the origin's body piped natively into the rewriter)", () => {
  it("arrives whole, with the banner after its end, and a stream read in small steps never holds more than the reader asks", async () => {
    const size = 24 * 1024 * 1024;
    const res = await call(`/__fixture/stream?bytes=${size}&chunk=16384&type=${encodeURIComponent("text/html; charset=utf-8")}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let total = 0;
    let tail = "";
    let largest = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      largest = Math.max(largest, value.byteLength);
      tail = (tail + decoder.decode(value, { stream: true })).slice(-20000);
    }
    // Every byte of the page ("a" × size), then the banner.
    expect(total).toBeGreaterThan(size);
    expect(tail).toMatch(new RegExp(`a${RESET_RE}<div id="${BANNER_ID}"[\\s\\S]*</div>$`));
    expect(largest).toBeLessThan(size / 4);
  });
});
