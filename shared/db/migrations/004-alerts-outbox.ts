/**
 * The alerts outbox (transactional outbox pattern): a process that records a fact (a fill, an exit, a
 * reconciliation mismatch, a halt, a restart) writes the alert about it IN THE SAME TRANSACTION, so no crash
 * can keep the fact and lose the alert or the other way round. The notifier process delivers them later:
 * `alert_deliveries` is each alert's fate per channel, `alert_messages` what was (or is being) sent, one
 * message per alert or per group of alerts, `alert_channels` each channel's health and
 * `alert_conditions` when an unresolved condition was last told on a channel (repeat throttling).
 * Times: `*_at` market time ISO (the injected Clock), `*_ms` real epoch ms (latency, windows, retries).
 */
export const migration004 = {
  version: 4,
  name: 'alerts-outbox',
  sql: `
CREATE TABLE alerts_outbox (
  id             INTEGER PRIMARY KEY,
  kind           TEXT NOT NULL,                      -- entry_filled, position_closed, reconciliation_mismatch, ...
  severity       TEXT NOT NULL CHECK (severity IN ('info','warning','critical')),
  dedupe_key     TEXT NOT NULL UNIQUE,               -- one alert per fact; also the receivers' idempotency key
  condition_key  TEXT,                               -- repeats of one unresolved condition share it (throttled)
  title          TEXT NOT NULL,
  symbol         TEXT,
  data           TEXT NOT NULL DEFAULT '{}',         -- what the message is rendered from
  app            TEXT NOT NULL,                      -- the process that recorded the fact
  trading_day    TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL,
  routed_at_ms   INTEGER                             -- NULL until the notifier decided its channels
);
CREATE INDEX idx_alerts_outbox_routed ON alerts_outbox(routed_at_ms, id);
CREATE INDEX idx_alerts_outbox_created ON alerts_outbox(created_at_ms);

CREATE TABLE alert_messages (
  id                  INTEGER PRIMARY KEY,
  channel             TEXT NOT NULL,
  kind                TEXT NOT NULL,
  idempotency_key     TEXT NOT NULL,                 -- the alert's dedupe key, or a digest of a group's keys
  alert_count         INTEGER NOT NULL,
  content             TEXT NOT NULL,                 -- rendered once: a resend is the same message
  status              TEXT NOT NULL CHECK (status IN ('pending','sending','delivered','failed')),
  attempts            INTEGER NOT NULL DEFAULT 0,    -- sends started
  failures            INTEGER NOT NULL DEFAULT 0,    -- failed sends (a 429 is a wait, not a failure)
  next_attempt_at_ms  INTEGER NOT NULL,
  last_error          TEXT,
  created_at_ms       INTEGER NOT NULL,
  delivered_at_ms     INTEGER
);
CREATE INDEX idx_alert_messages_channel_status ON alert_messages(channel, status);
CREATE INDEX idx_alert_messages_channel_kind ON alert_messages(channel, kind, created_at_ms);

CREATE TABLE alert_deliveries (
  alert_id        INTEGER NOT NULL REFERENCES alerts_outbox(id) ON DELETE CASCADE,
  channel         TEXT NOT NULL,
  kind            TEXT NOT NULL,
  condition_key   TEXT,
  status          TEXT NOT NULL CHECK (status IN ('pending','sending','delivered','failed','throttled','dropped')),
  not_before_ms   INTEGER NOT NULL,                  -- quiet hours hold it until then
  message_id      INTEGER REFERENCES alert_messages(id) ON DELETE SET NULL,
  updated_at_ms   INTEGER NOT NULL,
  PRIMARY KEY (alert_id, channel)
);
CREATE INDEX idx_alert_deliveries_channel_status ON alert_deliveries(channel, status, not_before_ms);
CREATE INDEX idx_alert_deliveries_message ON alert_deliveries(message_id);

CREATE TABLE alert_conditions (
  channel          TEXT NOT NULL,
  condition_key    TEXT NOT NULL,
  last_sent_at_ms  INTEGER NOT NULL,
  suppressed       INTEGER NOT NULL DEFAULT 0,       -- repeats throttled since the last message about it
  PRIMARY KEY (channel, condition_key)
);

CREATE TABLE alert_channels (
  channel               TEXT PRIMARY KEY,
  state                 TEXT NOT NULL CHECK (state IN ('ok','failing','rate_limited')),
  consecutive_failures  INTEGER NOT NULL DEFAULT 0,
  failing_since_ms      INTEGER,
  last_error            TEXT,
  last_attempt_at_ms    INTEGER,
  last_success_at_ms    INTEGER,
  retry_at_ms           INTEGER,
  updated_at_ms         INTEGER NOT NULL
);
`,
};
