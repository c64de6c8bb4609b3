import { agentBreakdown, type AgentPerformance } from '../../../shared/analytics/agent-breakdown';
import type { DailyEquity } from '../../../shared/analytics/equity-series';
import type { PerformanceMetrics } from '../../../shared/analytics/metrics';
import { breakdownBy, type BreakdownRow, type ClosedTradeInput } from '../../../shared/analytics/trade-stats';
import type { HighWaterMark } from '../../../shared/db';
import type { DbProblem } from '../../../scripts/status/status-model';
import { formatNewYork, tradingDayOf } from '../../../shared/time/trading-calendar';
import type { DashboardServices } from '../services';

export interface PerformanceQueryParams {
  from?: string;
  to?: string;
  symbol?: string;
  agent?: string;
}

export interface HeatmapData {
  /** Columns: half hours of the regular session, New York time ("09:30" … "15:30"), then "other". */
  buckets: string[];
  rows: Array<{ symbol: string; trades: number; pnl: number; cells: Array<{ pnl: number; trades: number }> }>;
  /** All symbols together, per bucket. */
  total: Array<{ pnl: number; trades: number }>;
  /** Largest |P&L| of a cell (the colour scale). */
  maxAbsPnl: number;
}

export interface PerformanceData {
  generatedAt: string;
  query: PerformanceQueryParams;
  metrics: PerformanceMetrics;
  /** One row per trading day: equity, P&L, return and the drawdown from the running peak. */
  daily: Array<Pick<DailyEquity, 'tradingDay' | 'startEquity' | 'endEquity' | 'pnl' | 'trades' | 'return' | 'endSource'> & { drawdownPct: number }>;
  /** Monthly returns by year: months[0] is January; null where no trading day fell. */
  monthly: Array<{ year: string; months: Array<number | null>; total: number | null }>;
  heatmap: HeatmapData;
  bySymbol: BreakdownRow[];
  /**
   * One row per agent (strategy) that closed a trade in the range, as `npm run stats -- --json` gives it
   * (agentBreakdown); the page shows them when more than one agent traded.
   */
  byAgent: AgentPerformance[];
  /** The NAV high-water mark of the portfolio snapshots (survives restarts), null without snapshots. */
  highWater: HighWaterMark | null;
  /** Trading days with portfolio snapshots (their equity comes from the snapshots where the daily summary has none). */
  snapshotDays: number;
}

const BUCKETS = ['09:30', '10:00', '10:30', '11:00', '11:30', '12:00', '12:30', '13:00', '13:30', '14:00', '14:30', '15:00', '15:30', 'other'];
const HEATMAP_SYMBOLS = 20;

interface CacheEntry {
  key: string;
  data: PerformanceData;
  builtAtMs: number;
}

/** Today's equity moves with every snapshot (each market minute): the figures follow at most this often. */
const REFRESH_AFTER_MS = 60_000;

/**
 * The performance page: every metric the analytics compute (shared/analytics, the same as npm run stats),
 * the daily equity and drawdown, monthly returns, P&L by symbol and time of day. Computing them over 100,000
 * trades takes most of a second, so the result is kept until the trade history changes (a close, a new round
 * trip, a daily summary), and at most REFRESH_AFTER_MS while only today's snapshots move the equity.
 */
export class PerformanceView {
  private cache: CacheEntry | undefined;

  constructor(private readonly s: DashboardServices) {}

  build(query: PerformanceQueryParams, version: string): { ok: true; data: PerformanceData } | { ok: false; problem: DbProblem } {
    const key = `${version}|${JSON.stringify(query)}|${tradingDayOf(this.s.clock.now())}`;
    if (this.cache?.key === key && Date.now() - this.cache.builtAtMs < REFRESH_AFTER_MS) return { ok: true, data: this.cache.data };
    const result = this.s.db.read((r) => {
      const performance = r.performance.performance({ from: query.from, to: query.to, symbol: query.symbol, agentName: query.agent, fillTo: tradingDayOf(this.s.clock.now()) });
      // Each agent's drawdown in a range starts from the equity its earlier trades built, as in npm run stats.
      const history = query.from ? r.performance.trades.closedForAnalytics({ to: query.to, symbol: query.symbol, agentName: query.agent }) : undefined;
      const latest = r.snapshots?.latest();
      return {
        performance,
        history,
        highWater: latest ? r.snapshots!.highWater(latest.account) ?? null : null,
        snapshotDays: r.snapshots ? r.snapshots.days(query.from, query.to).length : 0,
      };
    });
    if (!result.ok) return result;
    const { performance, history, highWater, snapshotDays } = result.value;
    const data: PerformanceData = {
      generatedAt: new Date().toISOString(),
      query,
      metrics: performance.metrics,
      daily: withDrawdown(performance.daily),
      monthly: monthlyTable(performance.metrics),
      heatmap: heatmap(performance.trades),
      bySymbol: breakdownBy(performance.trades, (t) => t.symbol).sort((a, b) => Math.abs(b.netProfit) - Math.abs(a.netProfit)).slice(0, 50),
      byAgent: agentBreakdown({ trades: performance.trades, history, from: query.from, to: query.to }),
      highWater,
      snapshotDays,
    };
    this.cache = { key, data, builtAtMs: Date.now() };
    return { ok: true, data };
  }
}

