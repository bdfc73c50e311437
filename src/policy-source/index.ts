/**
 * The only place that reads tenant policies at run time: the bundled ones (src/policy, the
 * embedded default) and those pushed to Workers KV (`npm run policies -- --push`, layout.ts).
 * A request pays for its own host and its own tenant only: one KV read each when the isolate's
 * cache has nothing fresh (POLICY_CACHE_SECONDS, default 60), none otherwise. KV wins over the
 * bundle for a host it knows; a host KV does not know is the bundle's (or 421). When KV throws or
 * gives a value that does not verify (verify.ts), the isolate keeps serving the last valid
 * policy it had, and asks again after RETRY_MS; with none, the bundle's, else 503.
 * Never throws. The clock is passed in (`now`).
 */
import { normalizeHost, type PolicyRegistry } from "../policy/registry";
import type { CompiledPolicy } from "../policy/types";
import { TtlCache } from "./cache";
import { hostKey, policyKey } from "./layout";
import { verifyPolicyEntry } from "./verify";

export { HOST_PREFIX, POLICY_FORMAT, POLICY_PREFIX, hostKey, policyKey, readPolicyMetadata, type HostMetadata, type PolicyMetadata } from "./layout";
export { TtlCache } from "./cache";
export { verifyPolicyEntry } from "./verify";

export type TenantLookup =
  | Readonly<{ policy: CompiledPolicy; from: "kv" | "bundle" }>
  /** No source knows the host (or tenant): 421, as without KV. */
  | Readonly<{ missing: true }>
  /** KV may know it but could not be read, or gave nothing valid, and nothing valid is cached: 503. */
  | Readonly<{ unavailable: string }>;

export interface PolicySource {
  /** The tenant of a normalized host. */
  forHost(host: string, now: number): Promise<TenantLookup>;
  /** A tenant by id (the development tenant). */
  forId(id: string, now: number): Promise<TenantLookup>;
  /** The policy this isolate last served for a tenant, without I/O (the inventory's classification). */
  known(id: string): CompiledPolicy | undefined;
}

export interface KvSourceOptions {
  /** How long a policy or host read from KV is served without asking again (ms). */
  ttlMs: number;
  /** After a failed read (or a value that does not verify), ask again this much later (ms); default min(ttlMs, 5 s). */
  retryMs?: number;
  /** Hosts and policies kept per isolate, each; default 10,000. */
  max?: number;
  /** One structured line per failed read; default console.error of the JSON. */
  log?: (line: object) => void;
}

/** A policy source over the bundle alone (no KV binding). */
export function bundledSource(bundled: PolicyRegistry): PolicySource {
  return {
    forHost: async (host) => fromBundle(bundled.byHost(host)),
    forId: async (id) => fromBundle(bundled.byId(id)),
    known: (id) => bundled.byId(id),
  };
}

const MISSING: TenantLookup = Object.freeze({ missing: true });
const BUNDLE_LOOKUPS = new WeakMap<CompiledPolicy, TenantLookup>();
function fromBundle(policy: CompiledPolicy | undefined): TenantLookup {
  if (!policy) return MISSING;
  let hit = BUNDLE_LOOKUPS.get(policy);
  if (!hit) BUNDLE_LOOKUPS.set(policy, (hit = Object.freeze({ policy, from: "bundle" })));
  return hit;
}

interface PolicyEntry {
  lookup: TenantLookup & { policy: CompiledPolicy };
  sha256: string;
}
/** A read that failed with nothing to fall back on in the cache. */
const FAILED = Symbol("failed");

