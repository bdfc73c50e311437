// Types of suggest.mjs, for the TypeScript tests.
import type { Catalogue } from "../cookie-catalogue.mjs";
import type { CompiledPolicy } from "../../../src/policy/types";
export declare function buildSuggestion(policy: CompiledPolicy, rows: readonly { name: string }[], catalogue: Catalogue): { fragment: { services: Record<string, unknown>[] }; notes: string[] };
export declare function readPolicyFiles(dir: string): Promise<{ bases: Record<string, unknown>; tenants: Record<string, Record<string, unknown>> }>;
export declare function withFragment(tenantFile: Record<string, unknown>, fragment: { services: unknown[] }): Record<string, unknown>;
