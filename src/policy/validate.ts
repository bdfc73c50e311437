/**
 * Checks a merged tenant policy (plain JSON data) and returns it typed, or throws a
 * PolicyError naming the file and the JSON path of the first bad field. Pure; no I/O.
 * The rules mirror policies/policy.schema.json (test/policy/schema.test.ts keeps them in step).
 */
import { BASE_LANG, BUILTIN_UI, LANG_TAG_PATTERN, PLACEHOLDERS, placeholdersOf, UI_KEYS, UNIT_KEY_LIST, type UiKey, type UnitKey } from "../i18n/strings";
import { isUnderDomain, normalizeHost, resolveParentDomain } from "./host";
import { CATEGORIES, CSP_MODES, DURATION_UNITS, MARKUP_MODES, POLICY_MODES, SOURCE_DIRECTIVES, type Category, type TenantPolicy } from "./types";

export class PolicyError extends Error {
  /** The policy file, relative to policies/ ("maia.json", "base/opendatasoft.json"). */
  readonly file: string;
  /** JSON path of the offending field ("services[2].cookies[0].name"); "" for the whole file. */
  readonly field: string;
  /** What is wrong, without file and field. */
  readonly reason: string;
  constructor(file: string, field: string, reason: string) {
    super(`${file}: ${field || "(root)"}: ${reason}`);
    this.name = "PolicyError";
    this.file = file;
    this.field = field;
    this.reason = reason;
  }
}

// Field lists, shared with the JSON Schema test. `$schema` is allowed everywhere a file starts.
export const POLICY_FIELDS = [
  "id", "hosts", "origin", "siteUrl", "parentDomain", "revision", "title", "sections",
  "categories", "services", "expireUnknown", "banner", "csp", "necessarySources", "cspReportSample",
  "parentDomains", "mode", "markup", "defaultLanguage", "ui", "portalBanner",
] as const;
export const REQUIRED_POLICY_FIELDS = [
  "id", "hosts", "siteUrl", "revision", "title", "sections", "categories", "services",
] as const;
export const SECTION_FIELDS = ["heading", "level", "paragraphs"] as const;
export const REQUIRED_SECTION_FIELDS = ["heading", "paragraphs"] as const;
export const CATEGORY_FIELDS = ["id", "name", "description"] as const;
export const SERVICE_FIELDS = [
  "id", "consentKey", "category", "provider", "function", "purpose", "cookies", "block",
] as const;
export const REQUIRED_SERVICE_FIELDS = [
  "id", "consentKey", "category", "provider", "function", "purpose", "cookies",
] as const;
export const COOKIE_FIELDS = [
  "name", "prefix", "duration", "function", "purpose", "httpOnly", "secure", "paths", "domains",
] as const;
export const REQUIRED_COOKIE_FIELDS = ["name", "duration"] as const;
export const BLOCK_FIELDS = ["hosts", "markers"] as const;
export const BANNER_FIELDS = ["enabled", "text"] as const;
export const PORTAL_BANNER_FIELDS = ["hide"] as const;
export const TEXT_DIRECTIONS = ["ltr", "rtl"] as const;
/**
 * `portalBanner.hide`: a CSS selector list. It is written into the banner's stylesheet, so it may
 * not hold what could end a rule or the `<style>` element (`{`, `}`, `;`, `<`, `@`), start a
 * comment or escape (`/`, `\`), nor control characters; brackets and quotes must balance
 * (checked apart).
 */
export const SELECTOR_PATTERN = "^[^<{};@/\\\\\\u0000-\\u001f\\u007f]+$";
export const SECTION_LEVELS = [2, 3] as const;

/** Cookies every Opendatasoft portal needs; a necessary service must declare them by exact name. */
export const NECESSARY_COOKIES = ["sessionid", "django_language", "csrftoken", "cookies_preferences"] as const;
/** The consent key of necessary services, and only of them. */
export const NECESSARY_CONSENT_KEY = "necessary";

