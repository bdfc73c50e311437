/**
 * The worker's CSP report endpoint (`/.consent-edge/csp-report`): takes the reports browsers
 * send, logs one structured record per violation, and answers 204. Bounded so that reports
 * cannot multiply the load: a body-size limit, and a per-tenant request budget per isolate and
 * time window; anything else gets a clear 4xx. No Hono here; the route is a one-line wrapper.
 */
import { MAX_VIOLATIONS_PER_REQUEST, parseCspReports, reportFormat, type CspViolation } from "./report";

/** Largest report body read (a Reporting API batch of 20 reports fits). */
export const MAX_REPORT_BYTES = 32 * 1024;
/** Requests accepted per tenant in one window, per isolate. */
export const REPORT_BUDGET = 100;
export const REPORT_WINDOW_MS = 10_000;

export interface ViolationRecord extends CspViolation {
  msg: "consent-edge: csp violation";
  tenant: string;
}

export interface ReportOptions {
  tenant: string;
  /** Receives one record per violation (the worker logs it as JSON). */
  log: (record: ViolationRecord) => void;
  /** ms since epoch; Date.now() by default. */
  now?: number;
}

const windows = new Map<string, { start: number; count: number }>();

function overBudget(tenant: string, now: number): boolean {
  let w = windows.get(tenant);
  if (!w || now - w.start >= REPORT_WINDOW_MS || now < w.start) {
    w = { start: now, count: 0 };
    windows.set(tenant, w);
  }
  w.count++;
  return w.count > REPORT_BUDGET;
}

function answer(status: number, text?: string, headers: Record<string, string> = {}): Response {
  return new Response(text === undefined ? null : text + "\n", {
    status,
    headers: { "cache-control": "no-store", "x-content-type-options": "nosniff", ...(text === undefined ? {} : { "content-type": "text/plain; charset=utf-8" }), ...headers },
  });
}

export async function handleCspReport(request: Request, options: ReportOptions): Promise<Response> {
  if (request.method !== "POST") return answer(405, "CSP reports are POSTed here.", { allow: "POST" });
  const format = reportFormat(request.headers.get("content-type"));
  if (!format) return answer(415, "Expected application/csp-report or application/reports+json.");
  const now = options.now ?? Date.now();
  if (overBudget(options.tenant, now)) {
    await request.body?.cancel().catch(() => {});
    return answer(429, "Too many reports; try again later.", { "retry-after": String(Math.ceil(REPORT_WINDOW_MS / 1000)) });
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_REPORT_BYTES) {
    await request.body?.cancel().catch(() => {});
    return answer(413, `Reports are limited to ${MAX_REPORT_BYTES} bytes.`);
  }
  const text = await readBounded(request.body, MAX_REPORT_BYTES);
  if (text === undefined) return answer(413, `Reports are limited to ${MAX_REPORT_BYTES} bytes.`);
  const parsed = parseCspReports(format, text);
  if (!parsed.ok) return answer(400, `Not a CSP report: ${parsed.reason}.`);
  for (const v of parsed.violations) options.log({ msg: "consent-edge: csp violation", tenant: options.tenant, ...v });
  return answer(204);
}

/** The body as UTF-8 text, or undefined as soon as it passes `limit` bytes (the rest is not read). */
async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string | undefined> {
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

export { MAX_VIOLATIONS_PER_REQUEST };
