/**
 * Loads policy files given as data (file name -> parsed JSON): merges each tenant with the base
 * it `extends`, validates, and checks ids and hosts, throwing a PolicyError that names the file
 * and field to fix. Pure; no I/O. The merge rule is documented in policies/README.md.
 * The worker does not run this: scripts/policies.mjs does, at build time, and ships the result
 * (src/policy/shipped.generated.ts); tests and library users build registries with it.
 */
import { compilePolicy } from "./compile";
import { deepFreeze, indexPolicies, type PolicyRegistry } from "./registry";
import type { TenantPolicy } from "./types";
import { isObject, PolicyError, validatePolicy } from "./validate";

type Json = Record<string, unknown>;
interface Located {
  file: string;
  field: string;
}

const FILE_RE = /^([a-z0-9][a-z0-9-]*)\.json$/;

/**
 * `bases` are keyed by file name under policies/base/ ("opendatasoft.json"), `tenants` by file
 * name under policies/ ("maia.json"), processed in key order. Throws PolicyError (file relative
 * to policies/) on bad input.
 */
export function createRegistry(bases: Record<string, unknown>, tenants: Record<string, unknown>): PolicyRegistry {
  return indexPolicies(loadPolicies(bases, tenants).map((p) => compilePolicy(deepFreeze(p))));
}

/** The merged, validated tenant policies, in the order of `tenants`' keys (see createRegistry). */
export function loadPolicies(bases: Record<string, unknown>, tenants: Record<string, unknown>): TenantPolicy[] {
  const baseByName = new Map<string, { file: string; data: Json }>();
  for (const key of Object.keys(bases).sort()) {
    const file = `base/${key}`;
    const data = bases[key];
    const m = FILE_RE.exec(key);
    if (!m) throw new PolicyError(file, "", "a base file name must be kebab-case and end in .json");
    if (!isObject(data)) throw new PolicyError(file, "", "must be a JSON object");
    if (data.extends !== undefined) throw new PolicyError(file, "extends", "a base cannot extend another base");
    baseByName.set(m[1], { file, data });
  }

  const all: TenantPolicy[] = [];
  const hostOwner = new Map<string, string>();
  // In the order given: on a host claimed twice, the file that comes second is the one named
  // (scripts/policies.mjs passes the files oldest first, so a new file is blamed, not the old one).
  for (const file of Object.keys(tenants)) {
    const data = tenants[file];
    const m = FILE_RE.exec(file);
    if (!m) throw new PolicyError(file, "", "a tenant file name must be kebab-case and end in .json");
    if (!isObject(data)) throw new PolicyError(file, "", "must be a JSON object");

    let merged: Json = data;
    let locate = (field: string): Located => ({ file, field });
    if (data.extends !== undefined) {
      const name = data.extends;
      const base = typeof name === "string" ? baseByName.get(name) : undefined;
      if (!base) {
        const known = [...baseByName.keys()].join(", ") || "none";
        throw new PolicyError(file, "extends", `unknown base ${JSON.stringify(name)} (known: ${known})`);
      }
      ({ merged, locate } = mergeTenant(base.data, base.file, data, file));
    }

    let policy;
    try {
      policy = validatePolicy(merged, file);
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      const at = locate(e.field);
      throw new PolicyError(at.file, at.field, e.reason);
    }
    if (policy.id !== m[1]) throw new PolicyError(file, "id", `must match the file name ("${m[1]}"), got ${JSON.stringify(policy.id)}`);
    policy.hosts.forEach((host, i) => {
      const other = hostOwner.get(host);
      if (other) throw new PolicyError(file, `hosts[${i}]`, `host "${host}" is already claimed by ${other}.json`);
      hostOwner.set(host, policy.id);
    });
    all.push(policy);
  }
  return all;
}

/**
 * Top-level fields of the tenant replace the base's, except `necessarySources`, appended to the
 * base's list, `ui`, merged per language and key, and `services`, merged by id: a new id is appended; a known id is merged field by field onto the base service, with `block.hosts` and
 * `block.markers` appended to the base's lists. `locate` maps a field of the merged policy back
 * to the file (and index) it came from, so errors point at the line to fix.
 */
