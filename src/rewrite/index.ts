/**
 * Streams HTML responses through HTMLRewriter to neutralise the scripts, frames, pixels and
 * resource hints of services the visitor has not consented to, and to inject the no-JavaScript
 * consent banner. Other responses, and pages with nothing to change, are returned as they are.
 */
import type { Consent } from "../consent/types";
import { REPORTING_ENDPOINTS, buildCsp, cspHeaderName } from "../csp";
import type { CompiledPolicy, CspMode, Lang } from "../policy/types";
import { escapeHtml, renderBanner } from "./banner";
import { decodedBody, isEncoded } from "./decode-body";
import {
  type Denial,
  type PreparedPolicy,
  decodeAttribute,
  denialFor,
  isExecutableScriptType,
  matchLabels,
  matchMarkers,
  matchSrcset,
  matchUrl,
  preparePolicy,
} from "./match";

export { renderBanner, BANNER_ID, escapeHtml } from "./banner";

export interface RewriteOptions {
  policy: CompiledPolicy;
  consent: Consent;
  lang: Lang;
  /** Inject the banner (the caller decides: no explicit choice, no GPC, not /cookies, banner enabled). */
  banner: boolean;
  /** The page to come back to after the banner's form is posted; escaped here. */
  returnPath: string;
  /** Ask the browser for CSP violation reports on this response (the caller samples). */
  report?: boolean;
  /** The visitor's connection is https. */
  secure?: boolean;
  /** Overrides the policy's `csp` (the CSP_MODE var). */
  cspMode?: CspMode;
}

/** The CSP mode in force for a response; a tenant in report-only mode never enforces one. */
export function cspModeOf(opts: Pick<RewriteOptions, "policy" | "cspMode">): CspMode {
  const mode = opts.cspMode ?? opts.policy.csp ?? "enforce";
  return mode === "enforce" && opts.policy.mode === "report-only" ? "report-only" : mode;
}

/** Inline `<script>` and `<noscript>` text held back while looking for markers; past it the rest streams unchanged. */
export const INLINE_BUFFER_LIMIT = 64 * 1024;

const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);
const HINT_RELS = new Set(["preconnect", "dns-prefetch", "preload", "prefetch", "modulepreload", "prerender"]);

/** True for text/html and application/xhtml+xml, whatever the parameters (RFC 9110 § 8.3.1). */
export function isHtmlContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  return HTML_TYPES.has(contentType.split(";", 1)[0].trim().toLowerCase());
}

export function rewriteHtml(res: Response, opts: RewriteOptions): Response {
  if (!res.body || !isHtmlContentType(res.headers.get("content-type"))) return res;
  // Report-only rollout: the page goes out as the origin wrote it (no blocking, no banner); the
  // CSP, as Content-Security-Policy-Report-Only, has browsers report what it would block.
  if (opts.policy.mode === "report-only") return withCspOnly(res, opts);
  const prepared = preparePolicy(opts.policy);
  const denial = denialFor(prepared, opts.consent);
  if (denial.empty && !opts.banner) return res;

  const headers = new Headers(res.headers);
  headers.delete("content-length");
  addCsp(headers, opts);
  const encoding = res.headers.get("content-encoding");
  const body = isEncoded(encoding) ? decodedBody(res.body, encoding ?? "") : res.body;

  const rewriter = new HTMLRewriter();
  const flushAtEnd: Array<() => string> = [];
  if (!denial.empty) addBlocking(rewriter, prepared, denial, flushAtEnd);
  if (opts.banner) addBanner(rewriter, renderBanner(opts.policy, opts.lang, opts.returnPath), flushAtEnd);
  if (flushAtEnd.length) {
    rewriter.onDocument({
      end(end) {
        const tail = flushAtEnd.map((f) => f()).join("");
        if (tail) end.append(tail, { html: true });
      },
    });
  }
  return rewriter.transform(new Response(body, { status: res.status, statusText: res.statusText, headers }));
}

/**
 * Appends the consent-derived CSP (the origin's own policies stay: browsers enforce each one).
 * Enforced, it goes on every response; report-only, only on those sampled for reports, since
 * without a report directive it would tell nobody anything.
 */
function addCsp(headers: Headers, opts: RewriteOptions): boolean {
  const mode = cspModeOf(opts);
  const name = cspHeaderName(mode);
  if (!name || (mode === "report-only" && !opts.report)) return false;
  const report = opts.report === true;
  const secure = opts.secure === true;
  headers.append(name, buildCsp(opts.policy, opts.consent, { report, secure }));
  if (report && secure) headers.append("reporting-endpoints", REPORTING_ENDPOINTS);
  return true;
}

/**
 * Only the banner, before `</body>`: for the middleware's `consentBanner`, in apps whose own
 * markup the enforcer does not rewrite (no blocking, no CSP). The caller decides it is due.
 */
export function injectBanner(res: Response, opts: Pick<RewriteOptions, "policy" | "lang" | "returnPath">): Response {
  if (!res.body || !isHtmlContentType(res.headers.get("content-type"))) return res;
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  const encoding = res.headers.get("content-encoding");
  const body = isEncoded(encoding) ? decodedBody(res.body, encoding ?? "") : res.body;
  const rewriter = new HTMLRewriter();
  const flushAtEnd: Array<() => string> = [];
  addBanner(rewriter, renderBanner(opts.policy, opts.lang, opts.returnPath), flushAtEnd);
  rewriter.onDocument({
    end(end) {
      const tail = flushAtEnd.map((f) => f()).join("");
      if (tail) end.append(tail, { html: true });
    },
  });
  return rewriter.transform(new Response(body, { status: res.status, statusText: res.statusText, headers }));
}

