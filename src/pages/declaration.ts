/** The machine-readable cookie declaration served as JSON at /cookies. Pure; no I/O. */
import type { PolicyView } from "./view";

export interface CookieDeclarationJson {
  tenant: string;
  revision: string;
  lang: PolicyView["lang"];
  siteUrl: string;
  title: string;
  categories: Array<{ id: string; name: string; description: string; necessary: boolean; services: string[] }>;
  services: Array<{
    id: string;
    consentKey: string;
    category: string;
    provider: string;
    function: string;
    purpose: string;
    cookies: Array<{ name: string; prefix: boolean; duration: string; function?: string; purpose?: string; httpOnly: boolean }>;
  }>;
  consent: PolicyView["consent"];
}

export function buildDeclaration(view: PolicyView): CookieDeclarationJson {
  return {
    tenant: view.tenant,
    revision: view.revision,
    lang: view.lang,
    siteUrl: view.siteUrl,
    title: view.title,
    categories: view.categories.map((c) => ({
      id: c.id,
      name: c.name,
      description: c.description,
      necessary: c.necessary,
      services: c.services.map((s) => s.id),
    })),
    services: view.services,
    consent: view.consent,
  };
}
