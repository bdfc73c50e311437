/**
 * Where tenant policies sit in Workers KV (binding POLICY_KV), shared by the worker
 * (src/policy-source/) and `npm run policies -- --push` (scripts/lib/policy-push.mjs). Pure; no I/O.
 *
 *   host:<normalized host>  value: the tenant id           metadata: { tenant }
 *   policy:<tenant id>      value: the merged policy, JSON  metadata: PolicyMetadata
 *
 * One key per host and per tenant: a request reads its own host and its own tenant, whatever
 * the number of tenants; a push rewrites only what changed.
 */

export const HOST_PREFIX = "host:";
export const POLICY_PREFIX = "policy:";
/** Bumped when the value's meaning changes; a worker refuses a format it does not know. */
export const POLICY_FORMAT = 1;

export interface PolicyMetadata {
  format: number;
  id: string;
  /** The policy's `revision`: a new one asks every visitor again. */
  revision: string;
  /** SHA-256 (hex) of canonicalJson of the compiled policy: policyHash (src/proof/policy-hash.ts), what consent records name. */
  sha256: string;
  /** When the push wrote it, ms since the epoch. */
  pushedAt: number;
}

export interface HostMetadata {
  tenant: string;
}

export const hostKey = (host: string): string => HOST_PREFIX + host;
export const policyKey = (id: string): string => POLICY_PREFIX + id;

/** The metadata if it has the shape PolicyMetadata says, else undefined. */
export function readPolicyMetadata(value: unknown): PolicyMetadata | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (m.format !== POLICY_FORMAT || typeof m.id !== "string" || typeof m.revision !== "string") return undefined;
  if (typeof m.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(m.sha256) || typeof m.pushedAt !== "number") return undefined;
  return m as unknown as PolicyMetadata;
}
