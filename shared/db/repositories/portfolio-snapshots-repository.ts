import type Database from 'better-sqlite3';
import { applyHighWater, type ComputedSnapshot, type PortfolioSnapshotRow, type PositionSnapshotRow } from '../../portfolio/snapshot-model';
import type { Clock } from '../../time/clock';
import type { TradingDay } from '../../time/trading-calendar';
import { isoTime, parseJsonObject } from '../types';

/** A stored portfolio snapshot: what was computed, plus its id and the high-water mark and drawdown after it. */
export interface PortfolioSnapshot extends PortfolioSnapshotRow {
  id: number;
  peakNav: number;
  drawdown: number;
  drawdownPct: number;
}

export interface StoredPositionSnapshot extends PositionSnapshotRow {
  id: number;
  snapshotId: number;
}

/** A point of an equity curve: one snapshot, reduced to what charts need. */
export interface EquityPoint {
  id: number;
  takenAt: string;
  takenAtMs: number;
  tradingDay: TradingDay;
  nav: number;
  peakNav: number;
  drawdown: number;
  drawdownPct: number;
  dayPnl: number | null;
}

/** A trading day as the snapshots saw it: the first and the last snapshot of the day. */
export interface SnapshotDay {
  tradingDay: TradingDay;
  /** The NAV the day opened from (our opening NAV of its first snapshot, else that snapshot's NAV). */
  openNav: number;
  closeNav: number;
  closeKind: string;
  peakNav: number;
  drawdown: number;
  drawdownPct: number;
  snapshots: number;
}

export interface HighWaterMark {
  account: string;
  peakNav: number;
  peakAt: string;
  updatedAt: string;
}

interface SnapshotDbRow {
  id: number; taken_at: string; taken_at_ms: number; trading_day: string; kind: string; account: string; nav: number; nav_source: string;
  cash: number | null; gross_position_value: number; positions: number; our_positions: number; day_realized_pnl: number | null;
  day_unrealized_pnl: number | null; peak_nav: number; drawdown: number; drawdown_pct: number; ib_net_liquidation: number | null;
  ib_total_cash: number | null; ib_gross_position_value: number | null; ib_daily_pnl: number | null; ib_unrealized_pnl: number | null;
  ib_realized_pnl: number | null; our_start_nav: number | null; our_nav: number | null; our_gross_position_value: number; our_realized_pnl: number;
  our_unrealized_pnl: number | null; nav_difference: number | null; daily_pnl_difference: number | null; gross_position_value_difference: number | null;
  detail: string;
}

interface PositionDbRow {
  id: number; snapshot_id: number; symbol: string; con_id: number | null; sec_type: string; currency: string; ours: number; position_id: string | null;
  quantity: number; average_cost: number | null; our_quantity: number | null; our_entry_price: number | null; price: number | null; price_source: string;
  market_value: number | null; unrealized_pnl: number | null; our_unrealized_pnl: number | null; realized_pnl: number; quantity_difference: number | null;
}

function toSnapshot(r: SnapshotDbRow): PortfolioSnapshot {
  return {
    id: r.id, takenAt: r.taken_at, takenAtMs: r.taken_at_ms, tradingDay: r.trading_day, kind: r.kind as PortfolioSnapshot['kind'], account: r.account,
    nav: r.nav, navSource: r.nav_source as 'ib' | 'ours', cash: r.cash, grossPositionValue: r.gross_position_value, positions: r.positions,
    ourPositions: r.our_positions, dayRealizedPnl: r.day_realized_pnl, dayUnrealizedPnl: r.day_unrealized_pnl, peakNav: r.peak_nav, drawdown: r.drawdown,
    drawdownPct: r.drawdown_pct, ibNetLiquidation: r.ib_net_liquidation, ibTotalCash: r.ib_total_cash, ibGrossPositionValue: r.ib_gross_position_value,
    ibDailyPnl: r.ib_daily_pnl, ibUnrealizedPnl: r.ib_unrealized_pnl, ibRealizedPnl: r.ib_realized_pnl, ourStartNav: r.our_start_nav, ourNav: r.our_nav,
    ourGrossPositionValue: r.our_gross_position_value, ourRealizedPnl: r.our_realized_pnl, ourUnrealizedPnl: r.our_unrealized_pnl,
    navDifference: r.nav_difference, dailyPnlDifference: r.daily_pnl_difference, grossPositionValueDifference: r.gross_position_value_difference,
    detail: parseJsonObject(r.detail),
  };
}

function toPosition(r: PositionDbRow): StoredPositionSnapshot {
  return {
    id: r.id, snapshotId: r.snapshot_id, symbol: r.symbol, conId: r.con_id, secType: r.sec_type, currency: r.currency, ours: r.ours === 1,
    positionId: r.position_id, quantity: r.quantity, averageCost: r.average_cost, ourQuantity: r.our_quantity, ourEntryPrice: r.our_entry_price,
    price: r.price, priceSource: r.price_source as 'last' | 'none', marketValue: r.market_value, unrealizedPnl: r.unrealized_pnl,
    ourUnrealizedPnl: r.our_unrealized_pnl, realizedPnl: r.realized_pnl, quantityDifference: r.quantity_difference,
  };
}

