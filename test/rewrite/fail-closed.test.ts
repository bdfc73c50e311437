// The rewriter's full coverage (no enforced CSP) against the markup that got trackers through
// before: references, elements it did not cover, inline code, and what the enforced path keeps.
import { describe, expect, it } from "vitest";
import { decodeReferences, matchUrl, denialFor, preparePolicy, scanCode } from "../../src/rewrite/match";
import { ALL_KEYS, chunked, consentOf, POLICY, rewrite } from "./fixtures";

const GA = "https://www.google-analytics.com/collect?v=1";
const none = denialFor(preparePolicy(POLICY), consentOf());

/** Each case: markup that loads GA in a browser; after rewriting, the GA host must not sit in any loading position. */
const CASES: Array<[string, string]> = [
  ["type spelt with a reference", `<script type="text/j&#97;vascript">new Image().src="${GA}"</script>`],
  ["host spelt with a reference", `<img src="https://www.google-an&#97;lytics.com/p.gif">`],
  ["host with a mathematical letter", `<img src="https://www.google-an&aopf;lytics.com/p.gif">`],
  ["host with a Latin-1 reference the host maps to a letter", `<img src="https://www.google-&ordf;nalytics.com/p.gif">`],
  ["svg script href", `<svg><script href="https://www.googletagmanager.com/gtag/js"></script></svg>`],
  ["svg script xlink:href", `<svg><script xlink:href="https://www.googletagmanager.com/gtag/js"></script></svg>`],
  ["svg inline script with references", `<svg><script>new Image().src="https://www.google-an&#x61;lytics.com/p"</script></svg>`],
  ["iframe srcdoc", `<iframe srcdoc="<script src=&quot;https://www.googletagmanager.com/gtag/js&quot;></script>"></iframe>`],
  ["iframe srcdoc, doubly encoded", `<iframe srcdoc="<img src=&quot;https://www.google-an&amp;#97;lytics.com/p&quot;>"></iframe>`],
  ["object data", `<object data="https://www.googletagmanager.com/ns.html"></object>`],
  ["embed src", `<embed src="https://www.googletagmanager.com/ns.html">`],
  ["picture source srcset", `<picture><source srcset="https://www.google-analytics.com/p.gif 1x"><img src="/a.png"></picture>`],
  ["stylesheet link", `<link rel="stylesheet" href="https://www.googletagmanager.com/a.css">`],
  ["@import in style", `<style>@import url("https://www.googletagmanager.com/a.css");</style>`],
  ["url() with CSS escapes", `<style>body{background:u\\72l(https://www.google-an\\61lytics.com/p.gif)}</style>`],
  ["svg image href", `<svg><image href="https://www.google-analytics.com/p.gif"/></svg>`],
  ["html image element", `<image src="https://www.google-analytics.com/p.gif">`],
  ["video poster", `<video poster="https://www.google-analytics.com/p.gif"></video>`],
  ["audio src", `<audio src="https://www.google-analytics.com/a.mp3"></audio>`],
  ["input type=image", `<input type="image" src="https://www.google-analytics.com/p.gif">`],
  ["body background", `<body background="https://www.google-analytics.com/p.gif"><p>x</p></body>`],
  ["inline style url()", `<div style="background-image:url('https://www.google-analytics.com/p.gif')">x</div>`],
  ["frame src", `<frameset><frame src="https://www.googletagmanager.com/ns.html"></frameset>`],
  ["new Image() in inline code", `<script>new Image().src = "${GA}";</script>`],
  ["createElement('script') in inline code", `<script>var s=document.createElement('script');s.src='https://www.googletagmanager.com/gtag/js';document.head.appendChild(s)</script>`],
  ["sendBeacon in inline code", `<script>navigator.sendBeacon("${GA}")</script>`],
  ["JS escapes in inline code", `<script>new Image().src = "https://www.google-\\x61nalytics.com/p"</script>`],
  ["event handler", `<img src="/x.png" onerror="new Image().src='${GA}'">`],
  ["javascript: URL", `<iframe src="javascript:new Image().src='${GA}'"></iframe>`],
  ["data: document in a frame", `<iframe src="data:text/html,<script src=https://www.googletagmanager.com/gtag/js></script>"></iframe>`],
  ["a ping", `<a href="/x" ping="${GA}">x</a>`],
  ["SMIL set", `<svg><image><set attributeName="href" to="${GA}"/></image></svg>`],
  ["meta refresh", `<meta http-equiv="refresh" content="0; url=${GA}">`],
  ["import map", `<script type="importmap">{"imports":{"a":"https://www.googletagmanager.com/\\u0067tag.js"}}</script><script type="module">import "a"</script>`],
  ["speculation rules", `<script type="speculationrules">{"prefetch":[{"source":"list","urls":["${GA}"]}]}</script>`],
  ["preconnect spelt with a reference", `<link rel="pre&#99;onnect" href="https://www.google-analytics.com">`],
];

