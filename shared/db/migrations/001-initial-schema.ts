/**
 * The coordination tables shared by every process (architecture.md, "The shared tables").
 * Times: `*_at`/`*_time`/`timestamp` columns are ISO-8601 UTC text of MARKET time (the injected Clock);
 * `*_ms` columns are epoch ms of REAL time (heartbeats, liveness). Trading days are 'YYYY-MM-DD' in New York.
 * SQL stays portable (no SQLite-only types) so the repositories can move to PostgreSQL (architecture.md, "Scale path").
 */
export const migration001 = {
  version: 1,
  name: 'initial-schema',
  sql: `
CREATE TABLE active_positions (
  id                   TEXT PRIMARY KEY,              -- the claim id; also the entry order's orderRef
  symbol               TEXT NOT NULL UNIQUE,          -- one row per symbol: a second claim fails
  quantity             INTEGER NOT NULL DEFAULT 0,    -- filled shares (0 while PENDING_ENTRY)
  entry_price          REAL,                          -- average fill price of the entry
  entry_timestamp      TEXT,
  agent_name           TEXT NOT NULL,
  profit_target_price  REAL,
  stop_loss_price      REAL,
  status               TEXT NOT NULL CHECK (status IN ('PENDING_ENTRY','OPEN','PROTECTED','CLOSING')),
  trading_day          TEXT NOT NULL,
  entry_order_ref      TEXT NOT NULL UNIQUE,
  entry_order_id       INTEGER,
  requested_quantity   INTEGER NOT NULL DEFAULT 0,
  oca_group            TEXT,
  stop_order_id        INTEGER,
  target_order_id      INTEGER,
  protected_quantity   INTEGER NOT NULL DEFAULT 0,
  exit_reason          TEXT,                          -- set when the exit manager starts closing (CLOSING)
  claimed_at           TEXT NOT NULL,
  last_updated         TEXT NOT NULL,
  metadata             TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_active_positions_status ON active_positions(status);

CREATE TABLE closed_positions_today (
  id               INTEGER PRIMARY KEY,
  symbol           TEXT NOT NULL,
  close_date       TEXT NOT NULL,                     -- the trading day of the exit, never "since startup"
  position_id      TEXT NOT NULL,
  quantity         INTEGER NOT NULL,
  entry_price      REAL,
  exit_price       REAL NOT NULL,
  exit_reason      TEXT NOT NULL,
  profit_loss_pct  REAL,
  realized_pnl     REAL NOT NULL,                     -- money, after entry and exit commissions
  commission       REAL NOT NULL DEFAULT 0,
  agent_name       TEXT NOT NULL,
  entry_timestamp  TEXT,
  timestamp        TEXT NOT NULL,                     -- exit time
  UNIQUE (symbol, close_date)
);
CREATE INDEX idx_closed_today_close_date ON closed_positions_today(close_date);

-- Earlier days' closed rows, moved here by the trading-day roll (clearClosedToday).
CREATE TABLE closed_positions_archive (
  id               INTEGER PRIMARY KEY,
  symbol           TEXT NOT NULL,
  close_date       TEXT NOT NULL,
  position_id      TEXT NOT NULL,
  quantity         INTEGER NOT NULL,
  entry_price      REAL,
  exit_price       REAL NOT NULL,
  exit_reason      TEXT NOT NULL,
  profit_loss_pct  REAL,
  realized_pnl     REAL NOT NULL,
  commission       REAL NOT NULL DEFAULT 0,
  agent_name       TEXT NOT NULL,
  entry_timestamp  TEXT,
  timestamp        TEXT NOT NULL,
  archived_at      TEXT NOT NULL,
  UNIQUE (symbol, close_date)
);
CREATE INDEX idx_closed_archive_close_date ON closed_positions_archive(close_date);

-- Every fill, exactly once (exec_id is IB's execution id, unique per execution and stable across replays).
CREATE TABLE trades (
  id            INTEGER PRIMARY KEY,
  exec_id       TEXT NOT NULL UNIQUE,
  position_id   TEXT,
  symbol        TEXT NOT NULL,
  side          TEXT NOT NULL CHECK (side IN ('BUY','SELL')),
  quantity      INTEGER NOT NULL CHECK (quantity > 0),
  price         REAL NOT NULL,
  commission    REAL,                                 -- NULL until IB's commission report arrives
  purpose       TEXT NOT NULL CHECK (purpose IN ('ENTRY','EXIT','UNTRACKED')),
  exit_reason   TEXT,
  order_ref     TEXT,
  order_id      INTEGER,
  perm_id       INTEGER,
  client_id     INTEGER,
  agent_name    TEXT,
  trading_day   TEXT NOT NULL,
  executed_at   TEXT NOT NULL,
  recorded_at   TEXT NOT NULL
);
CREATE INDEX idx_trades_position ON trades(position_id);
CREATE INDEX idx_trades_day ON trades(trading_day);
CREATE INDEX idx_trades_symbol_time ON trades(symbol, executed_at);
CREATE INDEX idx_trades_order_ref ON trades(order_ref);

-- Round trips (entry to exit): the trade history that reports and analytics read.
CREATE TABLE round_trips (
  id             INTEGER PRIMARY KEY,
  position_id    TEXT NOT NULL UNIQUE,
  symbol         TEXT NOT NULL,
  agent_name     TEXT NOT NULL,
  direction      TEXT NOT NULL DEFAULT 'LONG' CHECK (direction IN ('LONG','SHORT')),
  status         TEXT NOT NULL CHECK (status IN ('OPEN','CLOSED')),
  quantity       INTEGER NOT NULL,
  entry_price    REAL NOT NULL,
  entry_time     TEXT NOT NULL,
  exit_price     REAL,
  exit_time      TEXT,
  exit_reason    TEXT,
  commission     REAL NOT NULL DEFAULT 0,
  realized_pnl   REAL,
  pnl_pct        REAL,
  trading_day    TEXT NOT NULL,
  source         TEXT NOT NULL DEFAULT 'bot',
  metadata       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_round_trips_exit_time ON round_trips(exit_time);
CREATE INDEX idx_round_trips_symbol ON round_trips(symbol);
CREATE INDEX idx_round_trips_agent ON round_trips(agent_name);
CREATE INDEX idx_round_trips_status ON round_trips(status);
CREATE INDEX idx_round_trips_day ON round_trips(trading_day);

-- Every order we send, written BEFORE it is sent (status PENDING_SUBMIT), so a crash between send and
-- acknowledgement leaves a row the next start looks up at the broker by order_ref.
CREATE TABLE orders (
  order_ref        TEXT PRIMARY KEY,
  position_id      TEXT,
  symbol           TEXT NOT NULL,
  side             TEXT NOT NULL CHECK (side IN ('BUY','SELL')),
  order_type       TEXT NOT NULL,
  quantity         INTEGER NOT NULL,
  limit_price      REAL,
  stop_price       REAL,
  trailing_pct     REAL,
  tif              TEXT NOT NULL DEFAULT 'DAY',
  oca_group        TEXT,
  purpose          TEXT NOT NULL,
  client_id        INTEGER NOT NULL,
  broker_order_id  INTEGER,
  perm_id          INTEGER,
  status           TEXT NOT NULL,
  filled_quantity  INTEGER NOT NULL DEFAULT 0,
  avg_fill_price   REAL,
  last_error       TEXT,
  app              TEXT NOT NULL,
  trading_day      TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX idx_orders_position ON orders(position_id);
CREATE INDEX idx_orders_broker_id ON orders(client_id, broker_order_id);
CREATE INDEX idx_orders_status ON orders(status);
CREATE INDEX idx_orders_perm ON orders(perm_id);

-- IB's nextValidId is not durable (it can go backwards after a gateway restart): we never send an id at or
-- below the highest one we ever used for this client id.
CREATE TABLE order_id_high_water (
  client_id      INTEGER PRIMARY KEY,
  last_order_id  INTEGER NOT NULL,
  updated_at     TEXT NOT NULL
);

CREATE TABLE heartbeats (
  app                 TEXT PRIMARY KEY,
  pid                 INTEGER NOT NULL,
  state               TEXT NOT NULL,                  -- starting | ready | degraded | stopping | stopped
  beat_at_ms          INTEGER NOT NULL,               -- REAL time of the last beat
  started_at_ms       INTEGER NOT NULL,
  ready_at_ms         INTEGER,
  progress_at_ms      INTEGER,                        -- REAL time the app's work loop last completed
  loop_lag_ms         REAL NOT NULL DEFAULT 0,
  broker_connected    INTEGER,                        -- NULL when the app does not talk to the broker
  broker_down_since_ms INTEGER,
  detail              TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE events (
  id        INTEGER PRIMARY KEY,
  at        TEXT NOT NULL,
  app       TEXT NOT NULL,
  event     TEXT NOT NULL,
  level     TEXT NOT NULL DEFAULT 'info',
  symbol    TEXT,
  data      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_events_at ON events(at);
CREATE INDEX idx_events_event ON events(event, at);

CREATE TABLE pipeline_runs (
  id           INTEGER PRIMARY KEY,
  agent_name   TEXT NOT NULL,
  trading_day  TEXT NOT NULL,
  trigger      TEXT NOT NULL DEFAULT 'interval',
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  status       TEXT NOT NULL CHECK (status IN ('RUNNING','COMPLETED','FAILED')),
  candidates   INTEGER NOT NULL DEFAULT 0,
  taken        INTEGER NOT NULL DEFAULT 0,
  error        TEXT,
  detail       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_pipeline_runs_day ON pipeline_runs(trading_day, started_at);

CREATE TABLE signals (
  id               INTEGER PRIMARY KEY,
  pipeline_run_id  INTEGER REFERENCES pipeline_runs(id),
  symbol           TEXT NOT NULL,
  trading_day      TEXT NOT NULL,
  score            REAL NOT NULL,
  price            REAL,
  rsi              REAL,
  atr_pct          REAL,
  gap_pct          REAL,
  relative_volume  REAL,
  spread_pct       REAL,
  decision         TEXT NOT NULL CHECK (decision IN ('TAKEN','REJECTED')),
  reason           TEXT NOT NULL,
  position_id      TEXT,
  created_at       TEXT NOT NULL
);
CREATE INDEX idx_signals_run ON signals(pipeline_run_id);
CREATE INDEX idx_signals_day_symbol ON signals(trading_day, symbol);

CREATE TABLE reconciliation_log (
  id             INTEGER PRIMARY KEY,
  run_at         TEXT NOT NULL,
  trading_day    TEXT NOT NULL,
  trigger        TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('OK','REPAIRED','FLAGGED','FAILED')),
  symbols        INTEGER NOT NULL DEFAULT 0,
  discrepancies  INTEGER NOT NULL DEFAULT 0,
  repaired       INTEGER NOT NULL DEFAULT 0,
  flagged        INTEGER NOT NULL DEFAULT 0,
  unrealized_pnl REAL,
  details        TEXT NOT NULL DEFAULT '[]',
  error          TEXT
);
CREATE INDEX idx_reconciliation_run_at ON reconciliation_log(run_at);

CREATE TABLE daily_summary (
  trading_day      TEXT PRIMARY KEY,
  trades           INTEGER NOT NULL DEFAULT 0,
  wins             INTEGER NOT NULL DEFAULT 0,
  losses           INTEGER NOT NULL DEFAULT 0,
  realized_pnl     REAL NOT NULL DEFAULT 0,
  commissions      REAL NOT NULL DEFAULT 0,
  gross_profit     REAL NOT NULL DEFAULT 0,
  gross_loss       REAL NOT NULL DEFAULT 0,
  start_equity     REAL,
  end_equity       REAL,
  updated_at       TEXT NOT NULL
);

-- Scheduled jobs that fired (supervisor scheduler): UNIQUE key makes each trigger fire once per day
-- even when the supervisor restarts around it.
CREATE TABLE scheduled_triggers (
  trigger_key  TEXT PRIMARY KEY,                      -- e.g. '2026-11-23:scan:09:35'
  kind         TEXT NOT NULL,
  trading_day  TEXT NOT NULL,
  due_at       TEXT NOT NULL,
  fired_at     TEXT NOT NULL,
  status       TEXT NOT NULL,
  detail       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_scheduled_triggers_day ON scheduled_triggers(trading_day);
`,
};