function withCspOnly(res: Response, opts: RewriteOptions): Response {
  const headers = new Headers(res.headers);
  if (!addCsp(headers, opts)) return res;
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

function addBanner(rewriter: HTMLRewriter, html: string, flushAtEnd: Array<() => string>): void {
  let injected = false;
  rewriter.on("body", {
    element(e) {
      e.onEndTag((end) => {
        if (injected) return;
        injected = true;
        end.before(html, { html: true });
      });
    },
  });
  // `</body>` is optional (HTML § 13.1.2.4): without one the banner closes the document.
  flushAtEnd.push(() => {
    if (injected) return "";
    injected = true;
    return html;
  });
}

interface InlineScript {
  attrs: string[][];
  buf: string;
  lower: string;
  flushed: boolean;
}

/**
 * Blocks by URL, marker and data-* label. `flushAtEnd` is given for the page itself and
 * omitted for a `<noscript>` fragment, where inline scripts cannot run and noscripts cannot nest.
 */
function addBlocking(
  rewriter: HTMLRewriter,
  p: PreparedPolicy,
  d: Denial,
  flushAtEnd?: Array<() => string>,
): void {
  const labelOf = (e: Element): string | undefined =>
    e.hasAttribute("data-service") || e.hasAttribute("data-category")
      ? matchLabels(e.getAttribute("data-service"), e.getAttribute("data-category"), p, d)
      : undefined;
  const urlOf = (e: Element, name: string): string | undefined => {
    const v = e.getAttribute(name);
    return v === null ? undefined : matchUrl(v, d.blockers);
  };

  const frameOrImage = {
    element(e: Element) {
      const srcset = e.getAttribute("srcset");
      const id = labelOf(e) ?? urlOf(e, "src") ?? (srcset !== null ? matchSrcset(srcset, d.blockers) : undefined);
      if (!id) return;
      moveAttribute(e, "src", "data-blocked-src");
      moveAttribute(e, "srcset", "data-blocked-srcset");
      e.setAttribute("data-consent-blocked", id);
    },
  };
  rewriter.on("iframe", frameOrImage).on("img", frameOrImage);

  rewriter.on("link", {
    element(e) {
      // Decoded first, as the browser reads it: `rel="pre&#108;oad"` is a preload.
      const rel = decodeAttribute(e.getAttribute("rel") ?? "").toLowerCase().split(/\s+/);
      const id = labelOf(e) ?? (rel.some((r) => HINT_RELS.has(r)) ? urlOf(e, "href") : undefined);
      if (!id) return;
      moveAttribute(e, "href", "data-blocked-href");
      moveAttribute(e, "imagesrcset", "data-blocked-imagesrcset");
      e.setAttribute("data-consent-blocked", id);
    },
  });

  const inline = flushAtEnd !== undefined && d.markerBlockers.length > 0;
  let pending: InlineScript | undefined;
  rewriter.on("script", {
    element(e) {
      const type = e.getAttribute("type");
      // Already inert (`type="text/plain"`, JSON, templates): left as it is.
      if (!isExecutableScriptType(type)) return;
      const src = e.getAttribute("src");
      const id = labelOf(e) ?? (src !== null ? matchUrl(src, d.blockers) : undefined);
      if (id) {
        e.setAttribute("type", "text/plain");
        e.setAttribute("data-consent-blocked", id);
        if (type !== null) e.setAttribute("data-original-type", type);
        return;
      }
      // With a src the inline text is never run (HTML § 4.12.1).
      if (src !== null || !inline) return;
      // The start tag is written out again once the text is known, blocked or as it was.
      const s: InlineScript = { attrs: [...e.attributes], buf: "", lower: "", flushed: false };
      pending = s;
      e.removeAndKeepContent();
      e.onEndTag((end) => {
        if (!s.flushed) end.before(flushInline(s, undefined), { html: true });
        end.before("</script>", { html: true });
        if (pending === s) pending = undefined;
      });
    },
    text(t) {
      const s = pending;
      if (!s || s.flushed) return;
      const from = Math.max(0, s.lower.length - d.maxMarkerLength + 1);
      s.buf += t.text;
      s.lower += t.text.toLowerCase();
      const id = matchMarkers(s.lower, d.markerBlockers, from);
      if (id || t.lastInTextNode || s.buf.length > INLINE_BUFFER_LIMIT) {
        t.replace(flushInline(s, id), { html: true });
      } else {
        t.remove();
      }
    },
  });

  if (!flushAtEnd) return;
  flushAtEnd.push(() => (pending && !pending.flushed ? flushInline(pending, undefined) : ""));

  // With scripting on, noscript content is raw text to the parser (HTML § 13.2.6.4.4), so its
  // img/iframe are found by rewriting the buffered text as a fragment of its own.
  let ns = { buf: "", passthrough: false };
  rewriter.on("noscript", {
    element() {
      ns = { buf: "", passthrough: false };
    },
    async text(t) {
      if (ns.passthrough) return;
      ns.buf += t.text;
      if (!t.lastInTextNode) {
        if (ns.buf.length > INLINE_BUFFER_LIMIT) {
          ns.passthrough = true;
          t.replace(ns.buf, { html: true });
        } else {
          t.remove();
        }
        return;
      }
      const fragment = ns.buf;
      ns.buf = "";
      const rewritten = new HTMLRewriter();
      addBlocking(rewritten, p, d);
      const out = await rewritten
        .transform(new Response(fragment, { headers: { "content-type": "text/html" } }))
        .text();
      t.replace(out, { html: true });
    },
  });
}

function flushInline(s: InlineScript, blockedBy: string | undefined): string {
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

function moveAttribute(e: Element, from: string, to: string): void {
  const v = e.getAttribute(from);
  if (v === null) return;
  e.setAttribute(to, v);
  e.removeAttribute(from);
}
