import type Database from 'better-sqlite3';
import { executionBase } from '../execution-ids';

/**
 * What a real IB account needs that the first schema did not hold:
 * - closed rows keyed by position, not by (symbol, day): a symbol can close twice in one trading day (a
 *   manual buy adopted after a bot trade), and each close must stay true to its own reason and P&L;
 * - trades keyed by the execution's base id: IB corrects an execution by sending a new execId with the same
 *   prefix and the next suffix (…01.01 → …01.02), which replaces the first one instead of adding a fill;
 * - the instrument's conId on active rows (symbols are not unique: an option has its underlying's symbol);
 * - the trading halt set by the emergency liquidation, which every bot obeys;
 * - the last complete broker snapshot split into ours and foreign, for the status console and doctor.
 */
export const migration002 = {
  version: 2,
  name: 'realistic-broker',
  sql: `
CREATE TABLE closed_positions_today_v2 (
  id               INTEGER PRIMARY KEY,
  symbol           TEXT NOT NULL,
  close_date       TEXT NOT NULL,                     -- the trading day of the exit, never "since startup"
  position_id      TEXT NOT NULL UNIQUE,              -- one row per position: a second close of the symbol is its own row
  quantity         INTEGER NOT NULL,
  entry_price      REAL,
  exit_price       REAL NOT NULL,
  exit_reason      TEXT NOT NULL,
  profit_loss_pct  REAL,
  realized_pnl     REAL NOT NULL,                     -- money, after entry and exit commissions
  commission       REAL NOT NULL DEFAULT 0,
  agent_name       TEXT NOT NULL,
  entry_timestamp  TEXT,
  timestamp        TEXT NOT NULL                      -- exit time
);
INSERT INTO closed_positions_today_v2 (id, symbol, close_date, position_id, quantity, entry_price, exit_price, exit_reason,
  profit_loss_pct, realized_pnl, commission, agent_name, entry_timestamp, timestamp)
  SELECT id, symbol, close_date, position_id, quantity, entry_price, exit_price, exit_reason, profit_loss_pct, realized_pnl,
    commission, agent_name, entry_timestamp, timestamp FROM closed_positions_today;
DROP TABLE closed_positions_today;
ALTER TABLE closed_positions_today_v2 RENAME TO closed_positions_today;
CREATE INDEX idx_closed_today_close_date ON closed_positions_today(close_date);
CREATE INDEX idx_closed_today_symbol_day ON closed_positions_today(symbol, close_date);

CREATE TABLE closed_positions_archive_v2 (
  id               INTEGER PRIMARY KEY,
  symbol           TEXT NOT NULL,
  close_date       TEXT NOT NULL,
  position_id      TEXT NOT NULL UNIQUE,
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
  archived_at      TEXT NOT NULL
);
INSERT INTO closed_positions_archive_v2 (id, symbol, close_date, position_id, quantity, entry_price, exit_price, exit_reason,
  profit_loss_pct, realized_pnl, commission, agent_name, entry_timestamp, timestamp, archived_at)
  SELECT id, symbol, close_date, position_id, quantity, entry_price, exit_price, exit_reason, profit_loss_pct, realized_pnl,
    commission, agent_name, entry_timestamp, timestamp, archived_at FROM closed_positions_archive;
DROP TABLE closed_positions_archive;
ALTER TABLE closed_positions_archive_v2 RENAME TO closed_positions_archive;
CREATE INDEX idx_closed_archive_close_date ON closed_positions_archive(close_date);

-- IB's execution id without its correction suffix; one row per base, updated in place by a correction.
ALTER TABLE trades ADD COLUMN exec_base TEXT;
ALTER TABLE trades ADD COLUMN corrections INTEGER NOT NULL DEFAULT 0;

ALTER TABLE active_positions ADD COLUMN con_id INTEGER;
-- What the broker REPORTED of the entry (orderStatus filled), what the ledger BOOKED (executions), and whether
-- the entry order still works. Statuses overtake executions at IB: a position is protected from the reported
-- quantity at once, and closes only when every reported share is booked and the entry no longer works.
ALTER TABLE active_positions ADD COLUMN entry_reported INTEGER NOT NULL DEFAULT 0;
ALTER TABLE active_positions ADD COLUMN entry_booked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE active_positions ADD COLUMN entry_working INTEGER NOT NULL DEFAULT 0;

-- The emergency halt: while a row has lifted_at NULL, no bot enters, protects or exits on its own.
CREATE TABLE trading_halts (
  id          INTEGER PRIMARY KEY,
  reason      TEXT NOT NULL,
  set_by      TEXT NOT NULL,
  set_at      TEXT NOT NULL,                          -- market time (ISO)
  set_at_ms   INTEGER NOT NULL,                       -- real time
  detail      TEXT NOT NULL DEFAULT '{}',
  lifted_by   TEXT,
  lifted_at   TEXT
);
CREATE INDEX idx_trading_halts_active ON trading_halts(lifted_at);

-- The last complete broker positions snapshot, instrument by instrument, split into ours and foreign.
CREATE TABLE broker_positions (
  con_id            INTEGER PRIMARY KEY,
  account           TEXT NOT NULL,
  symbol            TEXT NOT NULL,
  sec_type          TEXT NOT NULL,
  currency          TEXT NOT NULL,
  description       TEXT NOT NULL,                    -- e.g. "NOVA 20270115 50 C" for an option
  quantity          REAL NOT NULL,
  average_cost      REAL NOT NULL,
  ours_quantity     REAL NOT NULL DEFAULT 0,          -- what the bots hold of it (active rows)
  foreign_quantity  REAL NOT NULL DEFAULT 0,          -- the rest: bought by hand, or never a stock in USD
  handling          TEXT NOT NULL,                    -- ours | ignored | protected | adopted | not-tradable
  updated_at        TEXT NOT NULL
);
`,
  /** Fills exec_base for the trades booked before this migration. */
  up(db: Database.Database): void {
    // Rows from schema 1: their booked entry is their quantity (no exit had been booked on an open row there).
    db.exec('UPDATE active_positions SET entry_booked = ABS(quantity)');
    const rows = db.prepare('SELECT id, exec_id FROM trades').all() as Array<{ id: number; exec_id: string }>;
    const update = db.prepare('UPDATE trades SET exec_base = ? WHERE id = ?');
    for (const row of rows) update.run(executionBase(row.exec_id), row.id);
    db.exec('CREATE UNIQUE INDEX idx_trades_exec_base ON trades(exec_base)');
  },
};
