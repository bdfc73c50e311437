// Types of policy-push.mjs, for the TypeScript tests.
import type * as kvLayout from "../../src/policy-source/layout";

export interface KvKey {
  name: string;
  metadata?: unknown;
}
export interface PushPlan {
  puts: Array<{ key: string; value: string; metadata: Record<string, unknown> }>;
  deletes: string[];
  changed: Array<{ id: string; sha256: string; revision: string; before: { revision: string; sha256: string } | null }>;
  unchanged: string[];
  conflicts: string[];
  notInFolder: string[];
}
export function pushPlan<P extends { id: string; hosts: readonly string[]; revision: string }>(input: {
  policies: readonly P[];
  current: readonly KvKey[];
  now: number;
  layout: typeof kvLayout;
  hashOf: (policy: P) => string;
}): PushPlan;
export function policyContentHash(policy: unknown, code: { compilePolicy: (p: never) => unknown; canonicalJson: (v: unknown) => string }): string;
export function listKeys(options: { remote?: boolean; persistTo?: string }): KvKey[];
export function applyPlan(plan: PushPlan, options: { remote?: boolean; persistTo?: string }): void;
export function describePlan(plan: PushPlan, where: string): string[];
