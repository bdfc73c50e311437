// Applies migrations/ to the tests' local D1 before each test file (readD1Migrations in vitest.config.ts).
import { applyD1Migrations, type D1Migration } from "cloudflare:test";
import { env } from "cloudflare:workers";

declare global {
  namespace Cloudflare {
    interface Env {
      /** Test-only binding: the migrations read by vitest.config.ts. */
      TEST_MIGRATIONS: D1Migration[];
      /** Test-only: migrated databases, one per store test file. */
      RECORDS_TEST_DB: D1Database;
      RETENTION_TEST_DB: D1Database;
      INVENTORY_TEST_DB: D1Database;
      IDLE_FLUSH_TEST_DB: D1Database;
      QUEUE_TEST_DB: D1Database;
      /** Test-only: the policy source's own KV namespace (test/policy-source/). */
      POLICY_TEST_KV: KVNamespace;
      /** Test-only: a real database the migrations never ran on (every write fails). */
      UNMIGRATED_DB: D1Database;
    }
  }
}

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
for (const db of [env.RECORDS_TEST_DB, env.RETENTION_TEST_DB, env.INVENTORY_TEST_DB, env.IDLE_FLUSH_TEST_DB, env.QUEUE_TEST_DB]) await applyD1Migrations(db, env.TEST_MIGRATIONS);
