/**
 * bench:analytics — time to compute every metric for 10 years of daily equity (2,520 trading days) and
 * 100,000 round trips, and to build a monthly report (md + html + csv) from a SQLite file holding them.
 * Target: 100 ms in total (median metrics run + median report run). The first run of each is reported apart:
 * it pays for compiling the code and preparing the statements, as a one-off `npm run report` does.
 * Prints { "analytics": { ... } } when run directly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDailyEquity, type DailyRecord } from '../../shared/analytics/equity-series';
import { computePerformance } from '../../shared/analytics/metrics';
import { breakdownBy, type ClosedTradeInput } from '../../shared/analytics/trade-stats';
import { sessionMinutes, tradingDaysBetween } from '../../shared/analytics/trading-days';
import { openDatabase } from '../../shared/db/open-database';
import { generateReport, renderReportFiles } from '../../shared/history/generate-report';
import { loadReportData } from '../../shared/history/report-data';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime, tradingDayOf } from '../../shared/time/trading-calendar';
import { percentile, round, summarize } from './stats';
import { mulberry32 } from '../../shared/random/mulberry32';

const EQUITY_DAYS = 2_520;
const TRADES = 100_000;
const TARGET_MS = 100;
const METRIC_RUNS = 20;
const REPORT_RUNS = 10;

/** Seeded, so every run benchmarks the same data. */
const prng = mulberry32;

interface BenchTrade extends ClosedTradeInput {
  positionId: string;
  tradingDay: string;
  quantity: number;
  entryPrice: number;
  exitPrice: number;
}

function generate(): { days: string[]; records: DailyRecord[]; trades: BenchTrade[] } {
  const random = prng(42);
  const days = tradingDaysBetween('2016-01-04', '2027-12-31').slice(0, EQUITY_DAYS);
  const trades: BenchTrade[] = [];
  const pnlByDay = new Map<string, number>();
  for (let i = 0; i < TRADES; i++) {
    const day = days[Math.floor((i * days.length) / TRADES)]!;
    const openMs = newYorkTime(day, '09:30');
    const sessionMs = sessionMinutes(day) * 60_000;
    const entryTimeMs = openMs + Math.floor(random() * sessionMs * 0.8);
    const exitTimeMs = Math.min(openMs + sessionMs - 60_000, entryTimeMs + Math.floor(random() * 90 * 60_000) + 60_000);
    const quantity = 10 + Math.floor(random() * 200);
    const entryPrice = 20 + random() * 300;
    const exitPrice = entryPrice * (1 + (random() - 0.48) * 0.03);
    const commission = 2;
    const realizedPnl = (exitPrice - entryPrice) * quantity - commission;
    trades.push({ positionId: `B-${i}`, symbol: `S${Math.floor(random() * 300)}`, agentName: i % 3 === 0 ? 'gap-momentum' : 'mean-revert', tradingDay: day, quantity, entryPrice, exitPrice, realizedPnl, entryTimeMs, exitTimeMs, commission });
    pnlByDay.set(day, (pnlByDay.get(day) ?? 0) + realizedPnl);
  }
  // Account equity recorded on most days (the reconciler's), missing on every 10th: both paths are exercised.
  let equity = 1_000_000;
  const records: DailyRecord[] = days.map((day, i) => {
    const pnl = pnlByDay.get(day) ?? 0;
    const start = equity;
    equity += pnl + (random() - 0.5) * 200;
    return { tradingDay: day, realizedPnl: pnl, startEquity: i % 10 === 9 ? null : start, endEquity: i % 10 === 9 ? null : equity };
  });
  return { days, records, trades };
}

/** Wall time, and the CPU time this process used meanwhile (on a busy machine the two part: the CPU time is ours alone). */
function timed<T>(fn: () => T): { ms: number; cpuMs: number; value: T } {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const value = fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1_000, value };
}

function allMetrics(records: DailyRecord[], trades: BenchTrade[]) {
  const daily = buildDailyEquity(records, { initialCapital: 1_000_000 });
  const metrics = computePerformance({ daily, trades, options: { riskFreeRate: 0.04 } });
  return { metrics, bySymbol: breakdownBy(trades, (t) => t.symbol), byAgent: breakdownBy(trades, (t) => t.agentName ?? '') };
}

