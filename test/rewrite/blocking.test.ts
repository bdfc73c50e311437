import { describe, expect, it } from "vitest";
import { ALL_KEYS, chunked, consentOf, rewrite } from "./fixtures";

interface Case {
  name: string;
  html: string;
  /** The consent key that lets the element through. */
  key: string;
  /** Substrings the blocked output must contain. */
  blocked: string[];
  /** Substrings the blocked output must not contain. */
  gone: string[];
}

const CASES: Case[] = [
  {
    name: "script src on a declared host",
    html: `<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>`,
    key: "ga",
    blocked: [`type="text/plain"`, `data-consent-blocked="ga"`, `src="https://www.googletagmanager.com/gtag/js?id=G-1"`],
    gone: [],
  },
  {
    name: "script src on the bare declared host, with its type kept",
    html: `<script type="module" src="//google-analytics.com/a.js"></script>`,
    key: "ga",
    blocked: [`type="text/plain"`, `data-original-type="module"`, `data-consent-blocked="ga"`],
    gone: [` type="module"`],
  },
  {
    name: "script src with a marker on a same-origin path",
    html: `<script src="/static/matomo.js"></script>`,
    key: "matomo",
    blocked: [`type="text/plain"`, `data-consent-blocked="matomo"`],
    gone: [],
  },
  {
    name: "script src with a character reference in its host",
    html: `<script src="https://stats&#46;example&period;org/m.js"></script>`,
    key: "matomo",
    blocked: [`data-consent-blocked="matomo"`],
    gone: [],
  },
  {
    name: "script src with an upper-case host",
    html: `<script src="HTTPS://TAG.ATICDN.NET/smarttag.js"></script>`,
    key: "at",
    blocked: [`data-consent-blocked="xiti"`, `type="text/plain"`],
    gone: [],
  },
  {
    name: "inline script with a marker",
    html: `<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());</script>`,
    key: "ga",
    blocked: [`<script type="text/plain" data-consent-blocked="ga">window.dataLayer=[];`, `</script>`],
    gone: [],
  },
  {
    name: "inline script with attributes and a marker in another case",
    html: `<script id="m" type="text/javascript">var _paq = window._paq || []; _PAQ.PUSH(['trackPageView']);</script>`,
    key: "matomo",
    blocked: [`type="text/plain"`, `data-consent-blocked="matomo"`, `data-original-type="text/javascript"`, `id="m"`],
    gone: [` type="text/javascript"`],
  },
  {
    name: "iframe",
    html: `<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-1" height="0"></iframe>`,
    key: "ga",
    blocked: [`data-blocked-src="https://www.googletagmanager.com/ns.html?id=GTM-1"`, `data-consent-blocked="ga"`],
    gone: [` src=`],
  },
  {
    name: "img pixel",
    html: `<img src="https://stats.example.org/matomo.php?idsite=1&amp;rec=1" alt="">`,
    key: "matomo",
    blocked: [`data-blocked-src="https://stats.example.org/matomo.php?idsite=1&amp;rec=1"`],
    gone: [` src=`],
  },
  {
    name: "img srcset",
    html: `<img srcset="/a.png 1x, https://tag.aticdn.net/p.gif 2x">`,
    key: "at",
    blocked: [`data-blocked-srcset="/a.png 1x, https://tag.aticdn.net/p.gif 2x"`, `data-consent-blocked="xiti"`],
    gone: [` srcset=`],
  },
  {
    name: "link preconnect",
    html: `<link rel="preconnect" href="https://www.google-analytics.com">`,
    key: "ga",
    blocked: [`data-blocked-href="https://www.google-analytics.com"`, `data-consent-blocked="ga"`],
    gone: [` href=`],
  },
  {
    name: "link dns-prefetch",
    html: `<link rel="dns-prefetch" href="//stats.example.org">`,
    key: "matomo",
    blocked: [`data-blocked-href="//stats.example.org"`],
    gone: [` href=`],
  },
  {
    name: "link preload among other rel tokens",
    html: `<link rel="Preload  foo" as="script" href="https://www.googletagmanager.com/gtm.js">`,
    key: "ga",
    blocked: [`data-blocked-href=`],
    gone: [` href=`],
  },
  {
    name: "link preload spelt with a character reference in rel",
    html: `<link rel="pre&#108;oad" as="script" href="https://www.googletagmanager.com/gtm.js">`,
    key: "ga",
    blocked: [`data-blocked-href=`, `data-consent-blocked="ga"`],
    gone: [` href=`],
  },
  {
    name: "noscript tracking image",
    html: `<noscript><p><img src="https://stats.example.org/matomo.php?idsite=1" style="border:0" alt="" /></p></noscript>`,
    key: "matomo",
    blocked: [`<noscript><p><img style="border:0" alt="" data-blocked-src="https://stats.example.org/matomo.php?idsite=1"`, `</p></noscript>`],
    gone: [` src=`],
  },
  {
    name: "noscript tracking iframe",
    html: `<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-1"></iframe></noscript>`,
    key: "ga",
    blocked: [`data-blocked-src=`, `data-consent-blocked="ga"`],
    gone: [` src=`],
  },
  {
    name: "data-category on a script",
    html: `<script data-category="statistics" src="/local/stats.js"></script>`,
    key: "ga matomo",
    blocked: [`type="text/plain"`, `data-consent-blocked="statistics"`],
    gone: [],
  },
  {
    name: "data-service (consent key) on an iframe",
    html: `<iframe data-service="at" src="/embed/video"></iframe>`,
    key: "at",
    blocked: [`data-blocked-src="/embed/video"`, `data-consent-blocked="xiti"`],
    gone: [` src=`],
  },
  {
    name: "data-service (service id) on an inline script",
    html: `<script data-service="Matomo">console.log(1)</script>`,
    key: "matomo",
    blocked: [`type="text/plain"`, `data-consent-blocked="matomo"`, `console.log(1)`],
    gone: [],
  },
  {
    name: "data-category on a stylesheet link",
    html: `<link rel="stylesheet" data-category="marketing" href="/ads.css">`,
    key: "at",
    blocked: [`data-blocked-href="/ads.css"`],
    gone: [` href=`],
  },
];