function mergeTenant(base: Json, baseFile: string, tenant: Json, tenantFile: string) {
  const { $schema: _b, ...b } = base;
  const { $schema: _t, extends: _e, ...t } = tenant;
  const merged: Json = { ...b, ...t };
  const baseSources = Array.isArray(b.necessarySources) ? b.necessarySources : undefined;
  if (baseSources && Array.isArray(t.necessarySources)) merged.necessarySources = [...baseSources, ...t.necessarySources];
  // UI strings merge per language and key: a tenant overriding one string keeps the base's others.
  const baseUi = isObject(b.ui) ? b.ui : undefined;
  const tenantUi = isObject(t.ui) ? t.ui : undefined;
  if (baseUi && tenantUi) {
    const ui: Json = { ...baseUi };
    for (const [lang, strings] of Object.entries(tenantUi)) {
      ui[lang] = isObject(baseUi[lang]) && isObject(strings) ? { ...baseUi[lang], ...strings } : strings;
    }
    merged.ui = ui;
  }
  const baseServices = Array.isArray(b.services) ? b.services : undefined;
  const tenantServices = Array.isArray(t.services) ? t.services : undefined;
  // For each merged service: its index in the base file and/or in the tenant file.
  const origins: Array<{ base?: number; tenant?: number }> = [];
  if (baseServices && tenantServices) {
    const services = baseServices.slice();
    baseServices.forEach((_, i) => origins.push({ base: i }));
    tenantServices.forEach((s, j) => {
      const k = isObject(s) ? baseServices.findIndex((x) => isObject(x) && x.id === s.id) : -1;
      if (k >= 0 && origins[k].tenant === undefined) {
        services[k] = mergeService(baseServices[k], s as Json);
        origins[k].tenant = j;
      } else {
        services.push(s);
        origins.push({ tenant: j });
      }
    });
    merged.services = services;
  }

  function locate(field: string): Located {
    const inTenant = { file: tenantFile, field };
    const m = /^([^.[]*)(?:\[(\d+)\])?(.*)$/.exec(field)!;
    const key = m[1];
    if (key === "necessarySources" && baseSources && m[2] !== undefined && Object.hasOwn(t, key)) {
      const n = Number(m[2]);
      if (n < baseSources.length) return { file: baseFile, field };
      return { file: tenantFile, field: `necessarySources[${n - baseSources.length}]${m[3]}` };
    }
    if (key === "ui" && baseUi && tenantUi) {
      // ui.<lang>[.<key>]: the file that wrote the string, else the one that brought the language.
      const [, lang, uiKey] = field.split(".");
      const t = isObject(tenantUi[lang]) ? tenantUi[lang] : undefined;
      const b = isObject(baseUi[lang]) ? baseUi[lang] : undefined;
      if (t && (uiKey === undefined || Object.hasOwn(t, uiKey) || !b || !Object.hasOwn(b, uiKey))) return inTenant;
      return b || !t ? { file: baseFile, field } : inTenant;
    }
    const origin = key === "services" && m[2] !== undefined ? origins[Number(m[2])] : undefined;
    if (!origin) {
      if (key === "" || Object.hasOwn(t, key) || !Object.hasOwn(b, key)) return inTenant;
      return { file: baseFile, field };
    }
    const rest = m[3];
    const fromBase = { file: baseFile, field: `services[${origin.base}]${rest}` };
    const fromTenant = { file: tenantFile, field: `services[${origin.tenant}]${rest}` };
    if (origin.tenant === undefined) return fromBase;
    if (origin.base === undefined) return fromTenant;
    // A base service the tenant overrides: find which file wrote the field.
    const bs = baseServices![origin.base] as Json;
    const ts = tenantServices![origin.tenant] as Json;
    const sub = /^\.([^.[]+)(?:\.([^.[]+)(?:\[(\d+)\])?)?(.*)$/.exec(rest);
    if (!sub) return fromTenant;
    if (sub[1] === "block" && isObject(ts.block) && isObject(bs.block) && sub[2] !== undefined) {
      const baseList = bs.block[sub[2]];
      if (sub[3] !== undefined && Array.isArray(baseList) && Array.isArray(ts.block[sub[2]])) {
        const n = Number(sub[3]);
        if (n < baseList.length) return fromBase;
        return { file: tenantFile, field: `services[${origin.tenant}].block.${sub[2]}[${n - baseList.length}]${sub[4]}` };
      }
      return Object.hasOwn(ts.block, sub[2]) ? fromTenant : fromBase;
    }
    return Object.hasOwn(ts, sub[1]) || !Object.hasOwn(bs, sub[1]) ? fromTenant : fromBase;
  }

  return { merged, locate };
}

function mergeService(base: unknown, tenant: Json): Json {
  if (!isObject(base)) return tenant;
  const merged: Json = { ...base, ...tenant };
  if (isObject(base.block) && isObject(tenant.block)) {
    const block: Json = { ...base.block, ...tenant.block };
    for (const key of ["hosts", "markers"]) {
      const a = base.block[key];
      const b = tenant.block[key];
      if (Array.isArray(a) && Array.isArray(b)) block[key] = [...a, ...b];
    }
    merged.block = block;
  }
  return merged;
}
