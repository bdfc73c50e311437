/**
 * The same allow-list as the CSP, as a host test: the page's own host, the policy's
 * `necessarySources`, and the hosts of allowed services (and their subdomains). Used where a
 * browser fetches without asking the CSP (preconnect, dns-prefetch, Link headers). Pure;
 * built once per (policy, consent state).
 */
import type { Consent } from "../consent/types";
import { isServiceAllowed } from "../cookies/decide";
import { sourceOf, type CompiledPolicy } from "../policy/types";

export interface HostAllowList {
  /** `host` is lower-case, without port or trailing dot. */
  allows(host: string): boolean;
}

interface Compiled {
  exact: Set<string>;
  /** ".example.org" for `*.example.org` and for every allowed service host. */
  suffixes: string[];
}

const cache = new WeakMap<CompiledPolicy, Map<string, Compiled>>();

function compile(policy: CompiledPolicy, consent: Consent): Compiled {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  // Every entry, whatever directives it is limited to: this list answers "may the browser talk to it".
  for (const entry of policy.necessarySources ?? []) {
    const host = sourceOf(entry).replace(/^[a-z]+:\/\//, "").replace(/:(?:\d+|\*)$/, "");
    if (host.startsWith("*.")) suffixes.push(host.slice(1));
    else exact.add(host);
  }
  for (const s of policy.services) {
    if (!isServiceAllowed(s, consent)) continue;
    for (const raw of s.block?.hosts ?? []) {
      const host = raw.trim().toLowerCase().replace(/^\*?\./, "");
      exact.add(host);
      suffixes.push("." + host);
    }
  }
  return { exact, suffixes };
}

export function hostAllowList(policy: CompiledPolicy, consent: Consent, selfHost: string): HostAllowList {
  let perPolicy = cache.get(policy);
  if (!perPolicy) cache.set(policy, (perPolicy = new Map()));
  const key = [...consent.granted].sort().join(",");
  let c = perPolicy.get(key);
  if (!c) {
    c = compile(policy, consent);
    if (perPolicy.size < 256) perPolicy.set(key, c);
  }
  const compiled = c;
  return {
    allows(host: string): boolean {
      if (host === selfHost || compiled.exact.has(host)) return true;
      for (const s of compiled.suffixes) if (host.endsWith(s)) return true;
      return false;
    },
  };
}