const wrap = (inner: string) => `<!doctype html><html><head><title>t</title></head><body><p>before</p>${inner}<p>after</p></body></html>`;

describe("blocking each element kind", () => {
  for (const c of CASES) {
    it(`${c.name}: neutralised without consent`, async () => {
      const out = await rewrite(wrap(c.html));
      for (const s of c.blocked) expect(out).toContain(s);
      for (const s of c.gone) expect(out).not.toContain(s);
      expect(out).toContain("<p>before</p>");
      expect(out).toContain("<p>after</p></body></html>");
    });
    it(`${c.name}: unchanged with consent`, async () => {
      // Only this element's consent; other services stay refused, so the rewriter still runs.
      const html = wrap(c.html);
      expect(await rewrite(html, { consent: consentOf(...c.key.split(" ")) })).toBe(html);
    });
  }
});

describe("what is left alone", () => {
  it("keeps scripts that are already inert", async () => {
    const html = wrap(
      `<script type="text/plain" data-category="statistics" src="https://www.googletagmanager.com/x.js"></script>` +
        `<script type="application/ld+json">{"gtag(":"_paq.push"}</script>`,
    );
    expect(await rewrite(html)).toBe(html);
  });

  it("keeps unrelated scripts, images, hints and unknown data-* labels byte for byte", async () => {
    const html = wrap(
      `<script>var a = "<b>"; if (a < 2) {}</script><script src="/app.js" defer></script>` +
        `<img src="https://tiles.example.com/1.png" data-category="shoes"><iframe src="/embed" data-service="youtube"></iframe>` +
        `<link rel="preconnect" href="https://cdn.example.net"><link rel="stylesheet" href="https://fonts.example.com/x.css">` +
        `<noscript><img src="/nojs.png"></noscript>`,
    );
    expect(await rewrite(html)).toBe(html);
  });

  it("drops connect-only hints to hosts the CSP's allow-list does not name (they bypass CSP), and tracker stylesheets", async () => {
    const out = await rewrite(wrap(`<link rel="preconnect" href="https://fonts.example.com"><link rel="stylesheet" href="https://www.googletagmanager.com/x.css">`));
    expect(out).toContain(`<link rel="preconnect" data-blocked-href="https://fonts.example.com" data-consent-blocked="undeclared-host">`);
    expect(out).toContain(`<link rel="stylesheet" data-blocked-href="https://www.googletagmanager.com/x.css" data-consent-blocked="ga">`);
  });

  it("never blocks a necessary service's hosts", async () => {
    const html = wrap(`<script src="https://cdn.example.net/app.js"></script><script data-category="necessary">x()</script>`);
    expect(await rewrite(html)).toBe(html);
  });

  it("does not take a look-alike host for a declared one", async () => {
    const html = wrap(`<script src="https://notgoogletagmanager.com/a.js"></script><img src="https://google-analytics.com.evil.test/p.gif">`);
    expect(await rewrite(html)).toBe(html);
  });

  it("blocks by data-category only when some service of the category is refused", async () => {
    const html = wrap(`<script data-category="statistics">x()</script>`);
    expect(await rewrite(html, { consent: consentOf("ga") })).toContain(`data-consent-blocked="statistics"`);
    expect(await rewrite(html, { consent: consentOf("ga", "matomo") })).toBe(html);
  });

  it("lets data-service decide over data-category", async () => {
    const html = wrap(`<script data-category="statistics" data-service="matomo" src="/m.js"></script>`);
    expect(await rewrite(html, { consent: consentOf("matomo") })).toBe(html);
  });
});

