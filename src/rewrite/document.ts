/**
 * What a browser will make of a response: a document it parses as HTML, one it parses as XML
 * (which may run scripts the HTML rewriter would not see), one whose type it sniffs, or
 * something it never runs. Pure; no I/O. Media types are read as Fetch reads them
 * (Fetch § 3.5 "extract a MIME type": every Content-Type value, split on commas, the last
 * valid one wins), but where values disagree the most dangerous reading decides, so that no
 * browser quirk can make a page run that the rewriter did not read.
 */

export type DocumentKind =
  /** text/html or application/xhtml+xml somewhere: rewritten, then served as text/html. */
  | "html"
  /** XML, SVG, multipart: a document the rewriter cannot read: served with the inert CSP. */
  | "xml"
  /** No usable type: the browser would sniff. Served as text/plain with nosniff and the inert CSP. */
  | "sniff"
  /** Images, scripts, styles, JSON, text…: never run as a document. Left alone. */
  | "other";

export interface DocumentType {
  kind: DocumentKind;
  /** The charset parameter of the type the browser uses, if any (raw label). */
  charset?: string;
  /** For "other" and "xml": the single Content-Type to send when the origin sent several; undefined to keep the header as it is. */
  normalised?: string;
}

interface MimeType {
  essence: string;
  charset?: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** WHATWG MIME Sniffing § 4.4 "parse a MIME type", keeping only the essence and the charset. */
export function parseMimeType(input: string): MimeType | undefined {
  const s = input.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  const slash = s.indexOf("/");
  if (slash <= 0) return undefined;
  const type = s.slice(0, slash).toLowerCase();
  let rest = s.slice(slash + 1);
  const semi = rest.indexOf(";");
  const subtype = (semi === -1 ? rest : rest.slice(0, semi)).replace(/[\t\n\r ]+$/, "").toLowerCase();
  if (!TOKEN.test(type) || !subtype || !TOKEN.test(subtype)) return undefined;
  const mime: MimeType = { essence: `${type}/${subtype}` };
  rest = semi === -1 ? "" : rest.slice(semi + 1);
  while (rest.length) {
    rest = rest.replace(/^[\t\n\r ]+/, "");
    const m = /^([^;=]*)(=)?/.exec(rest)!;
    const name = m[1].toLowerCase();
    rest = rest.slice(m[0].length);
    let value = "";
    if (m[2]) {
      if (rest.startsWith('"')) {
        let i = 1;
        while (i < rest.length && rest[i] !== '"') {
          if (rest[i] === "\\" && i + 1 < rest.length) i++;
          value += rest[i];
          i++;
        }
        rest = rest.slice(i + 1);
        const next = rest.indexOf(";");
        rest = next === -1 ? "" : rest.slice(next + 1);
      } else {
        const next = rest.indexOf(";");
        value = (next === -1 ? rest : rest.slice(0, next)).replace(/[\t\n\r ]+$/, "");
        rest = next === -1 ? "" : rest.slice(next + 1);
      }
      if (name === "charset" && mime.charset === undefined && value !== "") mime.charset = value;
    } else {
      const next = rest.indexOf(";");
      rest = next === -1 ? "" : rest.slice(next + 1);
    }
  }
  return mime;
}

/** Splits a combined header value on commas outside quoted strings (Fetch "get, decode, and split"). */
export function splitHeaderValues(value: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted && ch === "\\" && i + 1 < value.length) {
      current += ch + value[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === "," && !quoted) {
      out.push(current.trim());
      current = "";
    } else current += ch;
  }
  out.push(current.trim());
  return out;
}

const HTML = new Set(["text/html", "application/xhtml+xml"]);
const SNIFFED = new Set(["unknown/unknown", "application/unknown", "*/*"]);

function isXmlLike(essence: string): boolean {
  return essence.endsWith("/xml") || essence.endsWith("+xml") || essence.startsWith("multipart/") || essence === "text/xsl";
}

/** Content-Type values seen by this isolate, classified (a few distinct values answer nearly every response). */
const CLASSIFIED = new Map<string, Readonly<DocumentType>>();
const CLASSIFIED_MAX = 128;
const SNIFF: Readonly<DocumentType> = Object.freeze({ kind: "sniff" });

/** Classifies a response by its Content-Type header (null: none was sent). The result is shared: read-only. */
export function classifyContentType(contentType: string | null): Readonly<DocumentType> {
  if (contentType === null) return SNIFF;
  let type = CLASSIFIED.get(contentType);
  if (type === undefined) {
    type = Object.freeze(classify(contentType));
    if (CLASSIFIED.size < CLASSIFIED_MAX) CLASSIFIED.set(contentType, type);
  }
  return type;
}

