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
import { tradingDayEndIso, tradingDayStartIso } from './trading-day-bounds';

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

export interface PeriodEquity {
  /** The days from the period's first on. */
  daily: DailyEquity[];
  /** End equity of the day before the first (undefined when the series starts in the period). */
  endEquityBefore: number | undefined;
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
    return this.equitySeries({ ...options, since: undefined });
  }

  /**
   * The days of dailyEquity from `from` on, the same to the last bit, and the end equity of the day before
   * (undefined without one), without reading ten years of history: every day after a day whose end equity the
   * account recorded starts from that recorded figure, so the series can start at the last such day before
   * `from`. Without one (no account equity before `from`) it reads everything, like dailyEquity.
   */
  periodEquity(from: TradingDay, options: { initialCapital?: number; to?: TradingDay; fillTo?: TradingDay } = {}): PeriodEquity {
    const series = this.equitySeries({ ...options, since: this.lastRecordedEndBefore(from) });
    const firstInPeriod = series.findIndex((d) => d.tradingDay >= from);
    const split = firstInPeriod === -1 ? series.length : firstInPeriod;
    return { daily: series.slice(split), endEquityBefore: split > 0 ? series[split - 1]!.endEquity : undefined };
  }

  private equitySeries(options: { initialCapital?: number; to?: TradingDay; fillTo?: TradingDay; since: TradingDay | undefined }): DailyEquity[] {
    const records = new Map<string, DailyRecord>();
    const beforeIso = options.to ? tradingDayEndIso(options.to) : undefined;
    for (const h of this.trades.realizedByExitHour(beforeIso, options.since ? tradingDayStartIso(options.since) : undefined)) {
      const day = tradingDayOfTime(Date.parse(`${h.hour}:00:00Z`));
      const r = records.get(day) ?? { tradingDay: day, realizedPnl: 0, trades: 0 };
      r.realizedPnl += h.pnl;
      r.trades = (r.trades ?? 0) + h.trades;
      records.set(day, r);
    }
    for (const s of this.dailySummaries.range(options.since, options.to)) {
      if (!isTradingDate(s.tradingDay)) continue; // a row recomputed for a holiday holds nothing of use
      const r = records.get(s.tradingDay) ?? { tradingDay: s.tradingDay, realizedPnl: 0, trades: 0 };
      r.startEquity = s.startEquity;
      r.endEquity = s.endEquity;
      records.set(s.tradingDay, r);
    }
    for (const s of this.snapshots?.days(options.since, options.to) ?? []) {
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

  /**
   * The last trading day before `day` with an end equity dailyEquity takes as recorded (the daily summary's,
   * else the day's last snapshot), looking back a month, then further; undefined without one.
   */
  private lastRecordedEndBefore(day: TradingDay): TradingDay | undefined {
    const until = addCalendarDays(day, -1);
    for (const lookBackDays of [31, 366, undefined]) {
      const since = lookBackDays === undefined ? undefined : addCalendarDays(day, -lookBackDays);
      const endByDay = new Map<string, number | null>();
      for (const s of this.dailySummaries.range(since, until)) endByDay.set(s.tradingDay, s.endEquity);
      for (const s of this.snapshots?.days(since, until) ?? []) endByDay.set(s.tradingDay, endByDay.get(s.tradingDay) ?? s.closeNav);
      let found: TradingDay | undefined;
      for (const [tradingDay, end] of endByDay) {
        if ((found === undefined || tradingDay > found) && isTradingDate(tradingDay) && end !== null && Number.isFinite(end)) found = tradingDay;
      }
      if (found !== undefined) return found;
    }
    return undefined;
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

function addCalendarDays(day: TradingDay, days: number): TradingDay {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
