// Types of shipped-policies.mjs, for the TypeScript tests.

/** The text of src/policy/shipped.generated.ts for `policies` (as validatePolicy returned them), whose checksum is `checksum`. */
export function shippedModule(policies: readonly unknown[], checksum: string): string;
