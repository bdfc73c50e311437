/**
 * Builds the cookie-name index of a validated policy. Pure; no I/O.
 */
import { BASE_LANG, BUILTIN_UI, type UiStrings } from "../i18n/strings";
import { resolveParentDomain } from "./host";
import type { CompiledPolicy, CookieClassification, ServiceDeclaration, TenantPolicy } from "./types";

export function compilePolicy(policy: TenantPolicy): CompiledPolicy {
  const exact = new Map<string, CookieClassification>();
  const prefixes: Array<[string, CookieClassification]> = [];
  const servicesByKey = new Map<string, ServiceDeclaration[]>();
  for (const service of policy.services) {
    const list = servicesByKey.get(service.consentKey);
    if (list) list.push(service);
    else servicesByKey.set(service.consentKey, [service]);
    for (const cookie of service.cookies) {
      const entry = { service, cookie };
      if (cookie.prefix) prefixes.push([cookie.name, entry]);
      else if (!exact.has(cookie.name)) exact.set(cookie.name, entry);
    }
  }
  // Longest prefix first, so `_pk_id.` wins over `_pk_` whatever the file order.
  prefixes.sort((a, b) => b[0].length - a[0].length);

  function classify(name: string): CookieClassification | undefined {
    const hit = exact.get(name);
    if (hit) return hit;
    for (const [prefix, entry] of prefixes) {
      if (name.length > prefix.length && name.startsWith(prefix)) return entry;
    }
    return undefined;
  }

  // Worked out once for the policy's hosts; other hosts (the dev tenant's loopback, a middleware
  // user's own) on the fly.
  const parents = new Map<string, string | undefined>(policy.hosts.map((h) => [h, resolveParentDomain(h, policy)]));
  function parentDomainFor(host: string): string | undefined {
    return parents.has(host) ? parents.get(host) : resolveParentDomain(host, policy);
  }

  // The UI strings per language: built-in ones shared by every policy that changes none.
  const ui: Record<string, UiStrings> = { ...BUILTIN_UI };
  for (const [lang, overrides] of Object.entries(policy.ui ?? {})) {
    ui[lang] = Object.freeze({ ...BUILTIN_UI[lang], ...overrides } as UiStrings);
  }
  const strings = new Map(Object.keys(ui).sort().map((lang) => [lang, ui[lang]]));
  const fallback = strings.get(policy.defaultLanguage ?? BASE_LANG) ?? BUILTIN_UI[BASE_LANG];
  const uiStrings = (lang: string): UiStrings => strings.get(lang) ?? fallback;

  return { ...policy, classify, servicesByKey, parentDomainFor, strings, uiStrings };
}
