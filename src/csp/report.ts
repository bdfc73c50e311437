/**
 * Reads CSP violation reports as browsers send them into plain values an operator can count:
 * which directive refused which host on which page. Pure; no I/O. Nothing about the visitor
 * is kept: the blocked URL is cut to its host, the page to its path (queries may carry
 * personal data), and samples, referrers and user agents are dropped.
 *
 * Two formats: `application/csp-report` (CSP Level 2 `report-uri`: `{"csp-report": {…}}`,
 * hyphenated keys) and `application/reports+json` (Reporting API `report-to`: an array of
 * `{type: "csp-violation", body: {…}}`, camelCase keys); other report types are skipped.
 */

export interface CspViolation {
  /** The directive that refused the load (`script-src-elem`, `img-src`…); "unknown" when unreadable. */
  directive: string;
  /** The refused host (`www.google-analytics.com`), or a keyword: `inline`, `eval`, `data`, `blob`…; "unknown" otherwise. */
  blockedHost: string;
  /** The page's path, without query or fragment; "" when unreadable. */
  path: string;
  /** `enforce` (the load was refused) or `report` (report-only: it happened). */
  disposition: "enforce" | "report";
}

export type ReportFormat = "csp-report" | "reports+json";

export type ParseResult = { ok: true; violations: CspViolation[]; skipped: number } | { ok: false; reason: string };

/** At most this many violations are read from one request; the rest are counted as skipped. */
export const MAX_VIOLATIONS_PER_REQUEST = 20;

/** The report format a Content-Type names; undefined for anything else. */
export function reportFormat(contentType: string | null): ReportFormat | undefined {
  const essence = (contentType ?? "").split(";", 1)[0].trim().toLowerCase();
  if (essence === "application/csp-report" || essence === "application/json") return "csp-report";
  if (essence === "application/reports+json") return "reports+json";
  return undefined;
}

/** Parses a report body already known to be within the size bound. */
export function parseCspReports(format: ReportFormat, text: string): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, reason: "the body is not JSON" };
  }
  if (format === "csp-report") {
    const body = isRecord(data) ? data["csp-report"] : undefined;
    if (!isRecord(body)) return { ok: false, reason: 'expected {"csp-report": {…}}' };
    return {
      ok: true,
      skipped: 0,
      violations: [violation(body["effective-directive"] ?? body["violated-directive"], body["blocked-uri"], body["document-uri"], body.disposition)],
    };
  }
  if (!Array.isArray(data)) return { ok: false, reason: "expected an array of reports" };
  const violations: CspViolation[] = [];
  let skipped = 0;
  for (const report of data) {
    if (!isRecord(report) || report.type !== "csp-violation" || !isRecord(report.body)) {
      skipped++;
      continue;
    }
    if (violations.length >= MAX_VIOLATIONS_PER_REQUEST) {
      skipped++;
      continue;
    }
    const b = report.body;
    violations.push(violation(b.effectiveDirective, b.blockedURL, b.documentURL ?? report.url, b.disposition));
  }
  if (violations.length === 0 && data.length > 0) return { ok: false, reason: "no csp-violation report in the batch" };
  return { ok: true, violations, skipped };
}

const KEYWORDS = new Set(["inline", "eval", "wasm-eval", "data", "blob", "self", "trusted-types-policy", "trusted-types-sink"]);

function violation(directive: unknown, blocked: unknown, documentUrl: unknown, disposition: unknown): CspViolation {
  return {
    directive: directiveOf(directive),
    blockedHost: hostOf(blocked),
    path: pathOf(documentUrl),
    disposition: disposition === "report" ? "report" : "enforce",
  };
}

function directiveOf(v: unknown): string {
  if (typeof v !== "string") return "unknown";
  const name = v.trim().split(/\s/, 1)[0].toLowerCase();
  return /^[a-z-]{1,40}$/.test(name) ? name : "unknown";
}

function hostOf(v: unknown): string {
  if (typeof v !== "string" || v === "") return "unknown";
  const word = v.trim().toLowerCase().replace(/:$/, "");
  if (KEYWORDS.has(word)) return word;
  try {
    const url = new URL(v);
    if (url.hostname) return url.hostname.slice(0, 253);
    // data:, blob: and other schemes without a host: the scheme is all an operator needs.
    const scheme = url.protocol.slice(0, -1);
    return /^[a-z][a-z0-9+.-]{0,30}$/.test(scheme) ? scheme : "unknown";
  } catch {
    return "unknown";
  }
}

function pathOf(v: unknown): string {
  if (typeof v !== "string") return "";
  try {
    return new URL(v).pathname.slice(0, 300);
  } catch {
    return "";
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
