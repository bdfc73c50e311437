/**
 * The checksum that ties src/policy/shipped.generated.ts to what scripts/policies.mjs wrote:
 * FNV-1a (32-bit) over the UTF-16 code units of JSON.stringify of the shipped policies. Pure;
 * no I/O. It catches a generated file edited by hand, half-merged or damaged; it is not a
 * defence against someone who can change the code (they could rewrite both).
 */
export function policyChecksum(data: unknown): string {
  const text = JSON.stringify(data);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}
