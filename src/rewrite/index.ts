/**
 * Everything done to a response a browser may render as a document, when some service is not
 * consented to (or the banner is due): the consent-derived CSP, the header vectors (Link,
 * Refresh, Speculation-Rules), and for HTML the HTMLRewriter pass. HTML is decoded first
 * (every Content-Encoding the runtime can undo; UTF-16 and ISO-2022-JP transcoded) and served
 * as text/html with nosniff, so that what the browser parses is what the rewriter read (XHTML
 * included: served as HTML, it is parsed as the rewriter parsed it). Documents the rewriter
 * cannot read (XML, SVG, unknown types a browser would sniff) are served inert. Fully
 * consented pages, and responses that are not documents, pass untouched.
 *
 * With the CSP enforced, the rewriter does only what a CSP cannot: inline code with a
 * first-party marker, speculation rules, connect-only resource hints, meta refresh, the
 * banner. Otherwise it runs its full coverage (./full.ts).
 */
import type { Consent } from "../consent/types";
import { INERT_CSP, REPORTING_ENDPOINTS, buildCsp, cspHeaderName } from "../csp";
import { hostAllowList } from "../csp/allow";
import type { CompiledPolicy, CspMode, Lang, MarkupMode } from "../policy/types";
import { errorPage } from "../proxy/pages";
import { type BannerTarget, asciiHtml, bannerBytes, newFormId, renderBanner } from "./banner";
import { type CodingPlan, codingPlan, decodedLazily, rewriterInput, rewriterLabel } from "./decode-body";
import { type CharsetPlan, charsetPlan, classifyContentType, type DocumentType } from "./document";
import { addFullCoverage } from "./full";
import { cleanHeaderVectors } from "./header-vectors";
import { denialFor, matchUrl, preparePolicy } from "./match";
import { type BlockingContext, ELEMENT_BUDGET, addHintsAndRefresh, addScripts } from "./scripts";
import { declaredLength, fitsUnparsed, parseLimit, passesUnparsed, unparsedPage } from "./unparsed";
import { cleanReportingHeaders, hasReportingHeaders } from "./reporting";
import { becomesWorkerScope } from "../csp/worker";
import { forbidReuse } from "../proxy/cache";

export { renderBanner, BANNER_ID, escapeHtml } from "./banner";
export { INLINE_BUFFER_LIMIT } from "./scripts";

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
  /** Overrides the policy's `markup` (the MARKUP_MODE var). */
  markupMode?: MarkupMode;
  /** The URL the visitor asked for (relative Link and Refresh targets resolve against it). */
  pageUrl?: string;
  /**
   * The request's `Sec-Fetch-Dest` (null: the request had none): a response that may become a
   * worker's global scope gets the CSP too (csp/worker.ts). Undefined: the caller does not say
   * (an app's own responses), and no response is treated as a worker's.
   */
  secFetchDest?: string | null;
}

/** The CSP mode in force for a response; a tenant in report-only mode never enforces one. */
export function cspModeOf(opts: Pick<RewriteOptions, "policy" | "cspMode">): CspMode {
  const mode = opts.cspMode ?? opts.policy.csp ?? "enforce";
  return mode === "enforce" && opts.policy.mode === "report-only" ? "report-only" : mode;
}

/** True for text/html and application/xhtml+xml, whatever the parameters (RFC 9110 § 8.3.1). */
export function isHtmlContentType(contentType: string | null): boolean {
  return contentType !== null && classifyContentType(contentType).kind === "html";
}

const DEFAULT_PAGE = "https://same-origin.invalid/";

/** Nothing denied and no banner due (full consent): rewriteHtml gives every response back as it came. */
export function leavesAlone(policy: CompiledPolicy, consent: Consent, banner: boolean): boolean {
  return !banner && denialFor(preparePolicy(policy), consent).empty;
}