function classify(contentType: string): DocumentType {
  const parsed = splitHeaderValues(contentType).map(parseMimeType);
  // Fetch's extraction: the last valid type other than */*, with the charset of its run.
  let extracted: MimeType | undefined;
  for (const m of parsed) {
    if (!m || m.essence === "*/*") continue;
    if (!extracted || m.essence !== extracted.essence) extracted = { essence: m.essence, charset: m.charset };
    else if (m.charset !== undefined) extracted = { essence: m.essence, charset: m.charset };
  }
  const valid = parsed.filter((m): m is MimeType => m !== undefined);
  const html = extracted && HTML.has(extracted.essence) ? extracted : valid.find((m) => HTML.has(m.essence));
  if (html) return { kind: "html", charset: html.charset };
  const several = parsed.length > 1;
  if (valid.some((m) => isXmlLike(m.essence))) {
    const xml = extracted && isXmlLike(extracted.essence) ? extracted : valid.find((m) => isXmlLike(m.essence))!;
    return { kind: "xml", normalised: several ? serialise(xml) : undefined };
  }
  if (!extracted || SNIFFED.has(extracted.essence)) return { kind: "sniff" };
  // Values that disagree (`image/png, text/css`): one type, the one Fetch picks, and nosniff.
  return { kind: "other", normalised: several && new Set(valid.map((m) => m.essence)).size > 1 ? serialise(extracted) : undefined };
}

function serialise(m: MimeType): string {
  return m.charset && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(m.charset) ? `${m.essence}; charset=${m.charset}` : m.essence;
}

/** Labels the Encoding Standard maps to the "replacement" encoding: the whole document decodes to one U+FFFD. */
const REPLACEMENT_LABELS = new Set(["csiso2022kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-cn-ext", "iso-2022-kr", "replacement"]);
/** Encodings HTMLRewriter cannot parse (not ASCII-compatible): transcoded to UTF-8 first. */
const TRANSCODED = new Set(["utf-16le", "utf-16be", "iso-2022-jp"]);

export type CharsetPlan =
  /** A label the rewriter reads as the browser does. */
  | { kind: "label"; encoding: string }
  /** The browser decodes this; the rewriter cannot: transcode to UTF-8. */
  | { kind: "transcode"; encoding: string }
  /** No label, or one the browser ignores: it looks at the document (BOM, meta, detection). */
  | { kind: "none" }
  /** The browser shows one U+FFFD: nothing can run. */
  | { kind: "replacement" };

/** Plans of the labels seen, per isolate: a TextDecoder built to resolve a label cost ~18 µs a page. Bounded: labels come from the origin. */
const PLANS = new Map<string, CharsetPlan>();
const MAX_PLANS = 64;

/** What a charset label means to a browser (Encoding Standard § 4.2 "get an encoding"). */
export function charsetPlan(label: string | undefined): CharsetPlan {
  if (label === undefined) return { kind: "none" };
  let plan = PLANS.get(label);
  if (plan === undefined) {
    plan = Object.freeze(resolveLabel(label));
    if (PLANS.size < MAX_PLANS) PLANS.set(label, plan);
  }
  return plan;
}

function resolveLabel(label: string): CharsetPlan {
  const trimmed = label.trim().toLowerCase();
  if (REPLACEMENT_LABELS.has(trimmed)) return { kind: "replacement" };
  let encoding: string;
  try {
    encoding = new TextDecoder(trimmed).encoding;
  } catch {
    return { kind: "none" };
  }
  return TRANSCODED.has(encoding) ? { kind: "transcode", encoding } : { kind: "label", encoding };
}

/**
 * The encoding a `<meta charset>` or `<meta http-equiv=content-type>` in the first 1024 bytes
 * declares, as the HTML prescan (HTML § 13.2.3.2) would use it; undefined when none.
 */
export function metaCharset(head: Uint8Array): string | undefined {
  const text = latin1(head.subarray(0, 1024));
  for (const m of text.matchAll(/<meta\b[^>]*>/gi)) {
    const c = /charset\s*=\s*["']?\s*([^\s"';>/]+)/i.exec(m[0]);
    if (!c) continue;
    const plan = charsetPlan(c[1]);
    if (plan.kind === "none") continue;
    if (plan.kind === "replacement") return "replacement";
    // The prescan reads a declared UTF-16 as UTF-8 (the bytes it just read were ASCII).
    return plan.encoding.startsWith("utf-16") ? "utf-8" : plan.encoding === "x-user-defined" ? "windows-1252" : plan.encoding;
  }
  return undefined;
}

export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** The encoding a byte order mark names (it overrides every label, Encoding § 6 "decode"). */
export function bomEncoding(head: Uint8Array): "utf-8" | "utf-16le" | "utf-16be" | undefined {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return "utf-8";
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  return undefined;
}
