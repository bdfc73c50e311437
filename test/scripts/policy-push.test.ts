// What `npm run policies -- --push` writes (scripts/lib/policy-push.mjs pushPlan), from the
// validated policies and the namespace's current keys: only what changed, the hosts a pushed
// tenant dropped deleted, and a host another tenant holds in KV refused. Pure; no wrangler.
import { describe, expect, it } from "vitest";
import { pushPlan } from "../../scripts/lib/policy-push.mjs";
import { loadPolicyCode } from "../../scripts/lib/policy-code.mjs";

const { kvLayout: layout } = await loadPolicyCode();
const policy = (id: string, hosts: string[], revision = "r1", text = "") => ({ id, hosts, revision, text });
const hashOf = (p: { id: string; revision: string; text: string; hosts: string[] }) => `${p.id}|${p.revision}|${p.text}|${p.hosts.join(",")}`.padEnd(64, "0");
const plan = (policies: ReturnType<typeof policy>[], current: Array<{ name: string; metadata: unknown }>) =>
  pushPlan({ policies, current, now: 1, layout, hashOf });
const meta = (p: ReturnType<typeof policy>) => ({ format: layout.POLICY_FORMAT, id: p.id, revision: p.revision, sha256: hashOf(p), pushedAt: 0 });

describe("pushPlan", () => {
  it("writes every policy then its hosts into an empty namespace", () => {
    const p = plan([policy("a", ["a.example.org", "www.a.example.org"])], []);
    expect(p.puts.map((x: { key: string }) => x.key)).toEqual(["policy:a", "host:a.example.org", "host:www.a.example.org"]);
    expect(p.puts[0].metadata).toMatchObject({ format: layout.POLICY_FORMAT, id: "a", revision: "r1", sha256: hashOf(policy("a", ["a.example.org", "www.a.example.org"])) });
    expect(p.puts[1]).toMatchObject({ value: "a", metadata: { tenant: "a" } });
    expect(p.changed).toEqual([expect.objectContaining({ id: "a", before: null })]);
  });

  it("writes nothing for an unchanged policy, and names a revision change apart from a content change", () => {
    const a = policy("a", ["a.example.org"]);
    const b = policy("b", ["b.example.org"]);
    const current = [{ name: "policy:a", metadata: meta(a) }, { name: "host:a.example.org", metadata: { tenant: "a" } }, { name: "policy:b", metadata: meta(b) }, { name: "host:b.example.org", metadata: { tenant: "b" } }];
    const p = plan([a, policy("b", ["b.example.org"], "r2")], current);
    expect(p.unchanged).toEqual(["a"]);
    expect(p.changed).toEqual([expect.objectContaining({ id: "b", revision: "r2", before: { revision: "r1", sha256: hashOf(b) } })]);
    expect(p.puts.map((x: { key: string }) => x.key)).toEqual(["policy:b"]);
  });

  it("deletes a host the pushed tenant no longer claims, and moves a host between two pushed tenants", () => {
    const current = [
      { name: "host:old.a.example.org", metadata: { tenant: "a" } },
      { name: "host:moving.example.org", metadata: { tenant: "a" } },
    ];
    const p = plan([policy("a", ["a.example.org"]), policy("b", ["moving.example.org"])], current);
    expect(p.deletes).toEqual(["host:old.a.example.org"]);
    expect(p.puts).toContainEqual(expect.objectContaining({ key: "host:moving.example.org", value: "b" }));
    expect(p.conflicts).toEqual([]);
  });

  it("refuses a host that KV gives to a tenant outside the folder, and leaves that tenant alone", () => {
    const current = [{ name: "policy:other", metadata: {} }, { name: "host:shared.example.org", metadata: { tenant: "other" } }];
    const p = plan([policy("a", ["shared.example.org"])], current);
    expect(p.conflicts).toEqual(['a.json: host "shared.example.org" is claimed in KV by tenant other, which is not in this folder']);
    expect(p.notInFolder).toEqual(["other"]);
    expect(p.deletes).toEqual([]);
  });
});
