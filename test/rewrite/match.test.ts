import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/policy/compile";
import { codingPlan } from "../../src/rewrite/decode-body";
import {
  decodeAttribute,
  decodeReferences,
  denialFor,
  isExecutableScriptType,
  matchLabels,
  matchMarkers,
  matchUrl,
  preparePolicy,
  UNREADABLE,
} from "../../src/rewrite/match";
import { BASE, consentOf, POLICY } from "./fixtures";

const prepared = preparePolicy(POLICY);
const none = denialFor(prepared, consentOf());

describe("preparePolicy", () => {
  it("is computed once per policy", () => {
    expect(preparePolicy(POLICY)).toBe(prepared);
  });
  it("keeps only non-necessary services with hosts or markers, lower-cased", () => {
    expect(prepared.blockers.map((b) => b.id)).toEqual(["ga", "matomo", "xiti"]);
    expect(prepared.blockers[0].markers).toEqual(["gtag(", "googleanalyticsobject"]);
  });
});

describe("denialFor", () => {
  it("denies what is not granted", () => {
    expect(none.blockers.map((b) => b.id)).toEqual(["ga", "matomo", "xiti"]);
    expect([...none.categories].sort()).toEqual(["marketing", "statistics"]);
    expect(none.maxMarkerLength).toBe("googleanalyticsobject".length);
    const some = denialFor(prepared, consentOf("ga", "matomo"));
    expect(some.blockers.map((b) => b.id)).toEqual(["xiti"]);
    expect([...some.categories]).toEqual(["marketing"]);
    expect(denialFor(prepared, consentOf("ga", "matomo", "at")).empty).toBe(true);
  });
});

describe("matchUrl", () => {
  const table: Array<[string, string | undefined]> = [
    ["https://www.googletagmanager.com/gtag/js", "ga"],
    ["//google-analytics.com/analytics.js", "ga"],
    ["https://GOOGLE-ANALYTICS.COM./x", "ga"],
    ["https://www.google\t-analytics.com/x", "ga"],
    ["https:\\\\stats.example.org\\m.js", "matomo"],
    ["https://stats%2Eexample.org/m.js", "matomo"],
    ["https://stats&#x2e;example.org/m.js", "matomo"],
    ["/js/matomo.js?v=1", "matomo"],
    ["https://tag.aticdn.net:443/smarttag.js", "xiti"],
    ["https://example.org/stats.example.org.js", undefined],
    ["https://evilgoogletagmanager.com/x", undefined],
    ["https://cdn.example.net/app.js", undefined],
    ["/app.js", undefined],
    ["http://[::1/", undefined],
  ];
  for (const [url, id] of table) {
    it(`${JSON.stringify(url)} → ${id ?? "allowed"}`, () => {
      expect(matchUrl(url, none.blockers)).toBe(id);
    });
  }
});

describe("small pure helpers", () => {
  it("decodes character references browsers decode in attributes", () => {
    expect(decodeAttribute("a&amp;b&#46;c&#x2F;d&period;e&unknown;f")).toBe("a&b.c/d.e&unknown;f");
    expect(decodeAttribute("plain")).toBe("plain");
  });

  it("finds markers from an offset, case-insensitively by lower-cased input", () => {
    expect(matchMarkers("var x; _paq.push(1)", none.markerBlockers)).toBe("matomo");
    expect(matchMarkers("gtag(", none.markerBlockers, 1)).toBeUndefined();
    expect(matchMarkers("nothing here", none.markerBlockers)).toBeUndefined();
  });

  it("reads data-service before data-category and ignores labels it does not know", () => {
    expect(matchLabels("GA", null, prepared, none)).toBe("ga");
    expect(matchLabels("xiti", null, prepared, none)).toBe("xiti");
    expect(matchLabels("youtube", "statistics", prepared, none)).toBe("statistics");
    expect(matchLabels(null, "Analytics", prepared, none)).toBeUndefined();
    expect(matchLabels(null, "necessary", prepared, none)).toBeUndefined();
    const ga = denialFor(prepared, consentOf("ga"));
    expect(matchLabels("ga", "statistics", prepared, ga)).toBeUndefined();
  });

  it("knows which script types run", () => {
    for (const t of [null, "", "module", "text/javascript", " Application/JavaScript "]) expect(isExecutableScriptType(t)).toBe(true);
    for (const t of ["text/plain", "application/json", "application/ld+json", "importmap", "text/x-template"]) {
      expect(isExecutableScriptType(t)).toBe(false);
    }
  });

  it("plans the decoding of every Content-Encoding browsers read", () => {
    expect(codingPlan(null)).toEqual({ kind: "plain", sniffGzip: false });
    expect(codingPlan("gzip")).toEqual({ kind: "plain", sniffGzip: true });
    expect(codingPlan(" br ")).toEqual({ kind: "plain", sniffGzip: false });
    expect(codingPlan("identity")).toEqual({ kind: "plain", sniffGzip: false });
    expect(codingPlan("GZIP")).toEqual({ kind: "decode", codings: ["gzip"] });
    expect(codingPlan("x-gzip")).toEqual({ kind: "decode", codings: ["gzip"] });
    expect(codingPlan("Deflate")).toEqual({ kind: "decode", codings: ["deflate"] });
    expect(codingPlan("deflate, gzip")).toEqual({ kind: "decode", codings: ["deflate", "gzip"] });
    expect(codingPlan("gzip,identity, gzip")).toEqual({ kind: "decode", codings: ["gzip", "gzip"] });
    for (const c of ["zstd", "compress", "gzip, br", "bogus", "br, gzip"]) expect(codingPlan(c).kind, c).toBe("undecodable");
  });
});