const TRACKER = /googletagmanager\.com|google-analytics\.com/;

function cssUnescape(css: string): string {
  return css.replace(/\\([0-9a-fA-F]{1,6})\s?/g, (_, h) => String.fromCodePoint(Number.parseInt(h, 16)));
}

function loadsTracker(value: string): boolean {
  const v = cssUnescape(decodeReferences(value).value);
  if (TRACKER.test(v.toLowerCase()) || scanCode(v, none.blockers, { hosts: true, references: true })) return true;
  try {
    return TRACKER.test(new URL(v.trim(), "https://portal.example.org/").hostname);
  } catch {
    return false;
  }
}

/**
 * Where the tracker sits in a position a browser loads or runs: an attribute other than
 * data-*, or the text of a live script or style; srcdoc documents are read recursively.
 * The markup is read by HTMLRewriter itself, which tokenizes as browsers do.
 */
async function liveTrackerPositions(html: string): Promise<string[]> {
  const hits: string[] = [];
  const docs: string[] = [];
  let text: { tag: string; live: boolean; buf: string } | undefined;
  await new HTMLRewriter()
    .on("*", {
      element(e) {
        const inert = e.tagName === "script" && /text\/plain/i.test(e.getAttribute("type") ?? "");
        for (const [name, value] of e.attributes) {
          if (name.startsWith("data-") || (inert && name !== "style" && !name.startsWith("on"))) continue;
          if (name === "srcdoc") docs.push(decodeReferences(value).value);
          else if (loadsTracker(value)) hits.push(`${e.tagName} ${name}`);
        }
        if (e.tagName === "script" || e.tagName === "style") {
          const type = e.getAttribute("type");
          text = { tag: e.tagName, live: type === null || !/text\/plain/i.test(decodeReferences(type).value), buf: "" };
        }
      },
    })
    .on("script, style", {
      text(t) {
        if (!text) return;
        text.buf += t.text;
        if (t.lastInTextNode && text.live && loadsTracker(text.buf)) hits.push(`${text.tag} text`);
      },
    })
    .transform(new Response(html, { headers: { "content-type": "text/html" } }))
    .text();
  for (const d of docs) hits.push(...(await liveTrackerPositions(d)).map((h) => `srcdoc ${h}`));
  return hits;
}

