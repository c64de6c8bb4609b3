/**
 * The portfolio over time, as the account's broker reports it and as our own books compute it:
 * - `portfolio_snapshots`: one row per snapshot (every SNAPSHOT_INTERVAL_S of market time during the session,
 *   and after the close), taken by the reconciler, the process that already talks to the broker for the
 *   account. The headline figures (nav, cash, gross position value, day P&L) are IB's where IB gave them
 *   (`nav_source`), IB's own figures are kept as reported (`ib_*`), our computation from the DB beside
 *   them (`our_*`), and the difference (IB minus ours) is recorded.
 * - `position_snapshots`: per instrument of each snapshot, the broker's quantity and average cost beside
 *   what our rows hold, the price from IB's market data, market value and P&L.
 * - `nav_high_water`: the drawdown's high-water mark per account. It lives here, so no restart resets it.
 * - an index on round_trips(status, exit_time) for reading the closed trades in exit order.
 * Times: `taken_at` is market time (ISO, the injected Clock), `taken_at_ms` real time.
 */
export const migration003 = {
  version: 3,
  name: 'portfolio-snapshots',
  sql: `
CREATE TABLE portfolio_snapshots (
  id                               INTEGER PRIMARY KEY,
  taken_at                         TEXT NOT NULL,
  taken_at_ms                      INTEGER NOT NULL,
  trading_day                      TEXT NOT NULL,
  kind                             TEXT NOT NULL CHECK (kind IN ('interval','close','manual')),
  account                          TEXT NOT NULL,
  nav                              REAL NOT NULL,          -- IB's net liquidation, or ours when IB did not answer
  nav_source                       TEXT NOT NULL CHECK (nav_source IN ('ib','ours')),
  cash                             REAL,
  gross_position_value             REAL NOT NULL,
  positions                        INTEGER NOT NULL,       -- instruments held (the whole account)
  our_positions                    INTEGER NOT NULL,       -- of them, the bots' (active rows holding shares)
  day_realized_pnl                 REAL,
  day_unrealized_pnl               REAL,
  peak_nav                         REAL NOT NULL,          -- the high-water mark after this snapshot
  drawdown                         REAL NOT NULL,          -- nav - peak_nav (money, <= 0)
  drawdown_pct                     REAL NOT NULL,          -- (nav / peak_nav - 1) * 100 (<= 0)
  ib_net_liquidation               REAL,
  ib_total_cash                    REAL,
  ib_gross_position_value          REAL,
  ib_daily_pnl                     REAL,
  ib_unrealized_pnl                REAL,
  ib_realized_pnl                  REAL,
  our_start_nav                    REAL,                   -- the day's opening NAV our figures build on
  our_nav                          REAL,
  our_gross_position_value         REAL NOT NULL,
  our_realized_pnl                 REAL NOT NULL,
  our_unrealized_pnl               REAL,
  nav_difference                   REAL,                   -- ib_net_liquidation - our_nav
  daily_pnl_difference             REAL,                   -- ib_daily_pnl - (our realized + unrealized)
  gross_position_value_difference  REAL,                   -- ib_gross_position_value - our_gross_position_value
  detail                           TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_portfolio_snapshots_day ON portfolio_snapshots(trading_day, taken_at);
CREATE INDEX idx_portfolio_snapshots_taken_at ON portfolio_snapshots(taken_at);

CREATE TABLE position_snapshots (
  id                   INTEGER PRIMARY KEY,
  snapshot_id          INTEGER NOT NULL REFERENCES portfolio_snapshots(id) ON DELETE CASCADE,
  symbol               TEXT NOT NULL,
  con_id               INTEGER,
  sec_type             TEXT NOT NULL,
  currency             TEXT NOT NULL,
  ours                 INTEGER NOT NULL,                   -- 1: the bots hold (part of) it
  position_id          TEXT,
  quantity             REAL NOT NULL,                      -- at the broker (ours when IB gave no positions)
  average_cost         REAL,                               -- IB's, per unit
  our_quantity         REAL,
  our_entry_price      REAL,
  price                REAL,                               -- from IB's market data
  price_source         TEXT NOT NULL,                      -- last | none
  market_value         REAL,
  unrealized_pnl       REAL,                               -- broker quantity against IB's average cost
  our_unrealized_pnl   REAL,                               -- our quantity against our entry price
  realized_pnl         REAL NOT NULL DEFAULT 0,            -- today's, from our closed rows of the symbol
  quantity_difference  REAL                                -- broker - ours
);
CREATE INDEX idx_position_snapshots_snapshot ON position_snapshots(snapshot_id);

-- The closed trades in exit order without a sort: the analytics read all of them (100,000 rows: half the time
-- of a temporary B-tree), the dashboard's trade log pages through them newest first.
CREATE INDEX idx_round_trips_status_exit ON round_trips(status, exit_time);

CREATE TABLE nav_high_water (
  account     TEXT PRIMARY KEY,
  peak_nav    REAL NOT NULL,
  peak_at     TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
`,
};
