// Writes a tenant policy to real (miniflare) KV exactly as `npm run policies -- --push` does
// (scripts/lib/policy-push.mjs): the merged policy as JSON, its metadata with the content hash,
// and one key per host. For the tests inside workerd, which cannot run the script.
import { hostKey, policyKey, POLICY_FORMAT, type PolicyMetadata } from "../../src/policy-source";
import type { TenantPolicy } from "../../src/policy/types";
import { compilePolicy } from "../../src/policy/compile";
import { canonicalJson, sha256Hex } from "../../src/proof/policy-hash";
import { POLICY_DATA } from "../../src/policy/shipped.generated";

/** A tenant policy made from maia's, under another id and hosts. */
export function tenantLike(id: string, hosts: string[], change: (p: TenantPolicy) => void = () => {}): TenantPolicy {
  const data = POLICY_DATA.find((p) => p.id === "maia")!;
  const policy = structuredClone({ ...data, id, hosts, siteUrl: `https://${hosts[0]}` }) as TenantPolicy;
  change(policy);
  return policy;
}

export async function pushToKv(kv: KVNamespace, policy: TenantPolicy, now = Date.now()): Promise<PolicyMetadata> {
  let served: unknown;
  try {
    served = compilePolicy(structuredClone(policy));
  } catch {
    // A policy that does not compile (a test of the worker's check): hashed as it is.
    served = policy;
  }
  const metadata: PolicyMetadata = { format: POLICY_FORMAT, id: policy.id, revision: policy.revision, sha256: await sha256Hex(canonicalJson(served)), pushedAt: now };
  await kv.put(policyKey(policy.id), JSON.stringify(policy), { metadata });
  for (const host of policy.hosts) await kv.put(hostKey(host), policy.id, { metadata: { tenant: policy.id } });
  return metadata;
}
