/**
 * The HTMLRewriter handlers every rewritten page gets, enforced CSP or not: scripts (a
 * tracker's `src`, an SVG script's `href`, inline code with a marker, inline code too long to
 * read, speculation rules, import maps), and the two things a CSP does not govern: resource
 * hints that only connect (preconnect, dns-prefetch) and `<meta http-equiv=refresh>`.
 * Selectors match as few elements as they can: each match costs a call into JavaScript.
 */
import { escapeHtml } from "../html";
import type { HostAllowList } from "../csp/allow";
import { refreshTarget } from "./header-vectors";
import { type Denial, type PreparedPolicy, decodeAttribute, isExecutableScriptType, matchLabels, matchUrl, scanCode } from "./match";

/** Inline `<script>` text held back for inspection; a longer script is neutralised, not left live. */
export const INLINE_BUFFER_LIMIT = 64 * 1024;
/**
 * How many elements one page may bring to the enforced-CSP handlers (scripts, resource hints,
 * meta refreshes). Each costs a call into JavaScript (12–40 µs here): a page of thousands of
 * `<script>` would need seconds of CPU, past any plan's limit. Past this many the page is cut
 * there (its stream fails; nothing after it is sent): fail closed before the runtime's limit.
 * 250 let a page of scripts cost 16 ms before the cut (the bench's hostile pages); portal pages
 * carry a few dozen.
 */
export const ELEMENT_BUDGET = 150;

/** The error that cuts a page past ELEMENT_BUDGET. */
export class TooManyElements extends Error {
  constructor() {
    super(`consent-edge: more than ${ELEMENT_BUDGET} scripts, hints and refreshes in one page; the rest is not sent`);
  }
}

/** Counts one element against the page's budget (when it has one); throws past it. */
function spend(ctx: BlockingContext): void {
  if (ctx.budget && --ctx.budget.left < 0) throw new TooManyElements();
}

/** `data-consent-blocked` of an inline script too long to inspect. */
export const TOO_LONG = "too-long";

const SVG_NS = "http://www.w3.org/2000/svg";
const HINT_RELS = new Set(["preconnect", "dns-prefetch", "preload", "prefetch", "modulepreload", "prerender"]);

export interface BlockingContext {
  p: PreparedPolicy;
  d: Denial;
  /** The full coverage runs (no enforced CSP): inline code is searched for denied hosts too. */
  full: boolean;
  /** The page's host, and what else it may connect to (the CSP's allow-list). */
  selfHost: string;
  allow: HostAllowList;
  /** Given for the page itself; omitted for a `<noscript>` fragment, where inline scripts cannot run. */
  flushAtEnd?: Array<() => string>;
  /** Elements the handlers may still look at (ELEMENT_BUDGET); no limit when absent. */
  budget?: { left: number };
}

export function labelOf(e: Element, ctx: BlockingContext): string | undefined {
  return e.hasAttribute("data-service") || e.hasAttribute("data-category")
    ? matchLabels(e.getAttribute("data-service"), e.getAttribute("data-category"), ctx.p, ctx.d)
    : undefined;
}

interface Pending {
  attrs: string[][];
  buf: string;
  flushed: boolean;
  decide: (text: string) => string | undefined;
  /**
   * An SVG script's text may come as several text nodes (CDATA sections, comments, child
   * elements between them), and the browser runs them joined. After the first one went out
   * live, each later one is held until it is whole, then searched with everything before it:
   * if the joined text names a denied service, that node and every later one are dropped, so
   * the marker's code never reaches the browser (the rest stays a harmless fragment).
   */
  svg?: { seen: string; node: string; dropping: boolean };
}

