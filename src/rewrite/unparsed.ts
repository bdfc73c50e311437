/**
 * Pages that pass unparsed: the tenant declared (`markup: "csp-only"`) that its own markup
 * carries nothing a CSP cannot stop, and the consent-derived CSP is enforced, so the browser
 * does all the blocking. The body streams natively (no JavaScript per chunk); when the banner
 * is due it is written after the document's end, where an HTML parser still puts it into the
 * body (as the parsing path does, ./index.ts `addBanner`). Where appending cannot be done safely
 * (a body the runtime has not decoded, text the rewriter would transcode) the caller parses the
 * page as usual.
 */
import type { CspMode, MarkupMode } from "../policy/types";
import type { CodingPlan } from "./decode-body";
import type { CharsetPlan } from "./document";

/** True when pages of visitors without full consent are not parsed: declared, and the CSP enforced. */
export function passesUnparsed(markup: MarkupMode | undefined, csp: CspMode): boolean {
  return markup === "csp-only" && csp === "enforce";
}

/**
 * Whether a page can pass unparsed. Without a banner every page can, in any coding (the browser
 * decodes what it was sent, and nothing here reads it). The banner cannot be appended to a body
 * still in a coding the runtime did not undo (bytes added to it would corrupt it) nor to text
 * the parsing path would transcode (not ASCII-compatible): such pages are parsed as usual.
 */
export function fitsUnparsed(plans: { charset: CharsetPlan; coding: CodingPlan }, banner: boolean): boolean {
  return !banner || (plans.coding.kind === "plain" && plans.charset.kind !== "transcode");
}

/**
 * Pages longer than this (decoded bytes) are not parsed where the rewriter would only look for
 * inline markers (an enforced CSP) or the banner's place (nothing denied): they pass as csp-only
 * pages do, the banner after them when it can follow. Parsing costs about 5 ms of CPU per MB here
 * (an empty HTMLRewriter 4; docs/benchmarks.md), and the Workers Free plan ends a request at 10 ms.
 */
export const PARSE_LIMIT = 1024 * 1024;

/**
 * The same bound for a page that gets the banner: its output is read in JavaScript (./index.ts
 * `withBannerOnFailure`, so that a page the parser gives up on still ends with the banner), which
 * cost about 17 ms of CPU per MB here when read chunk by chunk (a 1 MiB page took 18 ms, past the
 * Free plan's 10 ms) and about 5 in pieces of 256 KiB, against the empty rewriter's 4. A 300 KB
 * page with the banner takes about 2.5 ms (docs/benchmarks.md), so 384 KiB stays near 3, with
 * room for a loaded machine; longer ones pass as csp-only pages do, the banner after them.
 */
export const BANNER_PARSE_LIMIT = 384 * 1024;

/** The bound that applies to a page: BANNER_PARSE_LIMIT when the banner is due, PARSE_LIMIT otherwise. */
export function parseLimit(banner: boolean): number {
  return banner ? BANNER_PARSE_LIMIT : PARSE_LIMIT;
}

/** The body's length as the origin declared it, where the body arrives as sent (no Content-Encoding); otherwise unknown. */
export function declaredLength(headers: Headers): number | undefined {
  if (headers.has("content-encoding")) return undefined;
  const raw = headers.get("content-length");
  return raw !== null && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}

/**
 * The page as it came (`body`, by default the response's own), served as HTML with nosniff (as
 * the parsing path serves it), then `banner` if given, in a new Response with `headers`.
 */
export function unparsedPage(res: Response, headers: Headers, charset: CharsetPlan, banner: Uint8Array | undefined, body: ReadableStream<Uint8Array> = res.body!): Response {
  if (banner) {
    body = appended(body, banner);
    headers.delete("content-length");
  }
  headers.set("content-type", charset.kind === "label" || charset.kind === "transcode" ? `text/html; charset=${charset.encoding}` : "text/html");
  headers.set("x-content-type-options", "nosniff");
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

/**
 * `body` and then `tail`, pumped by the runtime: the origin's internal stream is piped natively
 * into an IdentityTransformStream (no JavaScript per chunk), which then gets the tail. A failed
 * body aborts the pipe's destination, so the visitor's stream errors and no tail follows a broken
 * page; a visitor who goes away cancels the origin's stream.
 */
function appended(body: ReadableStream<Uint8Array>, tail: Uint8Array): ReadableStream<Uint8Array> {
  const { readable, writable } = new IdentityTransformStream();
  body
    .pipeTo(writable, { preventClose: true })
    .then(async () => {
      const writer = writable.getWriter();
      await writer.write(tail);
      await writer.close();
    })
    // The pipe failed (and errored the visitor's stream already), or the visitor went away.
    .catch(() => {});
  return readable;
}
