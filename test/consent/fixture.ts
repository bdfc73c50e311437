/** A small compiled policy for the consent tests: the Opendatasoft services, revision "2026-11". */
import { compilePolicy } from "../../src/policy/compile";
import type { Category, CompiledPolicy, ServiceDeclaration, TenantPolicy } from "../../src/policy/types";

function service(id: string, consentKey: string, category: Category, cookie: string): ServiceDeclaration {
  return {
    id,
    consentKey,
    category,
    provider: id,
    function: `${id} function`,
    purpose: `${id} purpose`,
    cookies: [{ name: cookie, duration: "session" }],
  };
}

export function tenantPolicy(overrides: Partial<TenantPolicy> = {}): TenantPolicy {
  return {
    id: "maia",
    hosts: ["maia.opendatasoft.com"],
    siteUrl: "https://maia.opendatasoft.com",
    revision: "2026-11",
    title: "Cookies",
    sections: [],
    categories: [],
    services: [
      service("opendatasoft", "necessary", "necessary", "sessionid"),
      service("ga", "ga", "statistics", "_ga"),
      service("matomo", "matomo", "statistics", "_pk_id"),
      service("xiti", "xiti", "statistics", "xtvrn"),
      service("at", "at", "statistics", "atuserid"),
      service("functional", "functional_cookies", "functional", "ods_pref"),
    ],
    ...overrides,
  };
}

export const POLICY: CompiledPolicy = compilePolicy(tenantPolicy());
export const OPTIONAL_KEYS = ["ga", "matomo", "xiti", "at", "functional_cookies"] as const;
export const STATISTICS = ["ga", "matomo", "xiti", "at"] as const;

export { service };
