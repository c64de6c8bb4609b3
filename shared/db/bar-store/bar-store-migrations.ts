import type { Migration } from '../migrations';

/**
 * The bar store's own schema (its own SQLite file, BARS_DB_PATH, apart from the trading DB: bars are large,
 * re-creatable, and must not grow the file the bots share or its daily backups). Numbered, append-only.
 *
 * bar_days: one row per symbol and trading day; `data` is the day's minute bars as a BLOB of columns
 * (shared/bars/codec.ts) and the regular-session aggregate sits beside it, so daily bars never decode a BLOB.
 * A rowid table (not WITHOUT ROWID: its rows are tens of KB, SQLite's guidance is rowid tables for large rows),
 * in 16 KB pages (set when the file is created: fewer overflow pages per BLOB).
 * bar_requests: the resume state of `npm run bars -- download` (which symbol-days were asked for, and how it
 * went), so an interrupted download goes on where it stopped.
 */
export const BAR_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'bar-store',
    sql: `
CREATE TABLE bar_days (
  symbol          TEXT NOT NULL,
  trading_day     TEXT NOT NULL,
  bar_count       INTEGER NOT NULL,
  first_start_ms  INTEGER,
  last_start_ms   INTEGER,
  regular_open    REAL,
  regular_high    REAL,
  regular_low     REAL,
  regular_close   REAL,
  regular_volume  REAL,
  source          TEXT NOT NULL,
  imported_at     TEXT NOT NULL,
  data            BLOB NOT NULL,                   -- last: reading the columns before it never touches its overflow pages
  UNIQUE (symbol, trading_day)
);
CREATE INDEX idx_bar_days_day ON bar_days(trading_day, symbol);

CREATE TABLE bar_requests (
  symbol        TEXT NOT NULL,
  trading_day   TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('done','empty','failed')),
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  updated_at    TEXT NOT NULL,
  PRIMARY KEY (symbol, trading_day)
) WITHOUT ROWID;

CREATE TABLE bar_store_meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
`,
  },
];
