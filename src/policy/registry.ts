/**
 * The tenant registry: compiled policies indexed by id and by host, for the per-request tenant
 * lookup. Pure; no I/O. The policies reach it already checked: merged and validated by
 * src/policy/load.ts (at build time for the worker, see src/policy/shipped.ts).
 */
import { normalizeHost } from "./host";
import type { CompiledPolicy } from "./types";

export { normalizeHost } from "./host";

export interface PolicyRegistry {
  all: readonly CompiledPolicy[];
  byId(id: string): CompiledPolicy | undefined;
  /** Accepts a URL hostname or a raw Host header value (normalized when not already). */
  byHost(hostname: string): CompiledPolicy | undefined;
}

/** Indexes policies by id and host; throws on an id or a host given twice (load.ts names the file first). */
export function indexPolicies(policies: readonly CompiledPolicy[]): PolicyRegistry {
  const byIdMap = new Map<string, CompiledPolicy>();
  const byHostMap = new Map<string, CompiledPolicy>();
  for (const policy of policies) {
    if (byIdMap.has(policy.id)) throw new Error(`consent-edge: tenant id "${policy.id}" is given twice`);
    byIdMap.set(policy.id, policy);
    for (const host of policy.hosts) {
      const other = byHostMap.get(host);
      if (other) throw new Error(`consent-edge: host "${host}" is claimed by both ${other.id} and ${policy.id}`);
      byHostMap.set(host, policy);
    }
  }
  return {
    all: Object.freeze([...policies]),
    byId: (id) => byIdMap.get(id),
    byHost(hostname) {
      const hit = byHostMap.get(hostname);
      if (hit) return hit;
      const host = normalizeHost(hostname);
      return host === null ? undefined : byHostMap.get(host);
    },
  };
}

/** Freezes a policy's data all the way down: nothing on the request path can change a tenant's policy. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
