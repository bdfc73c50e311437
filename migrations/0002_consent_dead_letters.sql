-- Consent records that reached the dead-letter queue (src/store/queue.ts): D1 refused them through
-- every retry of the records queue. The dead-letter consumer stores each record it can in
-- consent_records (stored = 1) and keeps its trace here; one it cannot store keeps its body
-- here (stored = 0) with the last error, so that no proof of consent is lost. `npm run report`
-- shows this table.
CREATE TABLE consent_dead_letters (
  -- The consent record's id (or the queue message's id when the body is not a record).
  id TEXT PRIMARY KEY NOT NULL,
  tenant TEXT,
  -- The record's own time, ms since the epoch (NULL when the body is not a record).
  created_at INTEGER,
  -- When the dead-letter consumer first met it, and how often it has met it since.
  dead_at INTEGER NOT NULL,
  seen INTEGER NOT NULL DEFAULT 1,
  -- 1 when the record is now in consent_records; 0 when it could not be stored (body kept).
  stored INTEGER NOT NULL CHECK (stored IN (0, 1)),
  -- The body as the queue carried it, when not stored; NULL once stored.
  body TEXT,
  -- The last error met storing it; NULL when stored.
  error TEXT
);
CREATE INDEX consent_dead_letters_dead_at ON consent_dead_letters (dead_at);
