// The policy source over real local KV (miniflare's, bound as POLICY_KV from wrangler.toml):
// a tenant pushed to KV is served without a deploy once the isolate's cache expires; KV failing
// (a wrapper over the real binding that throws) or giving a value that does not verify keeps
// the last valid policy; the bundle answers for hosts KV does not know. The clock is passed in.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { POLICIES } from "../../src/policy";
import { policyHash } from "../../src/proof/policy-hash";
import { kvPolicySource, policyKey, tenantOf, type PolicySource, type TenantLookup } from "../../src/policy-source";
import { pushToKv, tenantLike } from "./kv-write";

// A namespace of its own (vitest.config.ts): what these tests push never reaches other test files.
const KV = env.POLICY_TEST_KV;
const TTL = 60_000;
const T0 = 1_000_000;

/** The real binding, with reads that throw while `broken.on` is set (KV unreachable). */
function breakable(kv: KVNamespace) {
  const broken = { on: false, reads: 0 };
  const wrapped = {
    get: (...args: unknown[]) => {
      broken.reads++;
      if (broken.on) return Promise.reject(new Error("KV GET failed: 503 Service Unavailable"));
      return (kv.get as (...a: unknown[]) => unknown)(...args);
    },
    getWithMetadata: (...args: unknown[]) => {
      broken.reads++;
      if (broken.on) return Promise.reject(new Error("KV GET failed: 503 Service Unavailable"));
      return (kv.getWithMetadata as (...a: unknown[]) => unknown)(...args);
    },
  } as unknown as KVNamespace;
  return { kv: wrapped, broken };
}

function source(kv: KVNamespace, logs: object[] = []): PolicySource {
  return kvPolicySource(kv, POLICIES, { ttlMs: TTL, retryMs: 5_000, log: (l) => logs.push(l) });
}

const necessaryCookies = (l: TenantLookup) => ("policy" in l ? l.policy.services.filter((s) => s.category === "necessary").flatMap((s) => s.cookies.map((c) => c.name)) : []);
const idOf = (l: TenantLookup) => ("policy" in l ? `${l.policy.id}/${l.from}` : "missing" in l ? "missing" : "unavailable");

