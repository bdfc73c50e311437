// A small policy and helpers shared by the rewrite tests.
import type { Consent } from "../../src/consent/types";
import { compilePolicy } from "../../src/policy/compile";
import type { CompiledPolicy, TenantPolicy } from "../../src/policy/types";
import { type RewriteOptions, rewriteHtml } from "../../src/rewrite";

export const BASE: TenantPolicy = {
  id: "test",
  hosts: ["portal.example.org"],
  siteUrl: "https://portal.example.org",
  revision: "1",
  title: "Cookies",
  sections: [],
  categories: [],
  services: [
    {
      id: "opendatasoft", consentKey: "ods", category: "necessary", provider: "ODS", function: "f", purpose: "p",
      cookies: [{ name: "sessionid", duration: "session" }],
      block: { hosts: ["cdn.example.net"] },
    },
    {
      id: "ga", consentKey: "ga", category: "statistics", provider: "Google", function: "f", purpose: "p",
      cookies: [{ name: "_ga", duration: "13 months" }],
      block: { hosts: ["googletagmanager.com", "google-analytics.com"], markers: ["gtag(", "GoogleAnalyticsObject"] },
    },
    {
      id: "matomo", consentKey: "matomo", category: "statistics", provider: "Matomo", function: "f", purpose: "p",
      cookies: [{ name: "_pk_id.", prefix: true, duration: "13 months" }],
      block: { hosts: ["stats.example.org"], markers: ["_paq.push", "matomo.js"] },
    },
    {
      id: "xiti", consentKey: "at", category: "marketing", provider: "AT Internet", function: "f", purpose: "p",
      cookies: [{ name: "atuserid", duration: "13 months" }],
      block: { hosts: ["tag.aticdn.net"] },
    },
  ],
};

export const POLICY: CompiledPolicy = compilePolicy(BASE);
export const ALL_KEYS = ["ga", "matomo", "at"];

export function consentOf(...keys: string[]): Consent {
  return { explicit: true, source: "cookie", granted: new Set(keys) };
}

export function htmlResponse(body: BodyInit, headers: Record<string, string> = {}, init: ResponseInit = {}): Response {
  return new Response(body, { ...init, headers: { "content-type": "text/html; charset=utf-8", ...headers } });
}

export function options(over: Partial<RewriteOptions> = {}): RewriteOptions {
  return { policy: POLICY, consent: consentOf(), lang: "en", banner: false, returnPath: "/", ...over };
}

/**
 * Rewrites `html` and returns the resulting page text. By default with no CSP (`cspMode: "off"`),
 * so that the rewriter's own full coverage is what is tested; pass `cspMode: "enforce"` for the
 * minimal path that runs under an enforced CSP.
 */
export async function rewrite(html: string | ReadableStream<Uint8Array>, over: Partial<RewriteOptions> = {}): Promise<string> {
  return (await rewriteHtml(htmlResponse(html), options({ cspMode: "off", ...over }))).text();
}

/** A body emitting `text` in pieces of `size` bytes, one per pull. */
export function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/**
 * Reads `body` to its end or its failure: `done` settles as the stream does (rejects with its
 * error), and `received.text` holds what came out before, for pages expected to be cut.
 */
export function readToEnd(body: ReadableStream<Uint8Array>): { done: Promise<void>; received: { text: string } } {
  const received = { text: "" };
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const done = (async () => {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      received.text += decoder.decode(r.value, { stream: true });
    }
  })();
  return { done, received };
}