function fillDatabase(dbPath: string, records: DailyRecord[], trades: BenchTrade[]): void {
  const db = openDatabase(dbPath);
  const insertTrip = db.prepare(`INSERT INTO round_trips (position_id, symbol, agent_name, direction, status, quantity, entry_price, entry_time,
    exit_price, exit_time, exit_reason, commission, realized_pnl, pnl_pct, trading_day, source)
    VALUES (?, ?, ?, 'LONG', 'CLOSED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'bot')`);
  const insertDay = db.prepare(`INSERT INTO daily_summary (trading_day, realized_pnl, start_equity, end_equity, updated_at) VALUES (?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (const t of trades) {
      insertTrip.run(t.positionId, t.symbol, t.agentName, t.quantity, t.entryPrice, new Date(t.entryTimeMs).toISOString(), t.exitPrice,
        new Date(t.exitTimeMs).toISOString(), t.realizedPnl > 0 ? 'PROFIT_TARGET' : 'STOP_LOSS', t.commission, t.realizedPnl, (t.exitPrice / t.entryPrice - 1) * 100, t.tradingDay);
    }
    for (const r of records) insertDay.run(r.tradingDay, r.realizedPnl, r.startEquity ?? null, r.endEquity ?? null, new Date().toISOString());
  }).immediate();
  db.close();
}

export async function runAnalyticsBench(): Promise<Record<string, unknown>> {
  const { days, records, trades } = generate();
  const metricRuns = Array.from({ length: METRIC_RUNS }, () => timed(() => allMetrics(records, trades)));
  const check = metricRuns[0]!.value.metrics;
  if (check.trades.trades !== TRADES || check.tradingDays !== EQUITY_DAYS) throw new Error(`bench data mismatch: ${check.trades.trades} trades, ${check.tradingDays} days`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-analytics-'));
  try {
    const dbPath = path.join(dir, 'trading.db');
    fillDatabase(dbPath, records, trades);
    const lastDay = days[days.length - 1]!;
    // The last complete month of the series (about 40 trades a day, ~800 in the report).
    const reportDay = days[days.length - 1 - 25]!;
    const clock = new ManualClock(newYorkTime(lastDay, '17:00'));
    const db = openDatabase(dbPath, { readonly: true });
    const request = { period: 'monthly' as const, date: reportDay, formats: ['md', 'html', 'csv'] as const, reportsDir: path.join(dir, 'reports') };
    const reportRuns = Array.from({ length: REPORT_RUNS }, () => timed(() => generateReport(db, clock, request)));
    // Where a report's time goes: reading (SQL and figures) and rendering the five files (without writing them).
    const loadRuns = Array.from({ length: REPORT_RUNS }, () => timed(() => loadReportData(db, clock, request)));
    const renderRuns = Array.from({ length: REPORT_RUNS }, () => timed(() => renderReportFiles(loadRuns[0]!.value, request.formats, request.reportsDir)));
    db.close();
    const report = reportRuns[0]!.value;
    const metricMs = metricRuns.map((r) => r.ms);
    const reportMs = reportRuns.map((r) => r.ms);
    const allMetricsMs = percentile(metricMs, 50);
    const monthlyReportMs = percentile(reportMs, 50);
    return {
      allMetricsMs: round(allMetricsMs),
      monthlyReportMs: round(monthlyReportMs),
      totalMs: round(allMetricsMs + monthlyReportMs),
      targetMs: TARGET_MS,
      trades: TRADES,
      equityDays: EQUITY_DAYS,
      allMetrics: summarize(metricMs),
      monthlyReport: summarize(reportMs),
      cpuMsP50: { allMetrics: round(percentile(metricRuns.map((r) => r.cpuMs), 50)), monthlyReport: round(percentile(reportRuns.map((r) => r.cpuMs), 50)) },
      monthlyReportStagesMs: { loadP50: round(percentile(loadRuns.map((r) => r.ms), 50)), renderP50: round(percentile(renderRuns.map((r) => r.ms), 50)) },
      firstRunMs: { allMetrics: round(metricRuns[0]!.ms), monthlyReport: round(reportRuns[0]!.ms), total: round(metricRuns[0]!.ms + reportRuns[0]!.ms) },
      monthlyReportTrades: report.data.trades.length,
      monthlyReportPeriod: report.data.period.key,
      sampleFigures: {
        sharpeRatio: check.sharpeRatio === null ? null : round(check.sharpeRatio, 3),
        maxDrawdown: check.maxDrawdown === null ? null : round(check.maxDrawdown, 4),
        winRate: check.trades.winRate === null ? null : round(check.trades.winRate, 4),
        reportAgentMaxDrawdowns: report.data.byAgent.map((a) => [a.key, a.maxDrawdown === null ? null : round(a.maxDrawdown, 6)]),
      },
      note: `p50 of ${metricRuns.length} metric runs and ${reportRuns.length} report runs (md+html+csv, from a SQLite file with all ${TRADES} round trips, ` +
        `market clock at ${tradingDayOf(clock.now())}); firstRunMs is each one's first (cold) run, also counted in the p50; on ${os.cpus().length} CPU(s), ` +
        `load average ${os.loadavg()[0]!.toFixed(2)} at the end`,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void runAnalyticsBench().then((result) => console.log(JSON.stringify({ analytics: result }, null, 2)));
}