export function addScripts(rewriter: HTMLRewriter, ctx: BlockingContext): void {
  const { d } = ctx;
  const inlineBlockers = ctx.full ? d.blockers : d.markerBlockers;
  let pending: Pending | undefined;

  rewriter.on("script", {
    element(e) {
      spend(ctx);
      const rawType = e.getAttribute("type");
      const type = rawType === null ? null : decodeAttribute(rawType);
      const essence = (type ?? "").trim().toLowerCase();
      // Prefetch and prerender lists: fetches no CSP directive governs. Only a hint: dropped.
      if (essence === "speculationrules") return neutraliseScript(e, "speculation-rules", rawType);
      const svg = e.namespaceURI === SVG_NS;
      let decide: Pending["decide"];
      if (essence === "importmap") {
        decide = (text) => importMapBlocked(text, d);
      } else {
        if (!isExecutableScriptType(type)) return;
        const urlAttrs = svg ? ["href", "xlink:href"] : ["src"];
        let id = labelOf(e, ctx);
        let hasUrl = false;
        for (const name of urlAttrs) {
          const v = e.getAttribute(name);
          if (v === null) continue;
          hasUrl = true;
          id ??= matchUrl(v, d.blockers);
        }
        if (id) {
          neutraliseScript(e, id, rawType);
          if (svg) for (const name of urlAttrs) moveAttribute(e, name, `data-blocked-${name.replace(":", "-")}`);
          return;
        }
        // With a src (an href in SVG) the inline text is never run (HTML § 4.12.1).
        if (hasUrl || !ctx.flushAtEnd || inlineBlockers.length === 0) return;
        // In SVG the text is parsed like markup: character references are decoded.
        decide = (text) => scanCode(text, inlineBlockers, { hosts: ctx.full, references: svg });
      }
      // The start tag is written out again once the text is known, blocked or as it was.
      const s: Pending = { attrs: [...e.attributes], buf: "", flushed: false, decide, svg: svg ? { seen: "", node: "", dropping: false } : undefined };
      pending = s;
      e.removeAndKeepContent();
      e.onEndTag((end) => {
        if (!s.flushed) end.before(flush(s, s.decide(s.buf)), { html: true });
        end.before("</script>", { html: true });
        if (pending === s) pending = undefined;
      });
    },
    text(t) {
      const s = pending;
      if (!s) return;
      if (s.flushed) return s.svg ? laterSvgText(s, s.svg, t) : undefined;
      s.buf += t.text;
      if (t.lastInTextNode) {
        const id = s.decide(s.buf);
        if (s.svg) s.svg.seen = s.buf;
        if (id && s.svg) s.svg = undefined; // blocked: later nodes are in an inert script
        t.replace(flush(s, id), { html: true });
      } else if (s.buf.length > INLINE_BUFFER_LIMIT) {
        s.svg = undefined;
        t.replace(flush(s, TOO_LONG), { html: true });
      } else t.remove();
    },
  });

  // An unclosed script at the end of the document: its text, inspected, before the banner.
  ctx.flushAtEnd?.push(() => (pending && !pending.flushed ? flush(pending, pending.decide(pending.buf)) : ""));
}

/** A text chunk of an SVG script after its first text node went out live (see `Pending.svg`). */
function laterSvgText(s: Pending, svg: NonNullable<Pending["svg"]>, t: Text): void {
  if (svg.dropping) {
    t.remove();
    return;
  }
  svg.node += t.text;
  if (!t.lastInTextNode) {
    // Too long to read whole: dropped, never left live.
    if (svg.seen.length + svg.node.length > INLINE_BUFFER_LIMIT) (svg.dropping = true), (svg.node = "");
    t.remove();
    return;
  }
  svg.seen += svg.node;
  const node = svg.node;
  svg.node = "";
  if (svg.seen.length > INLINE_BUFFER_LIMIT || s.decide(svg.seen)) {
    svg.dropping = true;
    t.remove();
    return;
  }
  t.replace(node, { html: true });
}

/**
 * `<link rel=preconnect|dns-prefetch|preload…>` outside the allow-list, and meta refreshes to a
 * denied service. Only links whose rel holds "pre" (all hint rels do) or a character
 * reference are matched.
 */