export async function rewriteHtml(res: Response, opts: RewriteOptions): Promise<Response> {
  if (!res.body) return res;
  // Report-only rollout (the policy's `mode`): the page goes out as the origin wrote it (no
  // blocking, no banner); the CSP, as Content-Security-Policy-Report-Only, has browsers report what it would block.
  if (opts.policy.mode === "report-only") return isHtmlContentType(res.headers.get("content-type")) ? withCspOnly(res, opts) : res;
  const type = classifyContentType(res.headers.get("content-type"));
  // Not a document (JSON, images, scripts…): only a worker's script and reporting headers matter.
  if (type.kind === "other") return rewriteOther(res, opts, type.normalised);
  if (leavesAlone(opts.policy, opts.consent, opts.banner)) return res;
  const prepared = preparePolicy(opts.policy);
  const denial = denialFor(prepared, opts.consent);

  // `res` is never modified: its headers may be the origin's own, which are immutable.
  const headers = new Headers(res.headers);
  const pageUrl = opts.pageUrl ?? DEFAULT_PAGE;
  const selfHost = new URL(pageUrl).hostname;
  const allow = hostAllowList(opts.policy, opts.consent, selfHost);
  if (!denial.empty) {
    cleanHeaderVectors(headers, { pageUrl, allow, blocked: (u) => matchUrl(u, denial.blockers) });
    if (hasReportingHeaders(headers)) cleanReportingHeaders(headers, { pageUrl, allow });
  }
  const charset = type.kind === "html" ? charsetPlan(type.charset) : undefined;
  if (type.kind !== "html" || charset?.kind === "replacement") return inert(res, headers, type.kind === "html" ? { kind: "sniff" } : type);

  const coding = codingPlan(res.headers.get("content-encoding"));
  const target = opts.banner ? bannerTarget(pageUrl) : undefined;
  const banner = () => (opts.banner ? bannerBytes(opts.policy, opts.lang, opts.returnPath, target) : undefined);
  // Declared markup, enforced CSP: the browser does the blocking, nothing is parsed (./unparsed.ts).
  if (!denial.empty && passesUnparsed(opts.markupMode ?? opts.policy.markup, cspModeOf(opts)) && fitsUnparsed({ charset: charset!, coding }, opts.banner)) {
    addCsp(headers, opts);
    return unparsedPage(res, headers, charset!, banner());
  }
  // A page longer than the parse limit (PARSE_LIMIT, BANNER_PARSE_LIMIT when the banner is due)
  // passes unparsed where the enforced CSP (or nothing denied) leaves nothing to the rewriter but
  // inline markers: its banner after it when one can follow.
  const bounded = denial.empty || cspModeOf(opts) === "enforce";
  const limit = parseLimit(opts.banner);
  const length = declaredLength(res.headers);
  if (bounded && length !== undefined && length > limit) {
    addCsp(headers, opts);
    return unparsedPage(res, headers, charset!, fitsUnparsed({ charset: charset!, coding }, true) ? banner() : undefined);
  }
  if (coding.kind === "undecodable") return undecodable(headers, coding.coding, opts);
  if (coding.kind === "decode") headers.delete("content-encoding");
  headers.delete("content-length");
  headers.set("content-type", charset!.kind === "label" ? `text/html; charset=${charset!.encoding}` : charset!.kind === "transcode" ? "text/html; charset=utf-8" : "text/html");
  headers.set("x-content-type-options", "nosniff");
  if (!denial.empty) addCsp(headers, opts);

  const rewriter = new HTMLRewriter();
  const flushAtEnd: Array<() => string> = [];
  if (!denial.empty) {
    const full = cspModeOf(opts) !== "enforce";
    // The full coverage looks at every element (no budget there); the enforced CSP's handlers at few.
    const ctx: BlockingContext = { p: prepared, d: denial, full, selfHost, allow, flushAtEnd, budget: full ? undefined : { left: ELEMENT_BUDGET } };
    // The element-wide pass first, so that the script handler sees the attributes it left.
    if (full) addFullCoverage(rewriter, ctx);
    else addHintsAndRefresh(rewriter, ctx);
    addScripts(rewriter, ctx);
  }
  const bannerHtml = opts.banner ? renderBanner(opts.policy, opts.lang, opts.returnPath, target) : undefined;
  const placed = bannerHtml !== undefined ? addBanner(rewriter, bannerHtml, flushAtEnd) : undefined;
  if (flushAtEnd.length) {
    rewriter.onDocument({
      end(end) {
        const tail = flushAtEnd.map((f) => f()).join("");
        if (tail) end.append(tail, { html: true });
      },
    });
  }

  // One Response: the Content-Type set above names the label the rewriter reads with (rewriterLabel).
  // Of unknown length (chunked, or a coding the runtime undid), the page is counted before it is parsed.
  const input = await rewriterInput(res.body, coding, charset!, bounded && length === undefined ? limit : Infinity);
  if (input.kind === "too-long") return unparsedPage(res, headers, charset!, input.asIs && fitsUnparsed({ charset: charset!, coding }, true) ? banner() : undefined, input.stream);
  const out = rewriter.transform(new Response(input.stream, { status: res.status, statusText: res.statusText, headers }));
  if (!placed || !out.body) return out;
  return new Response(withBannerOnFailure(out.body, placed), { status: out.status, statusText: out.statusText, headers: out.headers });
}