/** RFC 6265 §4.1.1 cookie-name = token (RFC 2616 §2.2: CHARs except CTLs and separators). */
export const COOKIE_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
/** Tenant and service ids: kebab-case, as file names. */
export const ID_PATTERN = "^[a-z0-9][a-z0-9-]*$";
/** Consent keys and revisions end up in the `cookies_preferences` value: keep them cookie-safe. */
export const KEY_PATTERN = "^[a-z0-9][a-z0-9_-]*$";
export const REVISION_PATTERN = "^[A-Za-z0-9._-]+$";
/** RFC 6265 §4.1.1 path-value: no CTLs, no ";"; we also want it absolute. */
export const PATH_PATTERN = "^/[^\\u0000-\\u001f\\u007f;]*$";
/**
 * A CSP host-source (CSP Level 3 § 2.3.1) without path: optional http(s)/ws(s) scheme, optional
 * `*.` wildcard, a lower-case host, optional port. No keywords, no bare `*`, nothing that could
 * end a directive (`;`, `,`, space).
 */
export const SOURCE_PATTERN = "^(?:(?:https?|wss?)://)?(?:\\*\\.)?(?:[0-9a-z_](?:[0-9a-z_-]{0,61}[0-9a-z_])?\\.)*[0-9a-z_](?:[0-9a-z_-]{0,61}[0-9a-z_])?(?::(?:[0-9]{1,5}|\\*))?$";

// Marked pure so that a bundle importing src/policy without calling the validator (the worker)
// leaves this module out.
const COOKIE_NAME_RE = /* @__PURE__ */ new RegExp(COOKIE_NAME_PATTERN);
const ID_RE = /* @__PURE__ */ new RegExp(ID_PATTERN);
const KEY_RE = /* @__PURE__ */ new RegExp(KEY_PATTERN);
const REVISION_RE = /* @__PURE__ */ new RegExp(REVISION_PATTERN);
const PATH_RE = /* @__PURE__ */ new RegExp(PATH_PATTERN);
const SOURCE_RE = /* @__PURE__ */ new RegExp(SOURCE_PATTERN);
const SOURCE_HINT = "is not a CSP host-source like static.example.org, *.example.org or https://cdn.example.org:8443";
export const SCOPED_SOURCE_FIELDS = ["source", "directives"] as const;
const LANG_RE = /* @__PURE__ */ new RegExp(LANG_TAG_PATTERN);
const SELECTOR_RE = /* @__PURE__ */ new RegExp(SELECTOR_PATTERN);

// Compile-time guard: each list names exactly the keys of its type.
type Exact<T, L extends readonly PropertyKey[]> = [Exclude<keyof T, L[number]>, Exclude<L[number], keyof T>] extends [never, never] ? true : false;
const FIELDS_MATCH_TYPES: [
  Exact<TenantPolicy, typeof POLICY_FIELDS>,
  Exact<TenantPolicy["sections"][number], typeof SECTION_FIELDS>,
  Exact<TenantPolicy["categories"][number], typeof CATEGORY_FIELDS>,
  Exact<TenantPolicy["services"][number], typeof SERVICE_FIELDS>,
  Exact<TenantPolicy["services"][number]["cookies"][number], typeof COOKIE_FIELDS>,
  Exact<NonNullable<TenantPolicy["services"][number]["block"]>, typeof BLOCK_FIELDS>,
  Exact<NonNullable<TenantPolicy["banner"]>, typeof BANNER_FIELDS>,
  Exact<NonNullable<TenantPolicy["portalBanner"]>, typeof PORTAL_BANNER_FIELDS>,
] = [true, true, true, true, true, true, true, true];
void FIELDS_MATCH_TYPES;

