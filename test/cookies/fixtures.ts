// A small compiled policy shared by the cookie tests (not a test file itself).
import { compilePolicy } from "../../src/policy/compile";
import type { Consent } from "../../src/consent/types";
import type { CompiledPolicy, ServiceDeclaration, TenantPolicy } from "../../src/policy/types";

function service(
  id: string,
  category: ServiceDeclaration["category"],
  cookies: ServiceDeclaration["cookies"],
  consentKey = id,
): ServiceDeclaration {
  return { id, consentKey, category, provider: id, function: id, purpose: id, cookies };
}

export function makePolicy(overrides: Partial<TenantPolicy> = {}): CompiledPolicy {
  return compilePolicy({
    id: "maia",
    hosts: ["maia.opendatasoft.com"],
    siteUrl: "https://maia.opendatasoft.com",
    parentDomain: "opendatasoft.com",
    revision: "1",
    title: "Cookies",
    sections: [],
    categories: [],
    services: [
      service("opendatasoft", "necessary", [
        { name: "sessionid", duration: "2 weeks", httpOnly: true },
        { name: "csrftoken", duration: "1 year" },
        { name: "django_language", duration: "session" },
        { name: "cookies_preferences", duration: "6 months" },
      ]),
      service("ga", "statistics", [
        { name: "_ga", duration: "13 months", domains: ["host", "parent"] },
        { name: "_ga_", prefix: true, duration: "13 months", domains: ["host", "parent"] },
        { name: "_gid", duration: "1 day", domains: ["host", "parent"] },
      ]),
      service("matomo", "statistics", [
        { name: "_pk_id.", prefix: true, duration: "13 months" },
        { name: "_pk_ses.", prefix: true, duration: "30 minutes" },
      ]),
      service("at", "statistics", [
        { name: "atuserid", duration: "13 months", secure: true },
        { name: "atidvisitor", duration: "6 months", paths: ["/", "/explore"], domains: ["host", "example.org"] },
      ]),
    ],
    ...overrides,
  });
}

export const POLICY = makePolicy();

export function consentFor(...keys: string[]): Consent {
  return { explicit: true, source: "cookie", granted: new Set(keys) };
}
