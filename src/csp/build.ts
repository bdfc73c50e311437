/**
 * The Content-Security-Policy (CSP Level 3) derived from a tenant policy and the visitor's
 * consent. Pure; no I/O. Each header value is built once per (policy, consent state, report
 * flag, scheme) and kept for the isolate's life, so the hot path costs a Map lookup.
 *
 * CSP is an allow-list: every fetch directive allows the page's own origin ('self'), the
 * policy's `necessarySources` (what the portal needs whatever the visitor chose), and the
 * `block.hosts` of the services the visitor consented to (necessary services always). A
 * host nobody declared is refused too: that is what makes it fail closed. Inline scripts,
 * styles and handlers stay allowed ('unsafe-inline', and 'unsafe-eval' for template engines):
 * whatever they run, they can only reach the allowed hosts. Form submissions are governed by
 * `form-action` (which `default-src` does not cover), given the same sources. Other navigations
 * are not fetches and no directive Chromium enforces governs them (the rewriter handles meta
 * refresh; the proxy the Refresh header). A worker takes its policy from its own script's
 * response, not from the page: the proxy sends the same policy on those (./worker.ts).
 */
import type { Consent } from "../consent/types";
import { isServiceAllowed } from "../cookies/decide";
import type { CompiledPolicy, CspMode, SourceDirective } from "../policy/types";

/** Where the worker takes violation reports; served by the worker, never proxied. */
export const CSP_REPORT_PATH = "/.consent-edge/csp-report";
/** The Reporting API endpoint name (`report-to`, `Reporting-Endpoints`). */
export const CSP_REPORT_GROUP = "consent-edge";
/** The share of document responses that ask for reports, unless the policy or CSP_REPORT_SAMPLE says otherwise. */
export const DEFAULT_REPORT_SAMPLE = 0.02;

/**
 * For responses a browser may render as a document that the rewriter does not read (XML, SVG,
 * a type the browser would sniff): nothing runs, nothing is fetched but same-origin images
 * and inline styles. A response used as an image or fetched by a script is not a document:
 * its CSP does not apply, so SVG icons and XML APIs keep working.
 */
export const INERT_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

export interface CspOptions {
  /** Add report-uri / report-to (the caller samples). */
  report: boolean;
  /** The page is served over https: only then can report-to name a (secure) endpoint. */
  secure: boolean;
}

export interface CspHeader {
  name: "content-security-policy" | "content-security-policy-report-only";
  value: string;
}

/** The header a mode sends its policy under; undefined for "off". */
export function cspHeaderName(mode: CspMode): CspHeader["name"] | undefined {
  if (mode === "enforce") return "content-security-policy";
  if (mode === "report-only") return "content-security-policy-report-only";
  return undefined;
}

interface PolicyCsp {
  /** Optional consent keys, in a fixed order: bit i of a consent state is keys[i]. */
  keys: readonly string[];
  values: Map<number, string>;
}

const cache = new WeakMap<CompiledPolicy, PolicyCsp>();

function policyCsp(policy: CompiledPolicy): PolicyCsp {
  let p = cache.get(policy);
  if (!p) {
    const keys = [...new Set(policy.services.filter((s) => s.category !== "necessary").map((s) => s.consentKey))].sort();
    p = { keys, values: new Map() };
    cache.set(policy, p);
  }
  return p;
}

/** The consent state as a small integer: which of the policy's optional keys are granted. */
function stateOf(p: PolicyCsp, consent: Consent): number {
  let state = 0;
  // 28 keys fit with the two option bits; a policy with more shares one entry per overflow, built the same way.
  for (let i = 0; i < p.keys.length && i < 28; i++) if (consent.granted.has(p.keys[i])) state |= 1 << i;
  return state;
}