type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validates a complete policy (a tenant file already merged with its base). */
export function validatePolicy(data: unknown, file: string): TenantPolicy {
  const fail = (field: string, reason: string): never => {
    throw new PolicyError(file, field, reason);
  };

  function object(v: unknown, field: string, fields: readonly string[], required: readonly string[]): Json {
    if (!isObject(v)) return fail(field, `must be an object, got ${describe(v)}`);
    for (const key of Object.keys(v)) {
      if (key === "$schema" && field === "") continue;
      if (key === "extends" && field === "") fail("extends", "must be resolved before validation (createRegistry merges bases)");
      if (!fields.includes(key)) fail(join(field, key), `unknown field (expected one of: ${fields.join(", ")})`);
    }
    for (const key of required) if (v[key] === undefined) fail(join(field, key), "is required");
    return v;
  }
  function string(v: unknown, field: string, re?: RegExp, hint?: string): string {
    if (typeof v !== "string" || v.trim() === "") return fail(field, `must be a non-empty string, got ${describe(v)}`);
    if (re && !re.test(v)) fail(field, `${JSON.stringify(v)} ${hint ?? `does not match ${re.source}`}`);
    return v;
  }
  function boolean(v: unknown, field: string): void {
    if (v !== undefined && typeof v !== "boolean") fail(field, `must be true or false, got ${describe(v)}`);
  }
  function array(v: unknown, field: string, nonEmpty: boolean): unknown[] {
    if (!Array.isArray(v)) return fail(field, `must be an array, got ${describe(v)}`);
    if (nonEmpty && v.length === 0) fail(field, "must not be empty");
    return v;
  }
  // Set from `ui` and `defaultLanguage` before any text is read.
  let languages: readonly string[] = Object.keys(BUILTIN_UI);
  let defaultLang = BASE_LANG;
  function text(v: unknown, field: string): void {
    if (typeof v === "string") return void string(v, field);
    const o = object(v, field, Object.keys(isObject(v) ? v : {}), []);
    for (const [lang, t] of Object.entries(o)) {
      if (!languages.includes(lang)) {
        fail(join(field, lang), `${JSON.stringify(lang)} is not a language of this policy (${languages.join(", ")}; add one under ui)`);
      }
      string(t, join(field, lang));
    }
    if (o[defaultLang] === undefined) {
      fail(field, `has no text in the default language ${JSON.stringify(defaultLang)} (it has: ${Object.keys(o).join(", ") || "none"})`);
    }
  }
  function duration(v: unknown, field: string): void {
    if (!isObject(v) || !(Object.hasOwn(v, "session") || DURATION_UNITS.some((u) => Object.hasOwn(v, u)))) return text(v, field);
    if (Object.hasOwn(v, "session")) {
      object(v, field, ["session"], ["session"]);
      if (v.session !== true) fail(`${field}.session`, `must be true, got ${describe(v.session)}`);
      return;
    }
    object(v, field, DURATION_UNITS, []);
    for (const [unit, n] of Object.entries(v)) {
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) fail(`${field}.${unit}`, `must be a whole number of ${unit}, got ${describe(n)}`);
    }
  }
  function uiStrings(v: unknown, lang: string, field: string): void {
    const o = object(v, field, [...UI_KEYS, ...UNIT_KEY_LIST], []);
    const added = !Object.hasOwn(BUILTIN_UI, lang);
    for (const key of [...UI_KEYS, ...UNIT_KEY_LIST]) {
      const f = `${field}.${key}`;
      if (o[key] === undefined) {
        if (added && (UI_KEYS as readonly string[]).includes(key)) fail(f, `missing UI string (language ${JSON.stringify(lang)}, key ${JSON.stringify(key)}): a language that is not built in gives every key`);
        continue;
      }
      const s = string(o[key], f);
      if (key === "dir") {
        if (!TEXT_DIRECTIONS.includes(s as "ltr")) fail(f, `must be "ltr" or "rtl", got ${describe(s)}`);
        continue;
      }
      if (key === "locale") {
        let known = false;
        try {
          known = Intl.DateTimeFormat.supportedLocalesOf(s).length > 0;
        } catch {
          /* not a BCP 47 tag: reported below */
        }
        if (!known) fail(f, `${JSON.stringify(s)} is not a locale Intl knows (a BCP 47 tag such as "pt-PT")`);
        continue;
      }
      const expected = PLACEHOLDERS[key as UiKey | UnitKey] ?? [];
      const found = placeholdersOf(s);
      for (const name of expected) {
        if (!found.includes(name)) fail(f, `must keep the placeholder {${name}} (language ${JSON.stringify(lang)}, key ${JSON.stringify(key)})`);
      }
      for (const name of found) {
        if (!expected.includes(name)) {
          fail(f, `unknown placeholder {${name}} (language ${JSON.stringify(lang)}, key ${JSON.stringify(key)}; allowed: ${expected.map((n) => `{${n}}`).join(", ") || "none"})`);
        }
      }
    }
  }
  function selectorList(v: unknown, field: string): void {
    const s = string(v, field, SELECTOR_RE, "may not hold <, {, }, ;, @, /, \\ or control characters");
    const closers: string[] = [];
    let quote = "";
    for (const ch of s) {
      if (quote) {
        if (ch === quote) quote = "";
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === "(") closers.push(")");
      else if (ch === "[") closers.push("]");
      else if (ch === ")" || ch === "]") {
        if (closers.pop() !== ch) fail(field, `${JSON.stringify(s)} has an unbalanced ${JSON.stringify(ch)}`);
      }
    }
    if (quote || closers.length > 0) fail(field, `${JSON.stringify(s)} has an unclosed ${quote ? "quote" : JSON.stringify(closers.at(-1) === ")" ? "(" : "[")}`);
  }
  function hostname(v: unknown, field: string): string {
    const s = string(v, field);
    if (normalizeHost(s) !== s || s.startsWith("[")) fail(field, `${JSON.stringify(s)} is not a lower-case host name without port or trailing dot`);
    return s;
  }
  function url(v: unknown, field: string, originOnly: boolean): void {
    const s = string(v, field);
    let u: URL | undefined;
    try {
      u = new URL(s);
    } catch {
      /* reported below */
    }
    if (!u || (u.protocol !== "https:" && u.protocol !== "http:") || u.username || u.password) {
      fail(field, `${JSON.stringify(s)} is not an http(s) URL`);
    } else if (originOnly && (u.pathname !== "/" || u.search || u.hash || s.endsWith("/"))) {
      fail(field, `${JSON.stringify(s)} must be an origin like https://example.org (no path, query or trailing slash)`);
    }
  }

  const p = object(data, "", POLICY_FIELDS, REQUIRED_POLICY_FIELDS);
  string(p.id, "id", ID_RE, "must be kebab-case (a-z, 0-9, -)");
  if (p.ui !== undefined) {
    const ui = object(p.ui, "ui", Object.keys(isObject(p.ui) ? p.ui : {}), []);
    for (const [lang, strings] of Object.entries(ui)) {
      string(lang, `ui.${lang}`, LANG_RE, "is not a language tag: a lower-case primary language subtag (ISO 639), such as \"de\" or \"eu\"");
      uiStrings(strings, lang, `ui.${lang}`);
    }
    languages = [...new Set([...languages, ...Object.keys(ui)])].sort();
  }
  if (p.defaultLanguage !== undefined) {
    const lang = string(p.defaultLanguage, "defaultLanguage");
    if (!languages.includes(lang)) fail("defaultLanguage", `${JSON.stringify(lang)} is not a language of this policy (${languages.join(", ")}; add one under ui)`);
    defaultLang = lang;
  }
  if (p.portalBanner !== undefined) {
    const pb = object(p.portalBanner, "portalBanner", PORTAL_BANNER_FIELDS, PORTAL_BANNER_FIELDS);
    selectorList(pb.hide, "portalBanner.hide");
  }
  const hosts = array(p.hosts, "hosts", true);
  hosts.forEach((h, i) => {
    hostname(h, `hosts[${i}]`);
    if (hosts.indexOf(h) !== i) fail(`hosts[${i}]`, `duplicate host ${JSON.stringify(h)}`);
  });
  if (p.origin !== undefined) url(p.origin, "origin", true);
  url(p.siteUrl, "siteUrl", false);
  if (p.parentDomain !== undefined) hostname(p.parentDomain, "parentDomain");
  if (p.parentDomains !== undefined) {
    const declared = object(p.parentDomains, "parentDomains", Object.keys(isObject(p.parentDomains) ? p.parentDomains : {}), []);
    for (const [host, domain] of Object.entries(declared)) {
      const f = `parentDomains[${JSON.stringify(host)}]`;
      if (!hosts.includes(host)) fail(f, `${JSON.stringify(host)} is not one of hosts (${hosts.join(", ")})`);
      const d = hostname(domain, f);
      if (!isUnderDomain(host, d)) fail(f, `${JSON.stringify(d)} must be ${JSON.stringify(host)} or a parent of it`);
      if (!d.includes(".")) fail(f, `${JSON.stringify(d)} is a top-level domain: browsers refuse cookies for it`);
    }
  }
  if (p.mode !== undefined && !POLICY_MODES.includes(p.mode as "enforce")) {
    fail("mode", `must be one of ${POLICY_MODES.map((m) => JSON.stringify(m)).join(", ")}, got ${describe(p.mode)}`);
  }
  string(p.revision, "revision", REVISION_RE, "may only hold letters, digits, '.', '_' and '-'");
  text(p.title, "title");
  boolean(p.expireUnknown, "expireUnknown");
  if (p.csp !== undefined && !CSP_MODES.includes(p.csp as "off")) {
    fail("csp", `must be one of ${CSP_MODES.map((m) => JSON.stringify(m)).join(", ")}, got ${describe(p.csp)}`);
  }
  if (p.markup !== undefined && !MARKUP_MODES.includes(p.markup as "scan")) {
    fail("markup", `must be one of ${MARKUP_MODES.map((m) => JSON.stringify(m)).join(", ")}, got ${describe(p.markup)}`);
  }
  if (p.necessarySources !== undefined) {
    const parents = (Array.isArray(p.hosts) ? p.hosts : [])
      .map((h) => (typeof h === "string" ? resolveParentDomain(h, p as { parentDomain?: string; parentDomains?: Record<string, string> }) : undefined))
      .filter((d): d is string => d !== undefined);
    array(p.necessarySources, "necessarySources", false).forEach((v, i) => {
      let field = `necessarySources[${i}]`;
      let source: string;
      if (isObject(v)) {
        const o = object(v, field, SCOPED_SOURCE_FIELDS, SCOPED_SOURCE_FIELDS);
        array(o.directives, join(field, "directives"), true).forEach((d, j) => {
          if (!SOURCE_DIRECTIVES.includes(d as "img-src")) fail(`${field}.directives[${j}]`, `must be one of ${SOURCE_DIRECTIVES.join(", ")}, got ${describe(d)}`);
        });
        field = join(field, "source");
        source = string(o.source, field, SOURCE_RE, SOURCE_HINT);
      } else source = string(v, field, SOURCE_RE, SOURCE_HINT);
      // A wildcard over the tenants' own parent domain trusts every sibling portal, widget host and
      // page under it as much as this portal: its scripts, frames, workers and beacons (SECURITY.md).
      const wildcard = /^(?:[a-z]+:\/\/)?\*\.([^:]+)/.exec(source)?.[1];
      const covered = wildcard === undefined ? undefined : parents.find((parent) => isUnderDomain(parent, wildcard));
      if (covered !== undefined) {
        fail(field, `${JSON.stringify(source)} covers the tenants' parent domain ${covered}: every host under it would be trusted as much as the portal; name the hosts the portal needs`);
      }
    });
  }
  if (p.cspReportSample !== undefined && (typeof p.cspReportSample !== "number" || !(p.cspReportSample >= 0 && p.cspReportSample <= 1))) {
    fail("cspReportSample", `must be a number from 0 to 1, got ${describe(p.cspReportSample)}`);
  }
  if (p.banner !== undefined) {
    const b = object(p.banner, "banner", BANNER_FIELDS, ["enabled"]);
    boolean(b.enabled, "banner.enabled");
    if (b.text !== undefined) text(b.text, "banner.text");
  }

  array(p.sections, "sections", true).forEach((v, i) => {
    const f = `sections[${i}]`;
    const s = object(v, f, SECTION_FIELDS, REQUIRED_SECTION_FIELDS);
    text(s.heading, `${f}.heading`);
    if (s.level !== undefined && !SECTION_LEVELS.includes(s.level as 2)) fail(`${f}.level`, `must be 2 or 3, got ${describe(s.level)}`);
    array(s.paragraphs, `${f}.paragraphs`, false).forEach((t, j) => text(t, `${f}.paragraphs[${j}]`));
  });

  const declared = new Set<Category>();
  array(p.categories, "categories", true).forEach((v, i) => {
    const f = `categories[${i}]`;
    const c = object(v, f, CATEGORY_FIELDS, CATEGORY_FIELDS);
    const id = string(c.id, `${f}.id`) as Category;
    if (!CATEGORIES.includes(id)) fail(`${f}.id`, `${JSON.stringify(id)} is not one of ${CATEGORIES.join(", ")}`);
    if (declared.has(id)) fail(`${f}.id`, `duplicate category ${JSON.stringify(id)}`);
    declared.add(id);
    text(c.name, `${f}.name`);
    text(c.description, `${f}.description`);
  });

  const serviceIds = new Map<string, number>();
  const cookieOwners = new Map<string, string>();
  const necessaryCookies = new Set<string>();
  array(p.services, "services", true).forEach((v, i) => {
    const f = `services[${i}]`;
    const s = object(v, f, SERVICE_FIELDS, REQUIRED_SERVICE_FIELDS);
    const id = string(s.id, `${f}.id`, ID_RE, "must be kebab-case (a-z, 0-9, -)");
    if (serviceIds.has(id)) fail(`${f}.id`, `duplicate service id ${JSON.stringify(id)} (also services[${serviceIds.get(id)}])`);
    serviceIds.set(id, i);
    const category = string(s.category, `${f}.category`) as Category;
    if (!declared.has(category)) {
      fail(`${f}.category`, `${JSON.stringify(category)} is not declared in categories (${[...declared].join(", ")})`);
    }
    const key = string(s.consentKey, `${f}.consentKey`, KEY_RE, "must be lower-case letters, digits, '_' or '-'");
    if ((category === "necessary") !== (key === NECESSARY_CONSENT_KEY)) {
      fail(`${f}.consentKey`, `must be "${NECESSARY_CONSENT_KEY}" exactly when the category is "necessary"`);
    }
    string(s.provider, `${f}.provider`);
    text(s.function, `${f}.function`);
    text(s.purpose, `${f}.purpose`);
    if (s.block !== undefined) {
      const b = object(s.block, `${f}.block`, BLOCK_FIELDS, []);
      if (b.hosts !== undefined) array(b.hosts, `${f}.block.hosts`, false).forEach((h, j) => hostname(h, `${f}.block.hosts[${j}]`));
      if (b.markers !== undefined) array(b.markers, `${f}.block.markers`, false).forEach((m, j) => string(m, `${f}.block.markers[${j}]`));
    }
    array(s.cookies, `${f}.cookies`, true).forEach((cv, j) => {
      const cf = `${f}.cookies[${j}]`;
      const c = object(cv, cf, COOKIE_FIELDS, REQUIRED_COOKIE_FIELDS);
      const name = string(c.name, `${cf}.name`, COOKIE_NAME_RE, "is not a valid cookie name (RFC 6265 token)");
      boolean(c.prefix, `${cf}.prefix`);
      const owner = (c.prefix ? "prefix " : "") + name;
      if (cookieOwners.has(owner)) fail(`${cf}.name`, `cookie ${owner} is already declared by ${cookieOwners.get(owner)}`);
      cookieOwners.set(owner, `service "${id}"`);
      if (category === "necessary" && !c.prefix) necessaryCookies.add(name);
      duration(c.duration, `${cf}.duration`);
      if (c.function !== undefined) text(c.function, `${cf}.function`);
      if (c.purpose !== undefined) text(c.purpose, `${cf}.purpose`);
      boolean(c.httpOnly, `${cf}.httpOnly`);
      boolean(c.secure, `${cf}.secure`);
      if (c.paths !== undefined) {
        array(c.paths, `${cf}.paths`, true).forEach((path, k) => string(path, `${cf}.paths[${k}]`, PATH_RE, "must start with / and hold no ';' or control characters"));
      }
      if (c.domains !== undefined) {
        array(c.domains, `${cf}.domains`, true).forEach((d, k) => {
          const df = `${cf}.domains[${k}]`;
          if (d === "host") return;
          if (d === "parent") {
            for (const host of hosts as string[]) {
              if (resolveParentDomain(host, p as { parentDomain?: string; parentDomains?: Record<string, string> }) === undefined) {
                fail(df, `"parent" has no domain on host ${JSON.stringify(host)}: declare one in parentDomains`);
              }
            }
            return;
          }
          hostname(d, df);
        });
      }
    });
  });
  for (const name of NECESSARY_COOKIES) {
    if (!necessaryCookies.has(name)) fail("services", `no necessary service declares the cookie "${name}"`);
  }

  const { $schema: _ignored, ...policy } = p;
  return policy as unknown as TenantPolicy;
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}
