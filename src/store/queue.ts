/**
 * Consent records through a Cloudflare Queue into D1 (wrangler.toml: producer RECORDS_QUEUE,
 * consumers of consent-edge-records and its dead-letter queue). The visitor's answer waits for
 * none of it: the send runs in `waitUntil` (src/pages/record-choice.ts). The consumer writes each
 * batch in one D1 transaction, idempotent by record id (a redelivery changes nothing); what D1
 * refuses is retried, one message at a time, with exponential backoff (RECORD_RETRY_SECONDS,
 * doubled per attempt, at most an hour); past max_retries the queue moves it to the dead-letter
 * queue, whose consumer stores what it can and keeps a trace (and the body of what it cannot) in
 * consent_dead_letters (src/store/index.ts), which `npm run report` shows.
 */
import type { ConsentRecord } from "../proof/record";
import { RECORD_ID } from "../proof/record-id";
import { storeOf, type ConsentStore } from "./index";

export const RECORDS_QUEUE = "consent-edge-records";
export const RECORDS_DEAD_LETTER_QUEUE = "consent-edge-records-dlq";
const MAX_DELAY_SECONDS = 3600;

export interface RecordsEnv {
  DB?: D1Database;
  RECORDS_QUEUE?: Queue<ConsentRecord>;
  RECORD_RETRY_SECONDS?: string;
}

/**
 * Where a new record goes: the queue when bound (a failed send falls back to writing D1
 * directly), else D1; undefined when neither is bound. Run it in the background.
 */
export function recordSinkOf(env: RecordsEnv | undefined): ((record: ConsentRecord) => Promise<void>) | undefined {
  const queue = env?.RECORDS_QUEUE;
  const store = storeOf(env);
  if (!queue) return store && ((r) => store.saveRecord(r));
  return async (record) => {
    try {
      await queue.send(record, { contentType: "json" });
    } catch (e) {
      if (!store) throw e;
      console.error(JSON.stringify({ msg: "consent-edge: records queue send failed; writing D1 directly", id: record.id, error: String(e) }));
      await store.saveRecord(record);
    }
  };
}

/** The delay before attempt `attempts + 1` (attempts counts from 1): base, 2 base, 4 base, … at most an hour. */
export function retryDelaySeconds(attempts: number, raw: string | undefined): number {
  const parsed = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  const base = Number.isFinite(parsed) && parsed >= 0 ? parsed : 30;
  return Math.min(MAX_DELAY_SECONDS, Math.round(base * 2 ** Math.max(0, Math.min(attempts - 1, 20))));
}

const STRINGS = ["tenant", "kind", "action", "revision", "policySha256", "place", "via", "lang", "browser"] as const;

/** The message body as a consent record, or null when it does not have a record's shape. Pure. */
export function readRecordMessage(body: unknown): ConsentRecord | null {
  if (typeof body !== "object" || body === null) return null;
  const r = body as Record<string, unknown>;
  if (typeof r.id !== "string" || !RECORD_ID.test(r.id) || typeof r.createdAt !== "number") return null;
  for (const k of STRINGS) if (typeof r[k] !== "string") return null;
  if (typeof r.choices !== "object" || r.choices === null || !Array.isArray(r.withdrawn)) return null;
  return r as unknown as ConsentRecord;
}

/** The queue() handler: consent records into D1, and the dead-letter queue's last stop. */
export async function consumeRecords(batch: MessageBatch<unknown>, env: RecordsEnv, now = Date.now()): Promise<void> {
  const store = storeOf(env);
  if (!store) {
    // Without D1 nothing can be stored: the queue keeps the messages and retries them.
    batch.retryAll({ delaySeconds: retryDelaySeconds(1, env.RECORD_RETRY_SECONDS) });
    return;
  }
  if (batch.queue === RECORDS_DEAD_LETTER_QUEUE) return consumeDeadLetters(batch, store, env, now);
  const records = batch.messages.map((m) => readRecordMessage(m.body));
  if (records.every((r) => r !== null)) {
    try {
      await store.saveRecords(records as ConsentRecord[]);
      batch.ackAll();
      return;
    } catch {
      // One record D1 refuses, or D1 down: each on its own, so that the others are kept.
    }
  }
  let failed = 0;
  let error = "";
  for (const [i, message] of batch.messages.entries()) {
    const record = records[i];
    try {
      if (!record) throw new Error("the body is not a consent record");
      await store.saveRecord(record);
      message.ack();
    } catch (e) {
      failed++;
      error = e instanceof Error ? e.message : String(e);
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, env.RECORD_RETRY_SECONDS) });
    }
  }
  console.error(JSON.stringify({ msg: "consent-edge: consent records retried", queue: batch.queue, failed, of: batch.messages.length, error }));
}

async function consumeDeadLetters(batch: MessageBatch<unknown>, store: ConsentStore, env: RecordsEnv, now: number): Promise<void> {
  for (const message of batch.messages) {
    const record = readRecordMessage(message.body);
    try {
      const outcome = await store.saveDeadLetter({
        id: record?.id ?? message.id,
        tenant: record?.tenant ?? null,
        createdAt: record?.createdAt ?? null,
        deadAt: now,
        record,
        body: JSON.stringify(message.body) ?? "null",
      });
      console.error(JSON.stringify({ msg: "consent-edge: consent record dead-lettered", id: record?.id ?? message.id, outcome }));
      message.ack();
    } catch (e) {
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, env.RECORD_RETRY_SECONDS) });
      console.error(JSON.stringify({ msg: "consent-edge: dead letter not stored; retried", id: record?.id ?? message.id, error: String(e) }));
    }
  }
}
