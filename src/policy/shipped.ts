/**
 * The registry of the policies the worker ships: merged with their base and validated at build
 * time (scripts/policies.mjs runs src/policy/load.ts), so the worker carries no validator. At
 * start-up it only checks that the data is what the build wrote (the checksum) and indexes ids
 * and hosts; each policy is frozen and compiled on its first lookup, so a request pays for its
 * own tenant only. Pure; no I/O.
 */
import { policyChecksum } from "./checksum";
import { compilePolicy } from "./compile";
import { normalizeHost } from "./host";
import { deepFreeze, type PolicyRegistry } from "./registry";
import type { CompiledPolicy, TenantPolicy } from "./types";

/**
 * Throws at start-up (the worker then does not start, as with an invalid policy file) when the
 * data does not match the checksum the build computed: a request never meets a policy that was
 * not validated.
 */
export function shippedRegistry(data: readonly TenantPolicy[], checksum: string): PolicyRegistry {
  let actual: string;
  try {
    actual = policyChecksum(data);
  } catch {
    actual = "unreadable";
  }
  if (actual !== checksum) {
    throw new Error(
      `consent-edge: src/policy/shipped.generated.ts does not match its checksum (${actual}, written as ${checksum}): ` +
        "it was changed after `npm run policies` validated it; run `npm run policies` to regenerate it from policies/",
    );
  }
  return lazyRegistry(data);
}

/** Ids and hosts indexed now (throwing on one given twice, as indexPolicies does); each policy compiled on first lookup. */
function lazyRegistry(data: readonly TenantPolicy[]): PolicyRegistry {
  const byIdIndex = new Map<string, number>();
  const byHostIndex = new Map<string, number>();
  data.forEach((policy, i) => {
    if (byIdIndex.has(policy.id)) throw new Error(`consent-edge: tenant id "${policy.id}" is given twice`);
    byIdIndex.set(policy.id, i);
    for (const host of policy.hosts) {
      const other = byHostIndex.get(host);
      if (other !== undefined) throw new Error(`consent-edge: host "${host}" is claimed by both ${data[other].id} and ${policy.id}`);
      byHostIndex.set(host, i);
    }
  });
  const compiled: Array<CompiledPolicy | undefined> = [];
  const at = (i: number | undefined): CompiledPolicy | undefined => (i === undefined ? undefined : (compiled[i] ??= compilePolicy(deepFreeze(data[i]))));
  let all: readonly CompiledPolicy[] | undefined;
  return {
    get all() {
      return (all ??= Object.freeze(data.map((_, i) => at(i)!)));
    },
    byId: (id) => at(byIdIndex.get(id)),
    byHost(hostname) {
      const hit = byHostIndex.get(hostname);
      if (hit !== undefined) return at(hit);
      const host = normalizeHost(hostname);
      return host === null ? undefined : at(byHostIndex.get(host));
    },
  };
}