const POINT_COLUMNS = 'id, taken_at, taken_at_ms, trading_day, nav, peak_nav, drawdown, drawdown_pct, day_realized_pnl, day_unrealized_pnl';
type PointRow = [number, string, number, string, number, number, number, number, number | null, number | null];
function toPoint(r: PointRow): EquityPoint {
  const [id, takenAt, takenAtMs, tradingDay, nav, peakNav, drawdown, drawdownPct, realized, unrealized] = r;
  return { id, takenAt, takenAtMs, tradingDay, nav, peakNav, drawdown, drawdownPct, dayPnl: realized === null && unrealized === null ? null : (realized ?? 0) + (unrealized ?? 0) };
}

/**
 * `portfolio_snapshots`, `position_snapshots` and `nav_high_water`. The reconciler writes (one immediate
 * transaction per snapshot: the high-water mark moves with the row that raised it); the dashboard, reports
 * and analytics read.
 */
export class PortfolioSnapshotsRepository {
  private readonly insertStmt: Database.Statement;
  private readonly insertPositionStmt: Database.Statement;
  private readonly highWaterStmt: Database.Statement<[string]>;
  private readonly upsertHighWaterStmt: Database.Statement;
  private readonly latestStmt: Database.Statement<[]>;
  private readonly byIdStmt: Database.Statement<[number]>;
  private readonly positionsStmt: Database.Statement<[number]>;
  private readonly lastBeforeDayStmt: Database.Statement<[string]>;
  private readonly intradayStmt: Database.Statement<[string]>;
  private readonly sinceIdStmt: Database.Statement<[number, number]>;
  private readonly daysStmt: Database.Statement;
  private readonly pruneStmt: Database.Statement<[string, string]>;
  private readonly countStmt: Database.Statement<[]>;
  private readonly recordTx: (snapshot: ComputedSnapshot) => PortfolioSnapshot;

  constructor(db: Database.Database, private readonly clock: Clock) {
    this.insertStmt = db.prepare(`INSERT INTO portfolio_snapshots (taken_at, taken_at_ms, trading_day, kind, account, nav, nav_source, cash,
      gross_position_value, positions, our_positions, day_realized_pnl, day_unrealized_pnl, peak_nav, drawdown, drawdown_pct, ib_net_liquidation,
      ib_total_cash, ib_gross_position_value, ib_daily_pnl, ib_unrealized_pnl, ib_realized_pnl, our_start_nav, our_nav, our_gross_position_value,
      our_realized_pnl, our_unrealized_pnl, nav_difference, daily_pnl_difference, gross_position_value_difference, detail)
      VALUES (@takenAt, @takenAtMs, @tradingDay, @kind, @account, @nav, @navSource, @cash, @grossPositionValue, @positions, @ourPositions,
      @dayRealizedPnl, @dayUnrealizedPnl, @peakNav, @drawdown, @drawdownPct, @ibNetLiquidation, @ibTotalCash, @ibGrossPositionValue, @ibDailyPnl,
      @ibUnrealizedPnl, @ibRealizedPnl, @ourStartNav, @ourNav, @ourGrossPositionValue, @ourRealizedPnl, @ourUnrealizedPnl, @navDifference,
      @dailyPnlDifference, @grossPositionValueDifference, @detail)`);
    this.insertPositionStmt = db.prepare(`INSERT INTO position_snapshots (snapshot_id, symbol, con_id, sec_type, currency, ours, position_id, quantity,
      average_cost, our_quantity, our_entry_price, price, price_source, market_value, unrealized_pnl, our_unrealized_pnl, realized_pnl, quantity_difference)
      VALUES (@snapshotId, @symbol, @conId, @secType, @currency, @ours, @positionId, @quantity, @averageCost, @ourQuantity, @ourEntryPrice, @price,
      @priceSource, @marketValue, @unrealizedPnl, @ourUnrealizedPnl, @realizedPnl, @quantityDifference)`);
    this.highWaterStmt = db.prepare('SELECT account, peak_nav AS peakNav, peak_at AS peakAt, updated_at AS updatedAt FROM nav_high_water WHERE account = ?');
    this.upsertHighWaterStmt = db.prepare(`INSERT INTO nav_high_water (account, peak_nav, peak_at, updated_at) VALUES (@account, @peakNav, @peakAt, @updatedAt)
      ON CONFLICT (account) DO UPDATE SET peak_nav = excluded.peak_nav, peak_at = excluded.peak_at, updated_at = excluded.updated_at`);
    this.latestStmt = db.prepare('SELECT * FROM portfolio_snapshots ORDER BY id DESC LIMIT 1');
    this.byIdStmt = db.prepare('SELECT * FROM portfolio_snapshots WHERE id = ?');
    this.positionsStmt = db.prepare('SELECT * FROM position_snapshots WHERE snapshot_id = ? ORDER BY ours DESC, symbol, sec_type');
    this.lastBeforeDayStmt = db.prepare('SELECT * FROM portfolio_snapshots WHERE trading_day < ? ORDER BY trading_day DESC, id DESC LIMIT 1');
    this.intradayStmt = db.prepare(`SELECT ${POINT_COLUMNS} FROM portfolio_snapshots WHERE trading_day = ? ORDER BY taken_at, id`).raw();
    this.sinceIdStmt = db.prepare(`SELECT ${POINT_COLUMNS} FROM portfolio_snapshots WHERE id > ? ORDER BY id LIMIT ?`).raw();
    // The first and last snapshot of each day in one pass over the (trading_day, taken_at) index.
    this.daysStmt = db.prepare(`SELECT d.trading_day AS tradingDay, d.snapshots, COALESCE(f.our_start_nav, f.nav) AS openNav, l.nav AS closeNav,
        l.kind AS closeKind, l.peak_nav AS peakNav, l.drawdown, l.drawdown_pct AS drawdownPct
      FROM (SELECT trading_day, MIN(id) AS first_id, MAX(id) AS last_id, COUNT(*) AS snapshots FROM portfolio_snapshots
            WHERE trading_day >= @from AND trading_day <= @to GROUP BY trading_day) d
      JOIN portfolio_snapshots f ON f.id = d.first_id JOIN portfolio_snapshots l ON l.id = d.last_id
      ORDER BY d.trading_day`);
    // Intraday rows of old days go; each day keeps its last snapshot (the close), so the daily history stays.
    this.pruneStmt = db.prepare(`DELETE FROM portfolio_snapshots WHERE trading_day < ? AND id NOT IN
      (SELECT MAX(id) FROM portfolio_snapshots WHERE trading_day < ? GROUP BY trading_day)`);
    this.countStmt = db.prepare('SELECT COUNT(*) FROM portfolio_snapshots').pluck();
    const record = db.transaction((snapshot: ComputedSnapshot): PortfolioSnapshot => {
      const row = snapshot.portfolio;
      const previous = this.highWater(row.account);
      const mark = applyHighWater(row.nav, previous?.peakNav);
      if (!previous || mark.peakNav !== previous.peakNav) {
        this.upsertHighWaterStmt.run({ account: row.account, peakNav: mark.peakNav, peakAt: row.takenAt, updatedAt: isoTime(this.clock.now()) });
      }
      const id = Number(this.insertStmt.run({ ...row, ...mark, detail: JSON.stringify(row.detail) }).lastInsertRowid);
      for (const p of snapshot.positions) this.insertPositionStmt.run({ ...p, snapshotId: id, ours: p.ours ? 1 : 0 });
      return { ...row, id, ...mark };
    });
    this.recordTx = (snapshot) => record.immediate(snapshot);
  }

