/** Chooses the /cookies representation from an Accept header (RFC 9110 §12.5.1). Pure; no I/O. */

export type PageFormat = "html" | "json" | "markdown";

const TYPES: ReadonlyArray<[string, PageFormat]> = [
  ["text/html", "html"],
  ["application/json", "json"],
  ["text/markdown", "markdown"],
];

/** How specifically a media range matches a type: 3 exact, 2 `type/*`, 1 `*\/*`, 0 none. */
function specificity(range: string, type: string): number {
  if (range === type) return 3;
  if (range === "*/*") return 1;
  const slash = type.indexOf("/");
  return range === type.slice(0, slash) + "/*" ? 2 : 0;
}

/**
 * The items of a header with q-values (Accept, Accept-Language; RFC 9110 §12.4.2), in header
 * order, each trimmed with its weight (1 when absent or malformed); at most `limit` items.
 */
export function qualityList(header: string, limit: number): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const part of header.split(",", limit)) {
    const [range, ...params] = part.split(";");
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    out.push([range.trim(), q]);
  }
  return out;
}

/**
 * The representation the client prefers: each type takes the q-value of its most specific
 * matching range; the highest q wins, then the type named exactly over one reached by a
 * wildcard (`application/json, *\/*`), then HTML; HTML also when nothing is acceptable.
 */
export function chooseFormat(accept: string | undefined): PageFormat {
  if (!accept) return "html";
  const ranges = qualityList(accept, 64).map(([range, q]): [string, number] => [range.toLowerCase(), q]);
  let best: PageFormat = "html";
  let bestQ = 0;
  let bestSpec = 0;
  for (const [type, format] of TYPES) {
    let spec = 0;
    let q = 0;
    for (const [range, rq] of ranges) {
      const s = specificity(range, type);
      if (s > spec) {
        spec = s;
        q = rq;
      }
    }
    if (q > bestQ || (q === bestQ && q > 0 && spec > bestSpec)) {
      best = format;
      bestQ = q;
      bestSpec = spec;
    }
  }
  return best;
}
