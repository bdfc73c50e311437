// The worker's signed consent record: what verifies, what does not, and the cookie line.
import { describe, expect, it } from "vitest";
import {
  consentKey,
  isRecordCookieName,
  newConsentRecord,
  newRecordId,
  readConsentRecord,
  RECORD_COOKIE,
  RECORD_COOKIE_HTTP,
  RECORD_MAX_AGE,
  recordSetCookie,
  signConsentRecord,
  verifyConsentRecord,
} from "../../src/consent/record";
import { NECESSARY_ONLY } from "../../src/consent/types";
import { POLICIES } from "../../src/policy";
import { compilePolicy } from "../../src/policy/compile";
import { TEST_CONSENT_SECRET } from "../secret";

const MAIA = POLICIES.byId("maia")!;
const INAI = POLICIES.byId("inai")!;
const NOW = Date.UTC(2026, 11, 1);
const key = () => consentKey(TEST_CONSENT_SECRET)!;

async function sign(granted: string[], policy = MAIA, decidedAt = NOW, secret = TEST_CONSENT_SECRET) {
  return signConsentRecord({ recordId: newRecordId(), decidedAt, granted: new Set(granted) }, policy, await consentKey(secret)!);
}

describe("newRecordId", () => {
  it("is 16 random bytes as 22 base64url characters, different every time", () => {
    const ids = new Set(Array.from({ length: 200 }, newRecordId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe("sign and verify", () => {
  it("round-trips the granted keys, the id and the decision time", async () => {
    const record = newConsentRecord(["matomo", "ga", "unknown-key"], NOW);
    const value = await signConsentRecord(record, MAIA, await key());
    expect(value).toMatch(/^v1\.[A-Za-z0-9_-]{22}\.\d+\.ga~matomo\.[A-Za-z0-9_-]{43}$/);
    const consent = await verifyConsentRecord(value, MAIA, await key(), NOW);
    expect(consent).toMatchObject({ explicit: true, source: "cookie", recordId: record.recordId, decidedAt: NOW });
    expect([...consent!.granted].sort()).toEqual(["ga", "matomo"]);
  });

  it("records a refusal as a choice with nothing granted", async () => {
    const consent = await verifyConsentRecord(await sign([]), MAIA, await key(), NOW);
    expect(consent?.explicit).toBe(true);
    expect(consent?.granted.size).toBe(0);
  });

  it("refuses another tenant's valid record (replay), another revision, another secret", async () => {
    const value = await sign(["ga"], INAI);
    expect(await verifyConsentRecord(value, INAI, await key(), NOW)).toBeDefined();
    expect(await verifyConsentRecord(value, MAIA, await key(), NOW)).toBeUndefined();
    const revised = compilePolicy({ ...MAIA, revision: `${MAIA.revision}-2` });
    expect(await verifyConsentRecord(await sign(["ga"]), revised, await key(), NOW)).toBeUndefined();
    const other = await sign(["ga"], MAIA, NOW, "another-secret-of-enough-length");
    expect(await verifyConsentRecord(other, MAIA, await key(), NOW)).toBeUndefined();
  });

  it("refuses every edited field and malformed values", async () => {
    const value = await sign(["ga"]);
    const [v, id, at, keys, mac] = value.split(".");
    const bad = [
      "",
      "v1",
      value + ".",
      `v2.${id}.${at}.${keys}.${mac}`,
      `${v}.${newRecordId()}.${at}.${keys}.${mac}`,
      `${v}.${id}.${Number(at) - 1}.${keys}.${mac}`,
      `${v}.${id}.${at}.ga~matomo.${mac}`,
      `${v}.${id}.${at}..${mac}`,
      `${v}.${id}.${at}.${keys}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`,
      `${v}.${id}.${at}.${keys}.${mac}=`,
      `${v}.${id}.0${at}.${keys}.${mac}`,
      `${v}.${id}.${at}.GA.${mac}`,
      value.replace(/\./g, "|"),
      "v1." + "A".repeat(600),
      decodeURIComponent("%E2%80%8B") + value,
    ];
    for (const b of bad) expect(await verifyConsentRecord(b, MAIA, await key(), NOW), b).toBeUndefined();
  });

  it("refuses a MAC spelled with its unused last bits set (same bytes, another string)", async () => {
    const value = await sign(["ga"]);
    const head = value.slice(0, -1);
    const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = ALPHABET.indexOf(value.at(-1)!);
    expect(last % 4).toBe(0); // the worker writes the canonical spelling
    for (let low = 1; low < 4; low++) {
      const twin = head + ALPHABET[last + low];
      expect(await verifyConsentRecord(twin, MAIA, await key(), NOW), twin).toBeUndefined();
    }
  });

  it("lets a record expire after RECORD_MAX_AGE", async () => {
    const value = await sign(["ga"]);
    expect(await verifyConsentRecord(value, MAIA, await key(), NOW + RECORD_MAX_AGE * 1000)).toBeDefined();
    expect(await verifyConsentRecord(value, MAIA, await key(), NOW + RECORD_MAX_AGE * 1000 + 1)).toBeUndefined();
  });
});

describe("readConsentRecord", () => {
  it("is no choice without values, without a key, or with two different values", async () => {
    const a = await sign(["ga"]);
    const b = await sign(["matomo"]);
    expect(await readConsentRecord([], MAIA, key(), NECESSARY_ONLY, NOW)).toBe(NECESSARY_ONLY);
    expect(await readConsentRecord([a], MAIA, undefined, NECESSARY_ONLY, NOW)).toBe(NECESSARY_ONLY);
    expect(await readConsentRecord([a, b], MAIA, key(), NECESSARY_ONLY, NOW)).toBe(NECESSARY_ONLY);
    expect((await readConsentRecord([a, a], MAIA, key(), NECESSARY_ONLY, NOW)).explicit).toBe(true);
  });
});

describe("consentKey", () => {
  it("is undefined, with one log line per isolate, for a missing or short secret", () => {
    const lines: string[] = [];
    expect(consentKey(undefined, (l) => lines.push(l))).toBeUndefined();
    expect(consentKey("short", (l) => lines.push(l))).toBeUndefined();
    expect(consentKey("", (l) => lines.push(l))).toBeUndefined();
    expect(lines.length).toBeLessThanOrEqual(1); // another test of this isolate may have logged it already
    for (const line of lines) expect(line).toContain("wrangler secret put CONSENT_SECRET");
  });
});

describe("cookie names and line", () => {
  it("writes a __Host- line over https: Secure, Path=/, no Domain, HttpOnly, SameSite=Lax", () => {
    const line = recordSetCookie("v1.x", { secure: true, now: NOW });
    expect(line).toMatch(new RegExp(`^${RECORD_COOKIE}=v1\\.x; Path=/; Max-Age=${RECORD_MAX_AGE}; Expires=[^;]+ GMT; HttpOnly; SameSite=Lax; Secure$`));
    expect(line).not.toMatch(/Domain/i);
  });

  it("writes the unprefixed fallback over http, without Secure", () => {
    const line = recordSetCookie("v1.x", { secure: false, now: NOW });
    expect(line.startsWith(`${RECORD_COOKIE_HTTP}=v1.x; Path=/;`)).toBe(true);
    expect(line).not.toContain("Secure");
  });

  it("recognises the record under any case or prefix", () => {
    for (const n of ["__Host-consent-edge", "__host-CONSENT-EDGE", "__Secure-consent-edge", "consent-edge", "consent-edge-http", "__Host-consent-edge-http"]) {
      expect(isRecordCookieName(n), n).toBe(true);
    }
    for (const n of ["consent-edge2", "__Http-consent-edge", "x-consent-edge", "cookies_preferences"]) expect(isRecordCookieName(n), n).toBe(false);
  });
});

describe("the per-isolate cache of verified records", () => {
  const importKey = (secret: string) =>
    crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);

  it("trusts a cached value only under the key, tenant and revision it was verified with", async () => {
    const value = await sign(["ga"]);
    const trusted = await readConsentRecord([value], MAIA, key(), NECESSARY_ONLY, NOW);
    expect(trusted.explicit).toBe(true);
    // Now cached. Another key (made without consentKey, so nothing clears the cache) must not trust it.
    const other = importKey("another-secret-of-enough-length");
    expect(await readConsentRecord([value], MAIA, other, NECESSARY_ONLY, NOW)).toBe(NECESSARY_ONLY);
    expect(await verifyConsentRecord(value, MAIA, await other, NOW)).toBeUndefined();
    // Another tenant, another revision of the same tenant.
    expect(await readConsentRecord([value], INAI, key(), NECESSARY_ONLY, NOW)).toBe(NECESSARY_ONLY);
    const revised = compilePolicy({ ...MAIA, revision: `${MAIA.revision}-2` });
    expect(await readConsentRecord([value], revised, key(), NECESSARY_ONLY, NOW)).toBe(NECESSARY_ONLY);
    // And still trusted where it was, as the same value.
    expect(await readConsentRecord([value], MAIA, key(), NECESSARY_ONLY, NOW)).toBe(trusted);
  });

  it("a hit still expires the record, and still refuses two different values", async () => {
    const a = await sign(["ga"]);
    const b = await sign(["matomo"]);
    expect((await readConsentRecord([a], MAIA, key(), NECESSARY_ONLY, NOW)).explicit).toBe(true);
    expect((await readConsentRecord([b], MAIA, key(), NECESSARY_ONLY, NOW)).explicit).toBe(true);
    expect(await readConsentRecord([a], MAIA, key(), NECESSARY_ONLY, NOW + RECORD_MAX_AGE * 1000 + 1)).toBe(NECESSARY_ONLY);
    expect(await readConsentRecord([a, b], MAIA, key(), NECESSARY_ONLY, NOW)).toBe(NECESSARY_ONLY);
    expect((await readConsentRecord([a], MAIA, key(), NECESSARY_ONLY, NOW)).explicit).toBe(true);
  });

  it("a forged twin of a cached value is not trusted", async () => {
    const value = await sign(["ga"]);
    expect((await readConsentRecord([value], MAIA, key(), NECESSARY_ONLY, NOW)).explicit).toBe(true);
    const [v, id, at, , mac] = value.split(".");
    for (const forged of [`${v}.${id}.${at}.ga~matomo.${mac}`, `${v}.${id}.${Number(at) + 1}.ga.${mac}`, `${value} `]) {
      expect(await readConsentRecord([forged], MAIA, key(), NECESSARY_ONLY, NOW), forged).toBe(NECESSARY_ONLY);
    }
  });

  it("hands out the same frozen consent for the same value (the portal value is memoised on it)", async () => {
    const value = await sign(["matomo"]);
    const first = await readConsentRecord([value], MAIA, key(), NECESSARY_ONLY, NOW);
    const again = await readConsentRecord([`${value}`], MAIA, key(), NECESSARY_ONLY, NOW + 1);
    expect(again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(await verifyConsentRecord(value, MAIA, await key(), NOW)).toBe(first);
  });
});
