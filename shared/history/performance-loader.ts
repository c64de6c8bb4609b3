import type Database from 'better-sqlite3';
import { DEFAULT_INITIAL_CAPITAL, type AnalyticsOptions } from '../analytics/conventions';
import { buildDailyEquity, sliceDailyEquity, type DailyEquity, type DailyRecord } from '../analytics/equity-series';
import { computePerformance, type PerformanceMetrics } from '../analytics/metrics';
import type { ClosedTradeInput } from '../analytics/trade-stats';
import { isTradingDate, tradingDayOfTime } from '../analytics/trading-days';
import { hasPortfolioSnapshots, PortfolioSnapshotsRepository } from '../db/repositories/portfolio-snapshots-repository';
import type { Clock } from '../time/clock';
import type { TradingDay } from '../time/trading-calendar';
import { DailySummaryRepository } from './daily-summary-repository';
import { TradeHistoryRepository } from './trade-history-repository';
import { tradingDayEndIso } from './trading-day-bounds';

export interface PerformanceQuery extends AnalyticsOptions {
  from?: TradingDay;
  to?: TradingDay;
  /**
   * With a symbol or agent filter the equity is that slice's own: initial capital + its cumulative realized
   * P&L (the account's net liquidation belongs to the whole account, not to one symbol).
   */
  symbol?: string;
  agentName?: string;
  initialCapital?: number;
  /** Zero-P&L trading days are added up to this day (default: the last day with data). */
  fillTo?: TradingDay;
  benchmark?: ReadonlyMap<string, number>;
}

export interface PerformanceResult {
  metrics: PerformanceMetrics;
  daily: DailyEquity[];
  trades: ClosedTradeInput[];
}

/** Reads what the analytics need from the DB: the daily equity series and the closed trades. */
export class PerformanceLoader {
  readonly trades: TradeHistoryRepository;
  readonly dailySummaries: DailySummaryRepository;
  /** Undefined on a DB from before the snapshots (schema < 3, opened read-only). */
  readonly snapshots: PortfolioSnapshotsRepository | undefined;

  constructor(db: Database.Database, clock: Clock) {
    this.trades = new TradeHistoryRepository(db, clock);
    this.dailySummaries = new DailySummaryRepository(db, clock);
    this.snapshots = hasPortfolioSnapshots(db) ? new PortfolioSnapshotsRepository(db, clock) : undefined;
  }

  /**
   * The account's daily equity from the first day with data through `to`: realized P&L per trading day of
   * exit from round_trips, start/end equity from daily_summary where the reconciler recorded it (see
   * buildDailyEquity for how gaps are filled). Where the reconciler's daily summary has no equity for a day,
   * the portfolio snapshots give it: the day's opening NAV and its last snapshot (the closing one after the
   * close, the latest while the day runs).
   */
  dailyEquity(options: { initialCapital?: number; to?: TradingDay; fillTo?: TradingDay } = {}): DailyEquity[] {
    const records = new Map<string, DailyRecord>();
    for (const h of this.trades.realizedByExitHour(options.to ? tradingDayEndIso(options.to) : undefined)) {
      const day = tradingDayOfTime(Date.parse(`${h.hour}:00:00Z`));
      const r = records.get(day) ?? { tradingDay: day, realizedPnl: 0, trades: 0 };
      r.realizedPnl += h.pnl;
      r.trades = (r.trades ?? 0) + h.trades;
      records.set(day, r);
    }
    for (const s of this.dailySummaries.range(undefined, options.to)) {
      if (!isTradingDate(s.tradingDay)) continue; // a row recomputed for a holiday holds nothing of use
      const r = records.get(s.tradingDay) ?? { tradingDay: s.tradingDay, realizedPnl: 0, trades: 0 };
      r.startEquity = s.startEquity;
      r.endEquity = s.endEquity;
      records.set(s.tradingDay, r);
    }
    for (const s of this.snapshots?.days(undefined, options.to) ?? []) {
      if (!isTradingDate(s.tradingDay)) continue;
      const r = records.get(s.tradingDay) ?? { tradingDay: s.tradingDay, realizedPnl: 0, trades: 0 };
      r.startEquity ??= s.openNav;
      r.endEquity ??= s.closeNav;
      records.set(s.tradingDay, r);
    }
    return buildDailyEquity([...records.values()], {
      initialCapital: options.initialCapital ?? DEFAULT_INITIAL_CAPITAL,
      fillTo: options.fillTo,
    });
  }

  performance(query: PerformanceQuery = {}): PerformanceResult {
    const filtered = !!(query.symbol || query.agentName);
    const trades = this.trades.closedForAnalytics({ from: query.from, to: query.to, symbol: query.symbol, agentName: query.agentName });
    let full: DailyEquity[];
    if (filtered) {
      const all = query.from ? this.trades.closedForAnalytics({ to: query.to, symbol: query.symbol, agentName: query.agentName }) : trades;
      full = buildDailyEquity(dailyRecordsOf(all), { initialCapital: query.initialCapital, fillTo: query.fillTo });
    } else {
      full = this.dailyEquity({ initialCapital: query.initialCapital, to: query.to, fillTo: query.fillTo });
    }
    const daily = sliceDailyEquity(full, query.from, query.to);
    const metrics = computePerformance({
      daily,
      trades,
      benchmark: query.benchmark,
      options: { riskFreeRate: query.riskFreeRate, periodsPerYear: query.periodsPerYear },
    });
    return { metrics, daily, trades };
  }
}

/** Realized P&L per trading day of exit. */
export function dailyRecordsOf(trades: readonly ClosedTradeInput[]): DailyRecord[] {
  const byDay = new Map<string, DailyRecord>();
  for (const t of trades) {
    const day = tradingDayOfTime(t.exitTimeMs);
    const r = byDay.get(day) ?? { tradingDay: day, realizedPnl: 0, trades: 0 };
    r.realizedPnl += t.realizedPnl;
    r.trades = (r.trades ?? 0) + 1;
    byDay.set(day, r);
  }
  return [...byDay.values()];
}
