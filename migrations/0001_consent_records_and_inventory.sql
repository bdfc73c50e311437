-- Proof of consent and the cookie inventory (src/store/). Applied by `npm start`, the tests
-- (test/setup/d1.ts) and the deploy steps (`wrangler d1 migrations apply DB --remote`).

-- One row per choice made on the banner or on /cookies, and per withdrawal. No IP address,
-- no cookie value: what was decided, on which policy text, when, where, in which language
-- and browser family.
CREATE TABLE consent_records (
  -- Random, 16 bytes as 22 base64url characters; the visitor's consent carries it too.
  id TEXT PRIMARY KEY NOT NULL,
  tenant TEXT NOT NULL,
  -- Server time, milliseconds since the epoch.
  created_at INTEGER NOT NULL,
  -- 'withdrawal' when a consent key granted before is refused now.
  kind TEXT NOT NULL CHECK (kind IN ('choice', 'withdrawal')),
  action TEXT NOT NULL CHECK (action IN ('accept', 'refuse', 'save')),
  revision TEXT NOT NULL,
  -- SHA-256 (hex) of the policy as served: the text the visitor was shown.
  policy_sha256 TEXT NOT NULL,
  -- JSON object: every optional consent key of the policy -> true (granted) or false (refused).
  choices TEXT NOT NULL,
  -- JSON array: the keys this choice withdrew (granted before, refused now).
  withdrawn TEXT NOT NULL DEFAULT '[]',
  -- The form it came from: the banner, the /cookies page, or neither (a script or a tool).
  place TEXT NOT NULL CHECK (place IN ('banner', 'page', 'other')),
  -- 'form' for a plain HTML form post (no JavaScript), 'script' for a fetch() from a page.
  via TEXT NOT NULL CHECK (via IN ('form', 'script')),
  lang TEXT NOT NULL,
  -- Browser family only ('Firefox', 'Chrome', …, 'other').
  browser TEXT NOT NULL
);
CREATE INDEX consent_records_tenant_time ON consent_records (tenant, created_at);
CREATE INDEX consent_records_time ON consent_records (created_at);

-- Every cookie name the edge saw per tenant, and the hosts the browser's CSP blocked.
-- Aggregated in memory per isolate and added here in batches (UPSERT adds the counts).
CREATE TABLE cookie_inventory (
  tenant TEXT NOT NULL,
  -- 'origin' (a Set-Cookie of the portal), 'visitor' (a Cookie header), 'csp' (a blocked host).
  source TEXT NOT NULL CHECK (source IN ('origin', 'visitor', 'csp')),
  -- The cookie name, or the blocked host for 'csp'.
  name TEXT NOT NULL,
  -- The declared service id; NULL when the policy does not declare it (unknown).
  service TEXT,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (tenant, source, name)
);
CREATE INDEX cookie_inventory_last_seen ON cookie_inventory (last_seen);