/**
 * A response that is not a document (JSON, images, scripts…). One that may become a worker's global
 * scope (csp/worker.ts) gets the consent-derived CSP, since a worker takes its policy from its own
 * script's response, and is never stored (`private, no-store`): a copy cached under one consent
 * would start a worker under another. Reporting headers (Report-To, NEL…) naming a host the
 * visitor did not consent to are removed. Everything else passes as it came (one copy of the
 * headers when a Content-Type must be normalised).
 */
export function rewriteOther(res: Response, opts: RewriteOptions, normalised?: string): Response {
  if (opts.policy.mode === "report-only") return res;
  const worker = opts.secFetchDest !== undefined && becomesWorkerScope(opts.secFetchDest, res.headers.get("content-type"));
  const denied = !leavesAlone(opts.policy, opts.consent, false);
  const reporting = denied && hasReportingHeaders(res.headers);
  if (!worker && !reporting && !normalised) return res;
  const headers = new Headers(res.headers);
  if (normalised) {
    headers.set("content-type", normalised);
    headers.set("x-content-type-options", "nosniff");
  }
  if (reporting) {
    const pageUrl = opts.pageUrl ?? DEFAULT_PAGE;
    cleanReportingHeaders(headers, { pageUrl, allow: hostAllowList(opts.policy, opts.consent, new URL(pageUrl).hostname) });
  }
  if (worker) {
    if (denied) addCsp(headers, opts);
    forbidReuse(headers);
  }
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/** `res` through `rewriter`, decoded first, for any app's body (not read natively: see `rewriterInput`). */
function transformed(res: Response, headers: Headers, rewriter: HTMLRewriter, coding: CodingPlan, charset: CharsetPlan): Response {
  const label = rewriterLabel(charset);
  const input = decodedLazily(res.body!, coding, charset);
  const out = rewriter.transform(new Response(input, { headers: { "content-type": label ? `text/html; charset=${label}` : "text/html" } }));
  return new Response(out.body, { status: res.status, statusText: res.statusText, headers });
}

/** A document the rewriter cannot read, sent so that nothing in it runs (INERT_CSP, nosniff; a sniffed type becomes text/plain). */
function inert(res: Response, headers: Headers, type: DocumentType): Response {
  headers.set("x-content-type-options", "nosniff");
  if (type.kind === "sniff") headers.set("content-type", "text/plain");
  else if (type.normalised) headers.set("content-type", type.normalised);
  headers.append("content-security-policy", INERT_CSP);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/** A page in a Content-Encoding that cannot be decoded here: not sent (its cookies, already decided, are). */
function undecodable(headers: Headers, coding: string, opts: Pick<RewriteOptions, "policy" | "lang">): Response {
  const page = errorPage(502, "errorEncoding", { lang: opts.lang, ui: opts.policy.uiStrings(opts.lang) }, { encoding: coding.slice(0, 40) });
  for (const line of headers.getSetCookie()) page.headers.append("set-cookie", line);
  return page;
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
  if (!res.body) return res;
  const type = classifyContentType(res.headers.get("content-type"));
  const charset = type.kind === "html" ? charsetPlan(type.charset) : undefined;
  const coding = codingPlan(res.headers.get("content-encoding"));
  // Only pages the rewriter can read get a banner; anything else passes as it is.
  if (!charset || charset.kind === "replacement" || coding.kind === "undecodable") return res;
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  if (coding.kind === "decode") headers.delete("content-encoding");
  const rewriter = new HTMLRewriter();
  const flushAtEnd: Array<() => string> = [];
  addBanner(rewriter, renderBanner(opts.policy, opts.lang, opts.returnPath, { formId: newFormId() }), flushAtEnd);
  rewriter.onDocument({
    end(end) {
      const tail = flushAtEnd.map((f) => f()).join("");
      if (tail) end.append(tail, { html: true });
    },
  });
  return transformed(res, headers, rewriter, coding, charset);
}

function withCspOnly(res: Response, opts: RewriteOptions): Response {
  const headers = new Headers(res.headers);
  if (!addCsp(headers, opts)) return res;
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/** Where the banner's form posts: the page's own origin, absolutely (no `<base>` can redirect it), under a fresh form id. */
function bannerTarget(pageUrl: string): BannerTarget {
  return { formId: newFormId(), origin: pageUrl === DEFAULT_PAGE ? undefined : new URL(pageUrl).origin };
}

/** Whether the banner has been written, and what to append should the rewriter give up on the page. */
interface BannerPlacement {
  written: boolean;
  frameset: boolean;
  html: string;
}

/**
 * The banner goes after the end of the document, not before `</body>`: an HTML parser puts
 * content after `</html>` into the body (HTML § 13.2.6.4.22–23, "after after body": the token
 * is reprocessed "in body"), so the browser shows it at the end of the body all the same,
 * and the rewriter needs no `body` handler (an element handler with an end-tag callback costs
 * the page more the longer it is). Pages without `</body>` or `</html>` end the same way.
 * Whatever the page left open, the banner's markup starts with BANNER_RESET (./banner.ts),
 * which leaves it. Two cases no markup can leave: a `<plaintext>` (everything after its start
 * tag is text), before which the banner is written instead; and a frameset document, which
 * ignores content after its end: it shows no banner (each of its frames is a page of its own,
 * with its banner, and /cookies stays one link away). XHTML is served as HTML by the rewriter
 * (./document.ts), so the same holds.
 */
function addBanner(rewriter: HTMLRewriter, html: string, flushAtEnd: Array<() => string>): BannerPlacement {
  const placement: BannerPlacement = { written: false, frameset: false, html };
  // Markup after a frameset document's end would also make the streaming parser stop the
  // response (a `<style>` there is ambiguous to it): such a page gets nothing. No page has more
  // than one frameset or plaintext worth matching, so these selectors cost nothing per element.
  rewriter.on("frameset", {
    element() {
      placement.frameset = true;
    },
  });
  rewriter.on("plaintext", {
    element(el) {
      if (placement.written || placement.frameset) return;
      el.before(html, { html: true });
      placement.written = true;
    },
  });
  flushAtEnd.push(() => {
    if (placement.written || placement.frameset) return "";
    placement.written = true;
    return html;
  });
  return placement;
}

/**
 * The rewriter's output, and the banner after it should the rewriter give up on the page: lol-html
 * stops with an error on markup whose text type it cannot tell without building the tree (a
 * `<style>` inside a `<select>`: "Parser error: … ambiguous …"). The page then ends there (what follows was not
 * read: fail closed), cleanly, with BANNER_RESET and the banner, so that a visitor can always
 * choose. Only pages that show the banner are read through this, in JavaScript, in pieces
 * (workerd's `readAtLeast`). Each read costs the parse more the less it brings (the rewriter gives
 * out chunks of about 4 KB), so the pieces are large: the first at least FIRST_PIECE (the page's
 * head, with its stylesheets and scripts, leaves early), the others at least OUTPUT_PIECE. Such a
 * page is at most BANNER_PARSE_LIMIT (384 KiB) long: past its head it leaves in one or two pieces.
 * Measured (docs/benchmarks.md), CPU per MB of page: a read per chunk 17 ms, pieces of 16 KiB
 * 9–13, of 64 KiB 5.8–8.2, of 256 KiB 4.9–5.4, as much as a worker that does only the unavoidable
 * part of the job (bench/floor-scan.mjs: 4.6–5.4; the empty rewriter 3.6–4.2); writing the pieces
 * into an IdentityTransformStream instead gained nothing, per MB or on a 10 KB page. The price: the
 * page after its head goes out in those pieces (a shorter rest, at its end), and on a failure the
 * piece under way is lost with it (test/rewrite/parser-gives-up.test.ts).
 */
/** lol-html's message for markup it cannot tell raw text from (measured in workerd 1.20261023). */
const AMBIGUITY = /Parser error: .*ambiguous/;
/** The least the first read of the rewriter's output brings (but at the page's end), and the least of the others. */
const FIRST_PIECE = 16 * 1024;
const OUTPUT_PIECE = 256 * 1024;
/** What a read may bring beyond its least: its buffer is that much longer. */
const READ_ROOM = 64 * 1024;

function withBannerOnFailure(body: ReadableStream<Uint8Array>, placement: BannerPlacement): ReadableStream<Uint8Array> {
  const reader = body.getReader({ mode: "byob" });
  let least = FIRST_PIECE;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.readAtLeast(least, new Uint8Array(least + READ_ROOM));
        least = OUTPUT_PIECE;
        if (value && value.byteLength) controller.enqueue(value);
        if (done) controller.close();
      } catch (err) {
        // Anything else (the origin's body failed, the element budget ran out) still breaks the page.
        if (!AMBIGUITY.test(String(err))) throw err;
        if (!placement.written && !placement.frameset) controller.enqueue(asciiHtml(placement.html));
        placement.written = true;
        controller.close();
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
