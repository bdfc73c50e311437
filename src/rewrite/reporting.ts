/**
 * Reporting headers that would have the browser send reports (with page URLs) to a host the
 * visitor has not consented to: `Report-To` endpoints, `Reporting-Endpoints` entries, a `NEL`
 * policy whose group loses its endpoints, and `report-uri` URLs in the origin's own
 * `Content-Security-Policy(-Report-Only)`. Endpoints on the page's own origin or an allowed host
 * (csp/allow.ts) stay; the others are removed, and a value that cannot be read is dropped whole
 * (fail closed: a browser may read it some other way). Pure; edits a Headers.
 */
import type { HostAllowList } from "../csp/allow";
import { splitHeaderValues } from "./document";

const REPORTING = ["report-to", "reporting-endpoints", "nel", "content-security-policy", "content-security-policy-report-only"];

/** True when `headers` hold any header cleanReportingHeaders may edit (a few native lookups). */
export function hasReportingHeaders(headers: Headers): boolean {
  for (const name of REPORTING) if (headers.has(name)) return true;
  return false;
}

export interface ReportingContext {
  /** The page's URL: relative endpoints resolve against it. */
  pageUrl: string;
  allow: HostAllowList;
}

function allowedEndpoint(raw: string, ctx: ReportingContext): boolean {
  let url: URL;
  try {
    url = new URL(raw, ctx.pageUrl);
  } catch {
    return false;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return false;
  return url.origin === new URL(ctx.pageUrl).origin || ctx.allow.allows(url.hostname.replace(/\.$/, "").toLowerCase());
}

/** Removes every reporting endpoint outside the allow-list (see the module comment). */
export function cleanReportingHeaders(headers: Headers, ctx: ReportingContext): void {
  const groups = cleanReportTo(headers, ctx);
  cleanReportingEndpoints(headers, ctx);
  cleanNel(headers, groups);
  for (const name of ["content-security-policy", "content-security-policy-report-only"]) {
    const value = headers.get(name);
    if (value === null || !/report-uri/i.test(value)) continue;
    const cleaned = cleanCspReportUris(value, ctx);
    if (cleaned === value) continue;
    headers.delete(name);
    if (cleaned !== "") headers.set(name, cleaned);
  }
}

/** `Report-To` (a list of JSON objects): groups keep only allowed endpoints; returns the groups left. */
function cleanReportTo(headers: Headers, ctx: ReportingContext): Set<string> {
  const left = new Set<string>();
  const value = headers.get("report-to");
  if (value === null) return left;
  headers.delete("report-to");
  let groups: unknown;
  try {
    groups = JSON.parse(`[${value}]`);
  } catch {
    return left;
  }
  if (!Array.isArray(groups)) return left;
  const kept: string[] = [];
  for (const g of groups) {
    if (!g || typeof g !== "object" || !Array.isArray((g as { endpoints?: unknown }).endpoints)) continue;
    const endpoints = (g as { endpoints: unknown[] }).endpoints.filter(
      (e) => !!e && typeof e === "object" && typeof (e as { url?: unknown }).url === "string" && allowedEndpoint((e as { url: string }).url, ctx),
    );
    if (endpoints.length === 0) continue;
    const name = typeof (g as { group?: unknown }).group === "string" ? (g as { group: string }).group : "default";
    left.add(name);
    kept.push(JSON.stringify({ ...(g as object), endpoints }));
  }
  if (kept.length) headers.set("report-to", kept.join(", "));
  return left;
}

/** `Reporting-Endpoints` (RFC 8941 dictionary of strings): only allowed members stay. */
function cleanReportingEndpoints(headers: Headers, ctx: ReportingContext): void {
  const value = headers.get("reporting-endpoints");
  if (value === null) return;
  headers.delete("reporting-endpoints");
  const kept: string[] = [];
  for (const member of splitHeaderValues(value)) {
    const m = /^([a-z*][a-z0-9_.*-]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:;.*)?$/.exec(member);
    if (m && allowedEndpoint(m[2].replace(/\\(.)/g, "$1"), ctx)) kept.push(member);
  }
  if (kept.length) headers.set("reporting-endpoints", kept.join(", "));
}

/** `NEL` reports go to a `Report-To` group: the policy goes when its group did. */
function cleanNel(headers: Headers, groups: Set<string>): void {
  const value = headers.get("nel");
  if (value === null) return;
  let group: unknown;
  try {
    const policies: unknown = JSON.parse(`[${value}]`);
    group = Array.isArray(policies) && policies.length === 1 ? (policies[0] as { report_to?: unknown })?.report_to : undefined;
  } catch {
    group = undefined;
  }
  if (typeof group !== "string" || !groups.has(group)) headers.delete("nel");
}

/**
 * A CSP header value (policies separated by commas, directives by semicolons) without the
 * `report-uri` URLs outside the allow-list; a `report-uri` left with none is removed. `report-to`
 * names a group, whose endpoint the Reporting headers above decide.
 */
export function cleanCspReportUris(value: string, ctx: ReportingContext): string {
  const policies = value.split(",").map((policy) =>
    policy
      .split(";")
      .map((directive) => {
        const tokens = directive.trim().split(/[\t\n\f\r ]+/);
        if (tokens[0].toLowerCase() !== "report-uri") return directive;
        const urls = tokens.slice(1).filter((u) => allowedEndpoint(u, ctx));
        return urls.length ? ` report-uri ${urls.join(" ")}` : null;
      })
      .filter((d): d is string => d !== null)
      .join(";")
      .trim(),
  );
  return policies.filter((p) => p !== "").join(", ");
}