  /** Stores a snapshot and its positions, moving the high-water mark when the NAV is a new peak. */
  record(snapshot: ComputedSnapshot): PortfolioSnapshot {
    return this.recordTx(snapshot);
  }

  highWater(account: string): HighWaterMark | undefined {
    return this.highWaterStmt.get(account) as HighWaterMark | undefined;
  }

  latest(): PortfolioSnapshot | undefined {
    const row = this.latestStmt.get() as SnapshotDbRow | undefined;
    return row ? toSnapshot(row) : undefined;
  }

  get(id: number): PortfolioSnapshot | undefined {
    const row = this.byIdStmt.get(id) as SnapshotDbRow | undefined;
    return row ? toSnapshot(row) : undefined;
  }

  positionsOf(snapshotId: number): StoredPositionSnapshot[] {
    return (this.positionsStmt.all(snapshotId) as PositionDbRow[]).map(toPosition);
  }

  /** The last snapshot of a day before `tradingDay`: the previous close our opening NAV builds on. */
  lastBefore(tradingDay: TradingDay): PortfolioSnapshot | undefined {
    const row = this.lastBeforeDayStmt.get(tradingDay) as SnapshotDbRow | undefined;
    return row ? toSnapshot(row) : undefined;
  }

  /** Every snapshot of a trading day, oldest first: the intraday equity curve. */
  intraday(tradingDay: TradingDay): EquityPoint[] {
    return (this.intradayStmt.all(tradingDay) as PointRow[]).map(toPoint);
  }

  /** Snapshots after id `afterId`, oldest first, at most `limit` (live chart updates). */
  since(afterId: number, limit = 500): EquityPoint[] {
    return (this.sinceIdStmt.all(afterId, limit) as PointRow[]).map(toPoint);
  }

  /** One row per trading day with snapshots (first and last of the day), oldest first. */
  days(from?: TradingDay, to?: TradingDay): SnapshotDay[] {
    return this.daysStmt.all({ from: from ?? '0000-00-00', to: to ?? '9999-99-99' }) as SnapshotDay[];
  }

  /** Drops the intraday snapshots (and their positions) of days before `tradingDay`, keeping each day's last. */
  pruneIntradayBefore(tradingDay: TradingDay): number {
    return this.pruneStmt.run(tradingDay, tradingDay).changes;
  }

  count(): number {
    return this.countStmt.get() as number;
  }
}

/** Whether the snapshot tables exist: a DB opened read-only before migration 3 ran has none (never migrated by a reader). */
export function hasPortfolioSnapshots(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'portfolio_snapshots'").get() !== undefined;
}