describe("KV policy source", () => {
  it("serves a tenant only KV knows, the bundle's hosts from the bundle, and 421 for a host in neither", async () => {
    await pushToKv(KV, tenantLike("kv-new", ["kv-new.example.org"]));
    const s = source(KV);
    expect(idOf(await s.forHost("kv-new.example.org", T0))).toBe("kv-new/kv");
    expect(idOf(await s.forHost("maia.opendatasoft.com", T0))).toBe("maia/bundle");
    expect(idOf(await s.forHost("nobody.example.org", T0))).toBe("missing");
    const at = (host: string) => new Request(`https://${host}/`);
    expect(await tenantOf(at("nobody.example.org"), s, undefined, T0)).toMatchObject({ status: 421 });
    expect(await tenantOf(at("KV-NEW.example.org.:443"), s, undefined, T0)).toMatchObject({ host: "kv-new.example.org", policy: { id: "kv-new" } });
  });

  it("a bundled policy pushed unchanged is served from KV with the same policy hash (consent records name the same text)", async () => {
    await pushToKv(KV, tenantLike("maia", ["maia.opendatasoft.com"]));
    const found = await source(KV).forHost("maia.opendatasoft.com", T0);
    expect(idOf(found)).toBe("maia/kv");
    expect("policy" in found && (await policyHash(found.policy))).toBe(await policyHash(POLICIES.byId("maia")!));
    await KV.delete("host:maia.opendatasoft.com");
  });

  it("a KV policy wins over the bundled one for its hosts", async () => {
    await pushToKv(KV, tenantLike("inai", ["inai.opendatasoft.com"], (p) => void (p.revision = "kv-revision")));
    const s = source(KV);
    const found = await s.forHost("inai.opendatasoft.com", T0);
    expect(idOf(found)).toBe("inai/kv");
    expect("policy" in found && found.policy.revision).toBe("kv-revision");
    await KV.delete("host:inai.opendatasoft.com");
    await KV.delete(policyKey("inai"));
  });

  it("a change is served once the cache time has passed, not before, and costs no read while fresh", async () => {
    const { kv, broken } = breakable(KV);
    await pushToKv(KV, tenantLike("kv-change", ["kv-change.example.org"]));
    const s = source(kv);
    expect(necessaryCookies(await s.forHost("kv-change.example.org", T0))).not.toContain("new_session");
    const reads = broken.reads;
    await pushToKv(KV, tenantLike("kv-change", ["kv-change.example.org"], (p) => void p.services[0].cookies.push({ name: "new_session", duration: "session" } as never)));
    expect(necessaryCookies(await s.forHost("kv-change.example.org", T0 + TTL - 1))).not.toContain("new_session");
    expect(broken.reads).toBe(reads);
    expect(necessaryCookies(await s.forHost("kv-change.example.org", T0 + TTL))).toContain("new_session");
  });

  it("keeps the last valid policy while KV throws, and asks again only after the retry delay", async () => {
    const logs: object[] = [];
    const { kv, broken } = breakable(KV);
    await pushToKv(KV, tenantLike("kv-down", ["kv-down.example.org"]));
    const s = source(kv, logs);
    const first = await s.forHost("kv-down.example.org", T0);
    expect(idOf(first)).toBe("kv-down/kv");
    broken.on = true;
    const later = await s.forHost("kv-down.example.org", T0 + TTL);
    expect("policy" in later && "policy" in first && later.policy).toBe("policy" in first && first.policy);
    expect(logs).toContainEqual(expect.objectContaining({ msg: "consent-edge: policy store read failed", key: "host:kv-down.example.org" }));
    const reads = broken.reads;
    expect(idOf(await s.forHost("kv-down.example.org", T0 + TTL + 4_999))).toBe("kv-down/kv");
    expect(broken.reads).toBe(reads);
    expect(idOf(await s.forHost("kv-down.example.org", T0 + 10 * TTL))).toBe("kv-down/kv");
    expect(broken.reads).toBeGreaterThan(reads);
    // A fresh isolate while KV is down: the bundle for bundled hosts, 503 for the others.
    const cold = source(kv);
    expect(idOf(await cold.forHost("maia.opendatasoft.com", T0))).toBe("maia/bundle");
    expect(idOf(await cold.forHost("kv-down.example.org", T0))).toBe("unavailable");
    expect(await tenantOf(new Request("https://kv-down.example.org/"), cold, undefined, T0)).toMatchObject({ status: 503 });
    broken.on = false;
    expect(idOf(await cold.forHost("kv-down.example.org", T0 + TTL))).toBe("kv-down/kv");
  });

  const damages: Array<[string, (kv: KVNamespace, good: { metadata: unknown; text: string }) => Promise<void>]> = [
    ["content changed under the same hash", (kv, g) => kv.put(policyKey("kv-bad"), g.text.replace('"necessary"', '"statistics"'), { metadata: g.metadata })],
    ["truncated value", (kv, g) => kv.put(policyKey("kv-bad"), g.text.slice(0, g.text.length >> 1), { metadata: g.metadata })],
    ["no metadata", (kv, g) => kv.put(policyKey("kv-bad"), g.text)],
    ["another tenant's policy", async (kv) => {
      const other = tenantLike("kv-other", ["kv-other.example.org"]);
      await pushToKv(kv, other);
      const read = await kv.getWithMetadata(policyKey("kv-other"), "text");
      await kv.put(policyKey("kv-bad"), read.value!, { metadata: read.metadata });
    }],
    ["a policy that does not compile (hash recomputed)", async (kv) => {
      await pushToKv(kv, tenantLike("kv-bad", ["kv-bad.example.org"], (p) => void ((p as { services: unknown }).services = [{ id: "x", cookies: 7 }])));
    }],
  ];
  it.each(damages)("keeps the last valid policy when KV gives a value that does not verify: %s", async (_, damage) => {
    const logs: object[] = [];
    await pushToKv(KV, tenantLike("kv-bad", ["kv-bad.example.org"]));
    const good = await KV.getWithMetadata(policyKey("kv-bad"), "text");
    const s = source(KV, logs);
    const first = await s.forHost("kv-bad.example.org", T0);
    expect(idOf(first)).toBe("kv-bad/kv");
    await damage(KV, { metadata: good.metadata, text: good.value! });
    const later = await s.forHost("kv-bad.example.org", T0 + TTL);
    expect("policy" in later && later.policy).toBe("policy" in first && first.policy);
    // Under the metadata already verified, the isolate does not even parse the value again.
    const read = await KV.getWithMetadata(policyKey("kv-bad"), "text");
    const sameHash = (read.metadata as { sha256?: string } | null)?.sha256 === (good.metadata as { sha256: string }).sha256;
    if (!sameHash) expect(logs).toContainEqual(expect.objectContaining({ key: policyKey("kv-bad"), error: expect.stringMatching(/^does not verify: /) }));
    // With nothing valid cached (a fresh isolate) and no bundled policy: 503, never the damaged one.
    expect(idOf(await source(KV).forHost("kv-bad.example.org", T0))).toBe("unavailable");
  });
});