/** The CSP value for this policy and consent (the caller chooses the header by mode). */
export function buildCsp(policy: CompiledPolicy, consent: Consent, options: CspOptions = { report: false, secure: false }): string {
  const p = policyCsp(policy);
  const key = (stateOf(p, consent) << 2) | (options.report ? 1 : 0) | (options.secure ? 2 : 0);
  let value = p.values.get(key);
  if (value === undefined || p.keys.length > 28) {
    value = render(allowedSources(policy, consent), scopedSources(policy), options);
    p.values.set(key, value);
  }
  return value;
}

/**
 * Host-sources of everything the visitor may load from, in every directive: the necessary sources
 * not limited to some directives, then each allowed service's hosts and their subdomains.
 */
export function allowedSources(policy: CompiledPolicy, consent: Consent): string[] {
  const sources = new Set<string>();
  for (const entry of policy.necessarySources ?? []) if (typeof entry === "string") sources.add(entry);
  for (const s of policy.services) {
    if (!isServiceAllowed(s, consent)) continue;
    for (const raw of s.block?.hosts ?? []) {
      const host = raw.trim().toLowerCase().replace(/^\*?\./, "");
      // Validated as host names already; checked again because this string becomes a header.
      if (/^[a-z0-9_.-]+$/.test(host)) {
        sources.add(host);
        sources.add(`*.${host}`);
      }
    }
  }
  return [...sources];
}

/** The necessary sources limited to some directives, by directive. */
function scopedSources(policy: CompiledPolicy): Map<SourceDirective, string[]> {
  const out = new Map<SourceDirective, string[]>();
  for (const entry of policy.necessarySources ?? []) {
    if (typeof entry === "string") continue;
    for (const d of entry.directives) out.set(d, [...(out.get(d) ?? []), entry.source]);
  }
  return out;
}

function render(sources: readonly string[], scoped: Map<SourceDirective, string[]>, options: CspOptions): string {
  const allowed = sources.length ? " " + sources.join(" ") : "";
  const list = (directive: SourceDirective | "default-src", ...extra: string[]) => {
    const own = directive === "default-src" ? undefined : scoped.get(directive);
    return `'self'${extra.length ? " " + extra.join(" ") : ""}${allowed}${own ? " " + own.join(" ") : ""}`;
  };
  const directives = [
    `default-src ${list("default-src")}`,
    `script-src ${list("script-src", "'unsafe-inline'", "'unsafe-eval'")}`,
    `style-src ${list("style-src", "'unsafe-inline'")}`,
    `img-src ${list("img-src", "data:", "blob:")}`,
    `font-src ${list("font-src", "data:")}`,
    `connect-src ${list("connect-src")}`,
    `media-src ${list("media-src", "data:", "blob:")}`,
    `frame-src ${list("frame-src")}`,
    `worker-src ${list("worker-src", "blob:")}`,
    `manifest-src ${list("manifest-src")}`,
    // Not a fetch directive: default-src does not cover it. A form may post only where a fetch may go.
    `form-action ${list("form-action")}`,
    "object-src 'none'",
    "base-uri 'self'",
  ];
  if (options.report) {
    directives.push(`report-uri ${CSP_REPORT_PATH}`);
    if (options.secure) directives.push(`report-to ${CSP_REPORT_GROUP}`);
  }
  return directives.join("; ");
}

/** The Reporting-Endpoints value that goes with a `report-to` (RFC 8941 dictionary). */
export const REPORTING_ENDPOINTS = `${CSP_REPORT_GROUP}="${CSP_REPORT_PATH}"`;

/** Whether this response asks for reports: `rate` of them, drawn with `random` (Math.random by default). */
export function sampleReport(rate: number, random: () => number = Math.random): boolean {
  if (!(rate > 0)) return false;
  return rate >= 1 || random() < rate;
}

/** The sampling rate for a tenant: the CSP_REPORT_SAMPLE var when it is a number 0–1, else the policy's, else the default. */
export function reportSample(policy: CompiledPolicy, override: string | undefined): number {
  if (override !== undefined && override.trim() !== "") {
    const n = Number(override);
    if (n >= 0 && n <= 1) return n;
  }
  return policy.cspReportSample ?? DEFAULT_REPORT_SAMPLE;
}
