/**
 * No response made for one consent state is reused for another (docs/caching.md). Pure; no I/O.
 *
 * A response whose body or headers depend on the visitor's consent (an HTML or other document,
 * whose scripts are blocked or left live by the consent, with the banner and the CSP that go
 * with it; any response whose Set-Cookie lines the worker stripped or added) is sent
 * `Cache-Control: private, no-store` (RFC 9111 §5.2.2.5, §5.2.2.7) without validators: no shared
 * cache stores it, and the browser neither reuses it by link, reload or history nor revalidates
 * it into a 304 for a later consent state. Conditional headers of document requests are not
 * forwarded, so an entry cached before (with the origin's validators) is never revived by a 304.
 * Every other response keeps the origin's caching headers.
 */
import { classifyContentType } from "../rewrite/document";

/** Headers that let a cache store or revalidate a response. */
const REUSE_HEADERS = ["etag", "last-modified", "expires", "cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control", "age"];

/** Marks headers (mutable) as those of a consent-dependent response. */
export function forbidReuse(headers: Headers): void {
  headers.set("cache-control", "private, no-store");
  for (const name of REUSE_HEADERS) headers.delete(name);
}

/** Headers already `no-store`: nothing stores the response, by any cache. */
export function isNoStore(headers: Headers): boolean {
  const value = headers.get("cache-control");
  return value !== null && /\bno-store\b/i.test(value);
}

/**
 * A response the visitor's consent decides (a document: scripts blocked or live, banner, CSP) and
 * that has content (a body, or the answer to a HEAD): never to be reused for another consent state.
 * A 304 carries no content. A tenant in report-only mode is the caller's to exclude.
 */
export function isConsentDependentDocument(status: number, contentType: string | null, hasBody: boolean, method: string): boolean {
  return status !== 304 && (hasBody || method === "HEAD") && classifyContentType(contentType).kind !== "other";
}

/**
 * `res` with its caching headers replaced by `forbidReuse` (one copy when its headers are
 * immutable); as it is when it is already `no-store` (nothing stores it, by any cache).
 */
export function withoutReuse(res: Response): Response {
  if (isNoStore(res.headers)) return res;
  try {
    forbidReuse(res.headers);
    return res;
  } catch {
    const out = new Response(res.body, res);
    forbidReuse(out.headers);
    return out;
  }
}

const DOCUMENT_DESTS = new Set(["document", "iframe", "frame", "embed", "object"]);

/**
 * A request for a document: `Sec-Fetch-Dest` names one (https), or, without Fetch Metadata
 * (plain http), the browser accepts HTML.
 */
export function isDocumentRequest(headers: Headers): boolean {
  const dest = headers.get("sec-fetch-dest");
  if (dest !== null) return DOCUMENT_DESTS.has(dest.trim().toLowerCase());
  const accept = headers.get("accept");
  return accept !== null && /\btext\/html\b|\bapplication\/xhtml\+xml\b/i.test(accept);
}

/** Drops the validators of a conditional request (mutable headers): the origin answers in full. */
export function dropConditionals(headers: Headers): void {
  headers.delete("if-none-match");
  headers.delete("if-modified-since");
  headers.delete("if-match");
  headers.delete("if-unmodified-since");
  headers.delete("if-range");
}
