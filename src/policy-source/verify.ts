/**
 * Checks a policy read from KV before any request meets it: the metadata the push wrote, the
 * tenant id and revision, that it compiles and its consent cookie can be written, and the content
 * hash of the compiled policy (policyHash's canonicalJson: the hash consent records name). No I/O beyond Web Crypto's digest.
 * The push validated the policy with the build's validator (scripts/policies.mjs); the hash proves
 * the value is that one, whole (not truncated, not another key's, not hand-edited JSON).
 */
import { indexConsentPolicy } from "../consent/consent-index";
import { compilePolicy } from "../policy/compile";
import { deepFreeze } from "../policy/registry";
import type { CompiledPolicy, TenantPolicy } from "../policy/types";
import { canonicalJson, rememberPolicyHash, sha256Hex } from "../proof/policy-hash";
import { readPolicyMetadata } from "./layout";

export type Verified = { ok: true; policy: CompiledPolicy; sha256: string; revision: string } | { ok: false; reason: string };

export async function verifyPolicyEntry(id: string, text: string, metadata: unknown): Promise<Verified> {
  const meta = readPolicyMetadata(metadata);
  if (!meta) return { ok: false, reason: "no metadata of a known format (push it with `npm run policies -- --push`)" };
  if (meta.id !== id) return { ok: false, reason: `metadata names tenant ${JSON.stringify(meta.id)}` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, reason: "the value is not JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { ok: false, reason: "the value is not a JSON object" };
  const policy = data as TenantPolicy;
  if (policy.id !== id) return { ok: false, reason: `the policy's id is ${JSON.stringify(policy.id)}` };
  if (policy.revision !== meta.revision) return { ok: false, reason: "the policy's revision differs from the metadata's" };
  if (!Array.isArray(policy.hosts) || !Array.isArray(policy.services)) return { ok: false, reason: "hosts or services missing" };
  let compiled: CompiledPolicy;
  try {
    compiled = compilePolicy(deepFreeze(policy));
    indexConsentPolicy(compiled);
  } catch (e) {
    return { ok: false, reason: `does not compile: ${e instanceof Error ? e.message : String(e)}` };
  }
  // The hash of the policy as served, which consent records name (src/proof/policy-hash.ts).
  const sha256 = await sha256Hex(canonicalJson(compiled));
  if (sha256 !== meta.sha256) return { ok: false, reason: `content hash ${sha256} differs from the pushed ${meta.sha256}` };
  rememberPolicyHash(compiled, sha256);
  return { ok: true, policy: compiled, sha256, revision: meta.revision };
}