export function addHintsAndRefresh(rewriter: HTMLRewriter, ctx: BlockingContext): void {
  // One selector list, one registration (each costs the page a call into the runtime).
  rewriter.on('link[rel*="pre" i], link[rel*="&"], meta[http-equiv]', {
    element(e) {
      spend(ctx);
      if (e.tagName === "link") {
        const id = linkHintBlocked(e, ctx);
        if (id) neutraliseLink(e, id);
        return;
      }
      const id = refreshBlocked(e, ctx);
      if (id) {
        moveAttribute(e, "content", "data-blocked-content");
        e.setAttribute("data-consent-blocked", id);
      }
    },
  });
}

/** For a `<link>` that is a resource hint: the reason to block it, if any. */
export function linkHintBlocked(e: Element, ctx: BlockingContext): string | undefined {
  // Decoded first, as the browser reads it: `rel="pre&#108;oad"` is a preload.
  const rel = decodeAttribute(e.getAttribute("rel") ?? "").toLowerCase().split(/[\t\n\f\r ]+/);
  if (!rel.some((r) => HINT_RELS.has(r))) return undefined;
  const href = e.getAttribute("href");
  if (href === null) return undefined;
  const id = matchUrl(href, ctx.d.blockers);
  if (id) return id;
  let host: string;
  try {
    host = new URL(decodeAttribute(href), `https://${ctx.selfHost}/`).hostname.replace(/\.$/, "");
  } catch {
    return undefined;
  }
  return host === ctx.selfHost || ctx.allow.allows(host) ? undefined : "undeclared-host";
}

export function refreshBlocked(e: Element, ctx: BlockingContext): string | undefined {
  if (decodeAttribute(e.getAttribute("http-equiv") ?? "").trim().toLowerCase() !== "refresh") return undefined;
  const target = refreshTarget(decodeAttribute(e.getAttribute("content") ?? ""));
  return target ? matchUrl(target, ctx.d.blockers) : undefined;
}

export function neutraliseLink(e: Element, id: string): void {
  moveAttribute(e, "href", "data-blocked-href");
  moveAttribute(e, "imagesrcset", "data-blocked-imagesrcset");
  e.setAttribute("data-consent-blocked", id);
}

function neutraliseScript(e: Element, id: string, rawType: string | null): void {
  e.setAttribute("type", "text/plain");
  e.setAttribute("data-consent-blocked", id);
  if (rawType !== null) e.setAttribute("data-original-type", rawType);
}

/** An import map naming a denied URL (JSON escapes undone by parsing); unreadable maps are ignored by browsers. */
function importMapBlocked(text: string, d: Denial): string | undefined {
  let map: unknown;
  try {
    map = JSON.parse(text);
  } catch {
    return undefined;
  }
  const urls: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") urls.push(v);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) (urls.push(k), walk(x));
  };
  walk(map);
  for (const u of urls) {
    const id = matchUrl(u, d.blockers);
    if (id) return id;
  }
  return undefined;
}

function flush(s: Pending, blockedBy: string | undefined): string {
  s.flushed = true;
  return startTag(s.attrs, blockedBy) + s.buf;
}

/** A `<script>` start tag from HTMLRewriter's raw attribute values, neutralised when `blockedBy` is set. */
function startTag(attrs: string[][], blockedBy: string | undefined): string {
  let tag = "<script";
  if (blockedBy) tag += ` type="text/plain" data-consent-blocked="${escapeHtml(blockedBy)}"`;
  for (const [name, value] of attrs) {
    // A name with quotes or "<" is a parse error the browser would have read differently: dropped.
    if (/["'<>=/\s]/.test(name)) continue;
    if (blockedBy && name === "type") tag += ` data-original-type="${quote(value)}"`;
    else if (!(blockedBy && (name === "data-consent-blocked" || name === "data-original-type"))) {
      tag += ` ${name}="${quote(value)}"`;
    }
  }
  return tag + ">";
}

/** Raw attribute values keep their character references; only the delimiter needs escaping. */
function quote(raw: string): string {
  return raw.replace(/"/g, "&quot;");
}

export function moveAttribute(e: Element, from: string, to: string): void {
  const v = e.getAttribute(from);
  if (v === null) return;
  e.setAttribute(to, v);
  e.removeAttribute(from);
}
