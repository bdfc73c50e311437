/**
 * The SHA-256 of the policy as served: the canonical JSON (keys sorted, no lookup structures)
 * of the merged tenant policy, which is what /cookies and the banner render from, every
 * language included. Computed once per policy per isolate. No I/O.
 */
import type { CompiledPolicy } from "../policy/types";

const HASHES = new WeakMap<CompiledPolicy, Promise<string>>();

/** JSON with object keys sorted, functions, Maps and undefined left out: the same bytes for the same policy. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined || typeof v === "function" ? "null" : canonicalJson(v))).join(",")}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || typeof v === "function" || v instanceof Map) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(",")}}`;
}

export function policyHash(policy: CompiledPolicy): Promise<string> {
  let hash = HASHES.get(policy);
  if (!hash) {
    hash = sha256Hex(canonicalJson(policy));
    HASHES.set(policy, hash);
  }
  return hash;
}

/** Records the hash of a policy already computed from the same data (a KV policy verified against its pushed hash). */
export function rememberPolicyHash(policy: CompiledPolicy, sha256: string): void {
  HASHES.set(policy, Promise.resolve(sha256));
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