describe("matchUrl reads hosts as the URL parser does, though it parses only URLs that may name a denied host", () => {
  const spellings: Array<[string, string | undefined]> = [
    ["https://ｇoogletagmanager.com/gtag/js", "ga"], // fullwidth letter (UTS 46 maps it)
    ["https://www.googletagmanager。com/gtag/js", "ga"], // ideographic full stop
    ["https://www.googletag\nmanager.com/x", "ga"],
    ["https://www.googletag\rmanager.com/x", "ga"],
    ["https://%77ww.googletagmanager.com/x", "ga"],
    ["https://www.googletagmanager%2ecom/x", "ga"],
    ["https://user:pw@stats.example.org/m.js", "matomo"],
    ["HTTPS://STATS.EXAMPLE.ORG/M.JS", "matomo"],
    ["\\\\stats.example.org/m.js", "matomo"],
    ["  https://stats.example.org/m.js", "matomo"],
    ["https://stats.example.org\\@evil.test/", "matomo"],
    ["https://evil.test\\@stats.example.org/", undefined],
    ["https://stats.example.org.evil.test/", undefined],
    ["/static/ods-frontend.js", undefined],
    ["https://cdn.example.net/app.js?next=https://other.test/", undefined],
  ];
  for (const [url, id] of spellings) {
    it(`${JSON.stringify(url)} → ${id ?? "allowed"}`, () => {
      expect(matchUrl(url, none.blockers)).toBe(id);
      expect(matchUrl(url, none.blockers)).toBe(parsedAlways(url, none.blockers));
    });
  }

  it("a denied IPv4 host is matched in every spelling the parser accepts", () => {
    const policy = compilePolicy({
      ...BASE,
      services: [
        ...BASE.services,
        {
          id: "ip", consentKey: "ip", category: "marketing", provider: "P", function: "f", purpose: "p",
          cookies: [{ name: "ip", duration: "1 day" }], block: { hosts: ["10.1.2.3"] },
        },
      ],
    });
    const d = denialFor(preparePolicy(policy), consentOf());
    for (const url of ["http://10.1.2.3/p.gif", "http://0xa.1.2.3/p.gif", "http://10.66051/p.gif", "http://167838211/p.gif", "http://012.1.2.3/p.gif"]) {
      expect(matchUrl(url, d.blockers), url).toBe("ip");
    }
  });

  it("agrees with parsing every URL, on generated URLs made of the denied hosts' pieces", () => {
    const pieces = [
      "https:", "http:", "//", "\\\\", "/", "\\", "@", ":", ".", "。", "%2e", "%77", "\t", "\n", " ", "?", "#", "&#46;",
      "www", "stats", "example", "org", "googletagmanager", "google", "-analytics", "com", "COM", "Ｇ", "tag.aticdn", "net",
      "cdn", "evil", "x", "0", "?next=",
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (parts) => {
        const url = parts.join("");
        expect(matchUrl(url, none.blockers)).toBe(parsedAlways(url, none.blockers));
      }),
      { numRuns: 3000 },
    );
  });
});

/** matchUrl as it was before the shortcut: every URL parsed. */
function parsedAlways(rawUrl: string, blockers: ReturnType<typeof denialFor>["blockers"]): string | undefined {
  const { value: decoded, unresolved } = decodeReferences(rawUrl);
  if (unresolved && /^[\s\u0000-\u001f]*(?:[a-z][a-z0-9+.-]*:)?[\t\n\r]*[\\/][\t\n\r]*[\\/]([^/\\?#]*)/i.exec(decoded)?.[1]?.match(/&[A-Za-z][A-Za-z0-9]*;/)) return UNREADABLE;
  let host = "";
  try {
    host = new URL(decoded, "https://same-origin.invalid/").hostname;
  } catch {}
  if (host.endsWith(".")) host = host.slice(0, -1);
  const lower = decoded.toLowerCase();
  for (const b of blockers) {
    for (let i = 0; i < b.hosts.length; i++) if (host === b.hosts[i] || host.endsWith(b.suffixes[i])) return b.id;
    for (const m of b.markers) if (lower.includes(m)) return b.id;
  }
  return undefined;
}