function withDrawdown(daily: readonly DailyEquity[]): PerformanceData['daily'] {
  let peak = daily[0]?.startEquity ?? 0;
  return daily.map((d) => {
    peak = Math.max(peak, d.startEquity, d.endEquity);
    return {
      tradingDay: d.tradingDay, startEquity: d.startEquity, endEquity: d.endEquity, pnl: d.pnl, trades: d.trades, return: d.return, endSource: d.endSource,
      drawdownPct: peak > 0 ? (d.endEquity / peak - 1) * 100 : 0,
    };
  });
}

function monthlyTable(metrics: PerformanceMetrics): PerformanceData['monthly'] {
  const years = new Map<string, Array<number | null>>();
  for (const m of metrics.monthlyReturns) {
    const [year, month] = m.period.split('-');
    const row = years.get(year!) ?? new Array<number | null>(12).fill(null);
    row[Number(month) - 1] = m.return;
    years.set(year!, row);
  }
  const yearly = new Map(metrics.yearlyReturns.map((y) => [y.period, y.return]));
  return [...years.entries()].sort(([a], [b]) => b.localeCompare(a)).map(([year, months]) => ({ year, months, total: yearly.get(year) ?? null }));
}

/**
 * P&L by symbol and half hour of the exit (New York time). The New York offset is looked up once per UTC
 * date (DST moves it twice a year), not per trade: 100,000 zone conversions would take half a second.
 */
export function heatmap(trades: readonly ClosedTradeInput[]): HeatmapData {
  const offsetByUtcDay = new Map<number, number>();
  const bucketOf = (ms: number): number => {
    const utcDay = Math.floor(ms / 86_400_000);
    let offsetMinutes = offsetByUtcDay.get(utcDay);
    if (offsetMinutes === undefined) {
      const afternoon = utcDay * 86_400_000 + 17 * 3_600_000; // 12:00 or 13:00 in New York: the session's offset
      const [h, m] = formatNewYork(afternoon, 'HH:mm').split(':').map(Number);
      offsetMinutes = h! * 60 + m! - 17 * 60;
      offsetByUtcDay.set(utcDay, offsetMinutes);
    }
    const minutes = ((((ms % 86_400_000) / 60_000 | 0) + offsetMinutes) % 1440 + 1440) % 1440;
    if (minutes < 570 || minutes >= 960) return BUCKETS.length - 1;
    return Math.floor((minutes - 570) / 30);
  };
  const bySymbol = new Map<string, { trades: number; pnl: number; cells: Array<{ pnl: number; trades: number }> }>();
  const total = BUCKETS.map(() => ({ pnl: 0, trades: 0 }));
  for (const t of trades) {
    const b = bucketOf(t.exitTimeMs);
    let row = bySymbol.get(t.symbol);
    if (!row) bySymbol.set(t.symbol, (row = { trades: 0, pnl: 0, cells: BUCKETS.map(() => ({ pnl: 0, trades: 0 })) }));
    row.trades += 1;
    row.pnl += t.realizedPnl;
    row.cells[b]!.pnl += t.realizedPnl;
    row.cells[b]!.trades += 1;
    total[b]!.pnl += t.realizedPnl;
    total[b]!.trades += 1;
  }
  const rows = [...bySymbol.entries()].map(([symbol, r]) => ({ symbol, ...r })).sort((a, b) => b.trades - a.trades || a.symbol.localeCompare(b.symbol)).slice(0, HEATMAP_SYMBOLS);
  let maxAbsPnl = 0;
  for (const r of rows) for (const c of r.cells) maxAbsPnl = Math.max(maxAbsPnl, Math.abs(c.pnl));
  return { buckets: BUCKETS, rows, total, maxAbsPnl };
}
