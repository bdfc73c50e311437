// Test helpers for the integration tests: talk to the worker inside workerd, and describe
// what the real origin server (the demo portal with the test routes of test/fixtures/origin.mjs) should answer.
import { env, exports } from "cloudflare:workers";
import { consentKey, newConsentRecord, recordCookieName, signConsentRecord } from "../src/consent/record";
import { POLICIES } from "../src/policy";

export const MAIA = "maia.opendatasoft.com";

/** Every optional consent key of the Opendatasoft base policy. */
export const ALL_KEYS = ["ga", "matomo", "xiti", "at"];

/**
 * A trusted consent record as a Cookie pair, signed with the test secret exactly as the POST
 * /cookies handler signs it: `consent-edge-http=…` (http) or `__Host-consent-edge=…` (https).
 */
export async function recordCookie(
  granted: Iterable<string>,
  options: { tenant?: string; https?: boolean; decidedAt?: number } = {},
): Promise<string> {
  const policy = POLICIES.byId(options.tenant ?? "maia");
  if (!policy) throw new Error(`no tenant ${options.tenant}`);
  const key = consentKey(env.CONSENT_SECRET);
  if (!key) throw new Error("CONSENT_SECRET is not bound in the test worker");
  const value = await signConsentRecord(newConsentRecord(granted, options.decidedAt ?? Date.now()), policy, await key);
  return `${recordCookieName(options.https ?? false)}=${value}`;
}

/** Full consent for the Opendatasoft services of the base policy (maia, over http), as a trusted record pair. */
export const FULL_CONSENT_COOKIE = await recordCookie(ALL_KEYS);

export interface FixtureSpec {
  status?: number;
  headers?: Array<[string, string]>;
  setCookies?: string[];
  body?: string;
  /** A matching If-None-Match / If-Modified-Since gets a 304. */
  conditional?: boolean;
  /** Raw body bytes, base64 (e.g. a compressed body with its Content-Encoding). */
  bodyBase64?: string;
}

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The path of a fixture route that answers exactly `spec`. */
export function respondPath(spec: FixtureSpec): string {
  return `/__fixture/respond?spec=${base64url(JSON.stringify(spec))}`;
}

export interface CallOptions extends RequestInit {
  host?: string;
  https?: boolean;
}

/** A request through the worker, as a visitor of `host` (maia by default). */
export function call(path: string, options: CallOptions = {}): Promise<Response> {
  const { host = MAIA, https = false, ...init } = options;
  const url = `${https ? "https" : "http"}://${host}${path}`;
  // "manual": the test sees the worker's redirects instead of the binding following them.
  return exports.default.fetch(new Request(url, { redirect: "manual", ...init }));
}

/** A response's Set-Cookie lines, one by one. */
export function setCookies(res: Response): string[] {
  return res.headers.getSetCookie();
}

/** The origin's view of a request, from the echo fixture. */
export interface Echo {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  bodyLength: number;
}

export function echoHeader(echo: Echo, name: string): string[] {
  return echo.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}