describe("inline markers split across chunks", () => {
  const script = `<script>\n  var _paq = window._paq = window._paq || [];\n  _paq.push(['trackPageView']);\n</script>`;
  const page = wrap(`<script>var ok = 1;</script>${script}`);

  for (const size of [1, 2, 3, 7]) {
    it(`finds _paq.push arriving ${size} byte(s) at a time`, async () => {
      const out = await rewrite(chunked(page, size));
      expect(out).toContain(`<script type="text/plain" data-consent-blocked="matomo">\n  var _paq`);
      expect(out).toContain(`<script>var ok = 1;</script>`);
      expect(out).toContain(`['trackPageView']);\n</script><p>after</p>`);
      // Every byte of the script's text survives, in order.
      expect(out.replace(` type="text/plain" data-consent-blocked="matomo"`, "")).toBe(page);
    });
  }

  it("passes a chunked page through byte for byte with consent", async () => {
    expect(await rewrite(chunked(page, 3), { consent: consentOf("matomo") })).toBe(page);
  });

  it("neutralises an inline script longer than the buffer limit: it cannot be inspected, so it is not left live", async () => {
    const big = `<script>var s = "${"x".repeat(70 * 1024)}";</script>`;
    const html = wrap(big);
    for (const cspMode of ["off", "enforce"] as const) {
      const out = await rewrite(chunked(html, 4096), { cspMode });
      expect(out).toBe(html.replace("<script>", `<script type="text/plain" data-consent-blocked="too-long">`));
    }
    // With consent for everything nothing is inspected, and the script runs.
    expect(await rewrite(chunked(html, 4096), { consent: consentOf(...ALL_KEYS) })).toBe(html);
  });

  it("keeps a long inline script's text whole, inert", async () => {
    const big = `<script>gtag('js');var s = "${"x".repeat(70 * 1024)}";</script>`;
    const out = await rewrite(chunked(wrap(big), 4096));
    expect(out).toContain(`<script type="text/plain" data-consent-blocked="too-long">gtag('js');var s`);
    expect(out.length).toBe(wrap(big).length + ` type="text/plain" data-consent-blocked="too-long"`.length);
  });
});

describe("malformed HTML survives", () => {
  const cases: Array<[string, string, string]> = [
    ["unclosed inline tracker at end of file", `<body><p>x<script>gtag('config')`, `<script type="text/plain" data-consent-blocked="ga">gtag('config')`],
    ["unclosed tags and stray end tags", `<div><p>a<b>b</div></span><img src="https://stats.example.org/p.gif"<p>c`, `data-blocked-src="https://stats.example.org/p.gif" data-consent-blocked="matomo">c`],
    [
      "attribute soup",
      `<script src='https://www.google-analytics.com/"x' async async =1 ></script><img src=https://tag.aticdn.net/p.gif alt=x/>`,
      `async =1 type="text/plain" data-consent-blocked="ga"></script><img alt=x/ data-blocked-src="https://tag.aticdn.net/p.gif"`,
    ],
    ["unterminated comment", `<p>a</p><!-- <script>gtag(</script>`, `<p>a</p><!-- <script>gtag(</script>`],
    ["unclosed noscript", `<noscript><img src="https://stats.example.org/p.gif">`, `<noscript><img data-blocked-src="https://stats.example.org/p.gif"`],
  ];
  for (const [name, html, expected] of cases) {
    it(name, async () => {
      expect(await rewrite(html, { consent: consentOf(...ALL_KEYS) })).toBe(html);
      const blocked = await rewrite(html);
      expect(blocked).toContain(expected);
      // Whatever the markup, no declared host stays in an image's src.
      expect(blocked).not.toMatch(/<img[^>]*\ssrc=["']?https:\/\/(stats\.example\.org|tag\.aticdn\.net)/);
    });
  }

  it("keeps the unclosed tracker's text, inert", async () => {
    expect(await rewrite(`<body><p>x<script>gtag('config')`)).toBe(
      `<body><p>x<script type="text/plain" data-consent-blocked="ga">gtag('config')`,
    );
  });
});
