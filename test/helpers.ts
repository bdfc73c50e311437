// Test helpers for the integration tests: talk to the worker inside workerd, and describe
// what the real origin server (demo/origin.mjs, fixture routes) should answer.
import { exports } from "cloudflare:workers";

export const MAIA = "maia.opendatasoft.com";

/** Full consent for the Opendatasoft services of the base policy, in the portal's own format. */
export const FULL_CONSENT = encodeURIComponent(
  JSON.stringify({ ga: true, matomo: true, xiti: true, at: true, timestamp: 1700000000000 }),
);

export interface FixtureSpec {
  status?: number;
  headers?: Array<[string, string]>;
  setCookies?: string[];
  body?: string;
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
