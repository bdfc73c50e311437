/**
 * Builds the optional Content-Security-Policy (CSP Level 3) that keeps non-consented
 * blocking hosts unreachable. Pure.
 *
 * Limits: CSP is an allow-list, so the policy cannot say "everything but these hosts". It
 * allows 'self', inline scripts (trackers among them were already neutralised in the HTML),
 * data:/blob: images, and the declared hosts of every allowed service (necessary, or
 * consented). Any other third-party host the portal needs (CDN, map tiles, fonts served by
 * scripts) is blocked too: a tenant turning `csp` on must declare those hosts under a
 * necessary service's `block.hosts`. It does not restrict styles, fonts or media, nor
 * eval(); an origin's own CSP still applies, since browsers enforce every policy they get.
 */
import type { Consent } from "../consent/types";
import type { CompiledPolicy } from "../policy/types";
import { isServiceAllowed } from "../cookies/decide";

export function buildCsp(policy: CompiledPolicy, consent: Consent): string {
  const sources = new Set<string>();
  for (const s of policy.services) {
    if (!isServiceAllowed(s, consent)) continue;
    for (const raw of s.block?.hosts ?? []) {
      const host = raw.trim().toLowerCase().replace(/^\*?\./, "");
      // A host is only a CSP host-source if it holds host characters; anything else is dropped, never injected.
      if (/^[a-z0-9.-]+(?::\d+)?$/.test(host)) sources.add(`${host} *.${host}`);
    }
  }
  const allowed = [...sources].join(" ");
  const list = (...base: string[]) => [...base, allowed].filter(Boolean).join(" ");
  return [
    `script-src ${list("'self'", "'unsafe-inline'")}`,
    `img-src ${list("'self'", "data:", "blob:")}`,
    `connect-src ${list("'self'")}`,
    `frame-src ${list("'self'")}`,
  ].join("; ");
}
