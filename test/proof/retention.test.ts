// The retention job in real local D1: exactly the records older than the period go.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { retentionCutoff } from "../../src/proof/retention";

const NOW = Date.UTC(2026, 11, 1, 3, 17);
const DAY = 86_400_000;

async function insertRecord(id: string, createdAt: number): Promise<void> {
  await env.RETENTION_TEST_DB.prepare(
    "INSERT INTO consent_records (id, tenant, created_at, kind, action, revision, policy_sha256, choices, withdrawn, place, via, lang, browser) " +
      "VALUES (?, 'maia', ?, 'choice', 'accept', 'r1', 'x', '{}', '[]', 'page', 'form', 'en', 'other')",
  )
    .bind(id, createdAt)
    .run();
}

async function insertInventory(name: string, lastSeen: number): Promise<void> {
  await env.RETENTION_TEST_DB.prepare(
    "INSERT INTO cookie_inventory (tenant, source, name, service, first_seen, last_seen, count) VALUES ('maia', 'origin', ?, NULL, ?, ?, 1)",
  )
    .bind(name, lastSeen, lastSeen)
    .run();
}

async function runJob(vars: Partial<Env> = {}): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: NOW, cron: "17 3 * * *" }), { ...env, DB: env.RETENTION_TEST_DB, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
}

describe("retention job", () => {
  it("deletes exactly the records (and inventory lines) older than 13 months by default", async () => {
    await env.RETENTION_TEST_DB.exec("DELETE FROM consent_records; DELETE FROM cookie_inventory");
    const cutoff = retentionCutoff(NOW, 13);
    expect(new Date(cutoff).toISOString()).toBe("2025-11-01T03:17:00.000Z");
    await insertRecord("old-by-a-year-and-more", cutoff - 30 * DAY);
    await insertRecord("old-by-one-ms", cutoff - 1);
    await insertRecord("exactly-at-the-cutoff", cutoff);
    await insertRecord("recent", NOW - DAY);
    await insertInventory("gone_cookie", cutoff - 1);
    await insertInventory("seen_cookie", NOW - DAY);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await runJob();
      const line = log.mock.calls.map((a) => String(a[0])).find((l) => l.includes("retention"));
      expect(JSON.parse(line!)).toMatchObject({ months: 13, deleted: { records: 2, inventory: 1 } });
    } finally {
      log.mockRestore();
    }
    const { results } = await env.RETENTION_TEST_DB.prepare("SELECT id FROM consent_records ORDER BY created_at").all();
    expect(results.map((r) => r.id)).toEqual(["exactly-at-the-cutoff", "recent"]);
    const inv = await env.RETENTION_TEST_DB.prepare("SELECT name FROM cookie_inventory").all();
    expect(inv.results.map((r) => r.name)).toEqual(["seen_cookie"]);
  });

  it("follows CONSENT_RETENTION_MONTHS, and falls back to 13 months with a warning on a bad value", async () => {
    await env.RETENTION_TEST_DB.exec("DELETE FROM consent_records");
    await insertRecord("two-months-old", NOW - 61 * DAY);
    await insertRecord("ten-days-old", NOW - 10 * DAY);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await runJob({ CONSENT_RETENTION_MONTHS: "0" });
      expect(warn).toHaveBeenCalledTimes(1);
      expect((await env.RETENTION_TEST_DB.prepare("SELECT count(*) AS n FROM consent_records").first())!.n).toBe(2);
      await runJob({ CONSENT_RETENTION_MONTHS: "1" });
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
    const { results } = await env.RETENTION_TEST_DB.prepare("SELECT id FROM consent_records").all();
    expect(results.map((r) => r.id)).toEqual(["ten-days-old"]);
  });
});