export function kvPolicySource(kv: KVNamespace, bundled: PolicyRegistry, options: KvSourceOptions): PolicySource {
  const max = options.max ?? 10_000;
  const retryMs = options.retryMs ?? Math.min(options.ttlMs, 5_000);
  const log = options.log ?? ((line: object) => console.error(JSON.stringify(line)));
  // host → tenant id, or null when KV has no such host.
  const hosts = new TtlCache<string | null>({ ttlMs: options.ttlMs, max });
  // tenant id → its verified policy, or null when KV has no such policy.
  const policies = new TtlCache<PolicyEntry | null>({ ttlMs: options.ttlMs, max });
  // One read per key at a time, whatever the number of requests waiting for it.
  const reading = new Map<string, Promise<unknown>>();
  function once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = reading.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read().finally(() => reading.delete(key));
      reading.set(key, p);
    }
    return p;
  }

  function readHost(host: string, now: number): Promise<string | null | typeof FAILED> {
    return once(hostKey(host), async () => {
      try {
        const id = await kv.get(hostKey(host), "text");
        hosts.set(host, id, now);
        return id;
      } catch (e) {
        log({ msg: "consent-edge: policy store read failed", key: hostKey(host), error: String(e) });
        const last = hosts.peek(host);
        if (!last) return FAILED;
        hosts.set(host, last.value, now, retryMs);
        return last.value;
      }
    });
  }

  function readPolicy(id: string, now: number): Promise<PolicyEntry | null | typeof FAILED> {
    return once(policyKey(id), async () => {
      const last = policies.peek(id)?.value;
      const keepLast = (why: object): PolicyEntry | typeof FAILED => {
        log({ msg: "consent-edge: policy store read failed", key: policyKey(id), ...why, kept: last ? last.sha256 : null });
        if (!last) return FAILED;
        policies.set(id, last, now, retryMs);
        return last;
      };
      let read: KVNamespaceGetWithMetadataResult<string, unknown>;
      try {
        read = await kv.getWithMetadata(policyKey(id), "text");
      } catch (e) {
        return keepLast({ error: String(e) });
      }
      if (read.value === null) {
        // Not (or no longer) in KV: the bundle's, if any. A tenant is removed from KV on purpose.
        policies.set(id, null, now);
        return null;
      }
      const sha = (read.metadata as { sha256?: unknown } | null)?.sha256;
      // Unchanged since the last verified read: no parse, no hash.
      if (last && sha === last.sha256) {
        policies.set(id, last, now);
        return last;
      }
      const v = await verifyPolicyEntry(id, read.value, read.metadata);
      if (!v.ok) return keepLast({ error: `does not verify: ${v.reason}` });
      const entry: PolicyEntry = { lookup: Object.freeze({ policy: v.policy, from: "kv" }), sha256: v.sha256 };
      policies.set(id, entry, now);
      return entry;
    });
  }

  async function forId(id: string, now: number): Promise<TenantLookup> {
    let entry = policies.fresh(id, now);
    if (entry === undefined) {
      const read = await readPolicy(id, now);
      if (read === FAILED) return bundled.byId(id) ? fromBundle(bundled.byId(id)) : { unavailable: `the policy of tenant ${id} cannot be read` };
      entry = read;
    }
    return entry ? entry.lookup : fromBundle(bundled.byId(id));
  }

  return {
    async forHost(host, now) {
      let id = hosts.fresh(host, now);
      if (id === undefined) {
        const read = await readHost(host, now);
        if (read === FAILED) return bundled.byHost(host) ? fromBundle(bundled.byHost(host)) : { unavailable: "the tenant map cannot be read" };
        id = read;
      }
      if (id === null) return fromBundle(bundled.byHost(host));
      const found = await forId(id, now);
      // KV maps the host, but the tenant's policy is in no source: KV is between two writes.
      return "missing" in found ? { unavailable: `no policy for tenant ${id}` } : found;
    },
    forId,
    known: (id) => policies.peek(id)?.value?.lookup.policy ?? bundled.byId(id),
  };
}

/** POLICY_CACHE_SECONDS as milliseconds: a number of seconds >= 0, else the default 60 s. */
export function policyCacheMs(raw: string | undefined): number {
  const seconds = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 60_000;
}

let current: { kv: KVNamespace | undefined; ttl: string | undefined; source: PolicySource } | undefined;

/**
 * The isolate's policy source for a worker's env: over POLICY_KV when bound, else the bundle.
 * Made once per isolate (per binding and cache setting), so its cache lives as long as the isolate.
 */
export function policySourceOf(env: { POLICY_KV?: KVNamespace; POLICY_CACHE_SECONDS?: string }, bundled: PolicyRegistry): PolicySource {
  if (current && current.kv === env.POLICY_KV && current.ttl === env.POLICY_CACHE_SECONDS) return current.source;
  const source = env.POLICY_KV ? kvPolicySource(env.POLICY_KV, bundled, { ttlMs: policyCacheMs(env.POLICY_CACHE_SECONDS) }) : bundledSource(bundled);
  current = { kv: env.POLICY_KV, ttl: env.POLICY_CACHE_SECONDS, source };
  return source;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
const NORMALIZED = new Map<string, string | null>();
const NORMALIZED_MAX = 256;

export type SourcedTenant = Readonly<{ policy: CompiledPolicy; host: string }> | Readonly<{ status: 400 | 421 | 503; message: string }>;

/** The tenant of a request by its Host header (the URL's host when the runtime gives none), through `source`. */
export async function tenantOf(request: Request, source: PolicySource, devTenant: string | undefined, now: number): Promise<SourcedTenant> {
  const raw = request.headers.get("host") ?? new URL(request.url).host;
  let host = NORMALIZED.get(raw);
  if (host === undefined) {
    host = normalizeHost(raw);
    if (NORMALIZED.size < NORMALIZED_MAX) NORMALIZED.set(raw, host);
  }
  if (!host) return { status: 400, message: "The request has no valid Host." };
  let found = await source.forHost(host, now);
  if ("missing" in found && devTenant && LOOPBACK.has(host)) found = await source.forId(devTenant, now);
  if ("policy" in found) return { policy: found.policy, host };
  if ("missing" in found) return { status: 421, message: "This host is not served here." };
  return { status: 503, message: "This site's cookie policy cannot be read just now; try again in a minute." };
}