describe("full coverage (csp off): each class is neutralised", () => {
  for (const [name, markup] of CASES) {
    it(name, async () => {
      const html = `<!doctype html><html><head></head><body>${markup}</body></html>`;
      expect((await liveTrackerPositions(html)).length, "the fixture itself loads the tracker").toBeGreaterThan(0);
      const out = await rewrite(html);
      expect(await liveTrackerPositions(out), out).toEqual([]);
      expect(out).toMatch(/data-consent-blocked|consent-edge: blocked/);
      // With consent for everything the page passes byte for byte.
      expect(await rewrite(html, { consent: consentOf(...ALL_KEYS) })).toBe(html);
    });
  }

  it("keeps the portal's own handlers, styles, srcdoc and base", async () => {
    const html = `<body onload="init()"><base href="/app/"><div style="background:url(/bg.png)" onclick="go(1)">x</div><iframe srcdoc="<p>hi</p>"></iframe><a href="https://example.org/">out</a></body>`;
    expect(await rewrite(html)).toBe(html);
  });

  it("neutralises a <base> that would send relative URLs to a tracker", async () => {
    const out = await rewrite(`<base href="https://www.googletagmanager.com/"><script src="gtag/js"></script>`);
    expect(out).toContain(`<base data-blocked-href="https://www.googletagmanager.com/" data-consent-blocked="ga">`);
  });

  it("drops a style too long to inspect rather than pass it", async () => {
    const css = `<style>${"a{}".repeat(100_000)}@import "https://www.googletagmanager.com/a.css";</style>`;
    const out = await rewrite(chunked(css, 8192));
    expect(out).not.toContain("googletagmanager");
    expect(out).toContain("style too long to inspect");
  });

  it("never breaks a frameset page: it ends whole", async () => {
    const html = `<!doctype html><html><head><title>f</title></head><frameset cols="50%,50%"><frame src="/a"><frame src="https://www.googletagmanager.com/ns.html"></frameset></html>`;
    const out = await rewrite(html, { banner: true });
    expect(out.startsWith(`<!doctype html><html><head><title>f</title></head><frameset cols="50%,50%"><frame src="/a"><frame data-blocked-src=`)).toBe(true);
    expect(out).toContain("</frameset></html>");
  });
});

describe("the enforced-CSP path does only what the CSP cannot", () => {
  it("leaves third-party images, frames and styles to the CSP", async () => {
    const html = `<img src="${GA}"><iframe src="https://www.googletagmanager.com/ns.html"></iframe><div style="background:url(${GA})"></div>`;
    expect(await rewrite(html, { cspMode: "enforce" })).toBe(html);
  });

  it("still neutralises first-party tracker scripts, markers, speculation rules, connect-only hints and refreshes", async () => {
    const out = await rewrite(
      `<script src="/js/matomo.js"></script><script>_paq.push(['trackPageView'])</script>` +
        `<script type="speculationrules">{}</script><link rel="preconnect" href="https://www.google-analytics.com">` +
        `<link rel="dns-prefetch" href="//cdn.example.net"><meta http-equiv="Refresh" content="0;url=${GA}">`,
      { cspMode: "enforce" },
    );
    expect(out).toContain(`<script src="/js/matomo.js" type="text/plain" data-consent-blocked="matomo">`);
    expect(out).toContain(`<script type="text/plain" data-consent-blocked="matomo">_paq.push`);
    expect(out).toContain(`data-consent-blocked="speculation-rules"`);
    expect(out).toContain(`<link rel="preconnect" data-blocked-href="https://www.google-analytics.com" data-consent-blocked="ga">`);
    expect(out).toContain(`<link rel="dns-prefetch" href="//cdn.example.net">`);
    expect(out).toContain(`<meta http-equiv="Refresh" data-blocked-content=`);
  });
});

describe("attribute decoding", () => {
  it("decodes as the browser does, and flags references it does not know", () => {
    expect(decodeReferences("a&amp;b&#46;c&#x2F;d&period;e").value).toBe("a&b.c/d.e");
    expect(decodeReferences("&#150;&#0;&aopf;&Zscr;&fjlig;").value).toBe("\u2013\ufffdazfj");
    expect(decodeReferences("&copy&ordf.").value).toBe("\u00a9\u00aa.");
    // Legacy names are not decoded before "=" or an alphanumeric, in attributes.
    expect(decodeReferences("?a=1&copy=2&notit").value).toBe("?a=1&copy=2&notit");
    expect(decodeReferences("&bogus;")).toEqual({ value: "&bogus;", unresolved: true });
    expect(decodeReferences("a&&b").unresolved).toBe(false);
  });

  it("refuses a URL whose host holds a reference it cannot decode, not one whose path does", () => {
    expect(matchUrl("https://www.exa&bogus;mple.org/x", none.blockers)).toBe("unreadable-url");
    expect(matchUrl("https://www.example.org/a&bogus;b", none.blockers)).toBeUndefined();
  });
});
