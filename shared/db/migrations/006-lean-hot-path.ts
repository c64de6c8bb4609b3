/**
 * Fewer B-trees on the two hottest writes (bench:db, where the time goes: every commit writes one WAL frame,
 * a 4 KB page plus its header, per B-tree it touched; the frames were most of a claim's cost):
 *
 * - `active_positions` becomes a WITHOUT ROWID table keyed by its `id`. As a rowid table with a TEXT
 *   primary key it kept the rows in one B-tree and the id in a second (an automatic unique index); now the
 *   id IS the key, so a claim or a release writes 3 pages instead of 5. Every constraint stays as it was:
 *   one row per symbol (UNIQUE), unique entry order refs, the status CHECK; nothing here reads a rowid.
 * - `idx_active_positions_status` goes: the table holds at most a few dozen rows (one per open position),
 *   where a scan beats the index, and every status change had to rewrite the index page as well.
 * - the closed rows' day index also carries `realized_pnl`, so the day's realized P&L that every close
 *   sums (the alert milestones) is read from the index alone instead of one table lookup per close.
 *
 * Column order is kept (SELECT * and backups see the same table).
 */
export const migration006 = {
  version: 6,
  name: 'lean-hot-path',
  sql: `
CREATE TABLE active_positions_v6 (
  id                   TEXT NOT NULL PRIMARY KEY,     -- the claim id; also the entry order's orderRef
  symbol               TEXT NOT NULL UNIQUE,          -- one row per symbol: a second claim fails
  quantity             INTEGER NOT NULL DEFAULT 0,
  entry_price          REAL,
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
  exit_reason          TEXT,
  claimed_at           TEXT NOT NULL,
  last_updated         TEXT NOT NULL,
  metadata             TEXT NOT NULL DEFAULT '{}',
  con_id               INTEGER,
  entry_reported       INTEGER NOT NULL DEFAULT 0,
  entry_booked         INTEGER NOT NULL DEFAULT 0,
  entry_working        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO active_positions_v6 SELECT id, symbol, quantity, entry_price, entry_timestamp, agent_name, profit_target_price,
  stop_loss_price, status, trading_day, entry_order_ref, entry_order_id, requested_quantity, oca_group, stop_order_id,
  target_order_id, protected_quantity, exit_reason, claimed_at, last_updated, metadata, con_id, entry_reported, entry_booked,
  entry_working FROM active_positions;
DROP TABLE active_positions;
ALTER TABLE active_positions_v6 RENAME TO active_positions;

DROP INDEX idx_closed_today_close_date;
CREATE INDEX idx_closed_today_close_date ON closed_positions_today(close_date, realized_pnl);
`,
};
