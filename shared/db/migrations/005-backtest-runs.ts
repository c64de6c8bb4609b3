/**
 * Backtest runs (npm run backtest): each run, optimisation, walk-forward and parity check is a row, so runs
 * can be compared and shown next to live trading. `backtest_trades` and `backtest_equity` hold a run's round
 * trips and daily equity (the same shapes as round_trips and the daily equity the live reports use); the
 * points of an optimisation and the windows of a walk-forward are runs with their parent's id.
 * `result_sha256` is the digest of the run's deterministic result: equal inputs, equal digests.
 */
export const migration005 = {
  version: 5,
  name: 'backtest-runs',
  sql: `
CREATE TABLE backtest_runs (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('run','optimize','optimize-point','walk-forward','walk-forward-window','parity')),
  parent_id        INTEGER REFERENCES backtest_runs(id) ON DELETE CASCADE,
  label            TEXT,
  created_at       TEXT NOT NULL,                    -- wall clock (a run is not market time)
  from_day         TEXT NOT NULL,
  to_day           TEXT NOT NULL,
  bars             TEXT NOT NULL,                    -- where the bars came from (store file, synthetic seed, CSV folder)
  symbols          TEXT NOT NULL DEFAULT '[]',
  strategies       TEXT NOT NULL DEFAULT '[]',       -- [{agent, strategy, params}]
  settings         TEXT NOT NULL DEFAULT '{}',       -- the engine's assumptions
  config           TEXT NOT NULL DEFAULT '{}',       -- the trading configuration (risk, exits, schedule)
  status           TEXT NOT NULL CHECK (status IN ('COMPLETED','FAILED')),
  trades           INTEGER NOT NULL DEFAULT 0,
  net_pnl          REAL,
  total_return     REAL,
  sharpe           REAL,
  max_drawdown     REAL,
  objective        TEXT,
  objective_value  REAL,
  metrics          TEXT NOT NULL DEFAULT '{}',
  result_sha256    TEXT,
  error            TEXT,
  detail           TEXT NOT NULL DEFAULT '{}'        -- optimisation table, walk-forward windows, parity report
);
CREATE INDEX idx_backtest_runs_created ON backtest_runs(created_at);
CREATE INDEX idx_backtest_runs_parent ON backtest_runs(parent_id);

CREATE TABLE backtest_trades (
  run_id         INTEGER NOT NULL REFERENCES backtest_runs(id) ON DELETE CASCADE,
  seq            INTEGER NOT NULL,
  symbol         TEXT NOT NULL,
  agent_name     TEXT NOT NULL,
  strategy       TEXT NOT NULL,
  trading_day    TEXT NOT NULL,
  quantity       INTEGER NOT NULL,
  entry_price    REAL NOT NULL,
  entry_time     TEXT NOT NULL,
  exit_price     REAL NOT NULL,
  exit_time      TEXT NOT NULL,
  exit_reason    TEXT NOT NULL,
  commission     REAL NOT NULL,
  realized_pnl   REAL NOT NULL,
  pnl_pct        REAL NOT NULL,
  score          REAL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE backtest_equity (
  run_id         INTEGER NOT NULL REFERENCES backtest_runs(id) ON DELETE CASCADE,
  trading_day    TEXT NOT NULL,
  start_equity   REAL NOT NULL,
  end_equity     REAL NOT NULL,
  realized_pnl   REAL NOT NULL,
  trades         INTEGER NOT NULL,
  PRIMARY KEY (run_id, trading_day)
) WITHOUT ROWID;
`,
};
