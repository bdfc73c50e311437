/**
 * Response headers that make a browser fetch or navigate by themselves, which a CSP does not
 * (fully) govern: `Link` resource hints (preconnect and dns-prefetch ignore CSP), `Refresh`
 * (a navigation), `Speculation-Rules` (prefetch and prerender lists). Pure; edits a Headers.
 */
import type { HostAllowList } from "../csp/allow";
import { splitHeaderValues } from "./document";

/** Link relations that make the browser fetch or connect (HTML § 4.6.7; Firefox also applies stylesheet). */
const FETCHING_RELS = new Set([
  "preload", "prefetch", "preconnect", "dns-prefetch", "modulepreload", "prerender", "stylesheet", "icon",
  "manifest", "next", "compression-dictionary", "expect",
]);

export interface HeaderVectorContext {
  /** The page's URL: relative targets resolve against it. */
  pageUrl: string;
  allow: HostAllowList;
  /** The denied service a URL belongs to (host or first-party marker), if any. */
  blocked(rawUrl: string): string | undefined;
}

/** Drops Link values to hosts outside the allow-list, a Refresh to a denied service, and Speculation-Rules. */
export function cleanHeaderVectors(headers: Headers, ctx: HeaderVectorContext): void {
  const link = headers.get("link");
  if (link !== null) {
    const kept = splitLinks(link).filter((value) => keepLink(value, ctx));
    headers.delete("link");
    for (const value of kept) headers.append("link", value);
  }
  const refresh = headers.get("refresh");
  if (refresh !== null) {
    const target = refreshTarget(refresh);
    if (target === null || ctx.blocked(target)) headers.delete("refresh");
  }
  headers.delete("speculation-rules");
}

/** Splits a Link header on commas outside `<…>` and quotes (RFC 8288 § 3). */
export function splitLinks(value: string): string[] {
  const out: string[] = [];
  let current = "";
  let inUri = false;
  let quoted = false;
  for (const ch of value) {
    if (!quoted && ch === "<") inUri = true;
    else if (!quoted && ch === ">") inUri = false;
    else if (!inUri && ch === '"') quoted = !quoted;
    if (ch === "," && !inUri && !quoted) {
      if (current.trim()) out.push(current.trim());
      current = "";
    } else current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function keepLink(value: string, ctx: HeaderVectorContext): boolean {
  const m = /^<([^>]*)>(.*)$/s.exec(value);
  if (!m) return false; // not a link-value: the browser may read it some other way
  const rels: string[] = [];
  for (const param of splitHeaderValues(m[2].replace(/;/g, ","))) {
    const p = /^rel\s*=\s*(?:"([^"]*)"|([^\s;,]*))/i.exec(param.trim());
    if (p) rels.push(...(p[1] ?? p[2]).toLowerCase().split(/\s+/));
  }
  if (!rels.some((r) => FETCHING_RELS.has(r))) return true;
  let url: URL;
  try {
    url = new URL(m[1].trim(), ctx.pageUrl);
  } catch {
    return false;
  }
  if (ctx.blocked(url.href)) return false;
  const host = url.hostname.replace(/\.$/, "");
  return url.origin === new URL(ctx.pageUrl).origin || ctx.allow.allows(host);
}

/** The URL of a Refresh value (HTML § 7.11.1 shared declarative refresh steps); "" for none; null when unreadable. */
export function refreshTarget(value: string): string | null {
  const m = /^[\t\n\f\r ]*[0-9]*(?:\.[0-9.]*)?(.*)$/s.exec(value);
  if (!m) return null;
  let rest = m[1];
  if (rest === "") return "";
  if (!/^[\t\n\f\r ;,]/.test(rest)) return null;
  rest = rest.replace(/^[\t\n\f\r ]*[;,]?[\t\n\f\r ]*/, "");
  const url = /^url[\t\n\f\r ]*=[\t\n\f\r ]*/i.exec(rest);
  if (url) rest = rest.slice(url[0].length);
  const q = rest[0];
  if (q === '"' || q === "'") {
    const end = rest.indexOf(q, 1);
    rest = end === -1 ? rest.slice(1) : rest.slice(1, end);
  }
  return rest.trim();
}
