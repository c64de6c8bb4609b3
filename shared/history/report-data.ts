import type Database from 'better-sqlite3';
import { agentBreakdown, type AgentBreakdownInput } from '../analytics/agent-breakdown';
import { DEFAULT_INITIAL_CAPITAL } from '../analytics/conventions';
import { equityCurve, sliceDailyEquity, type DailyEquity } from '../analytics/equity-series';
import { computePerformance } from '../analytics/metrics';
import { agentReportRow } from '../analytics/report/by-agent';
import { reportPeriod } from '../analytics/report/period';
import type { CurvePoint, ReportData, ReportPeriod, ReportPeriodKind, ReportTrade } from '../analytics/report/report-model';
import { breakdownBy, type ClosedTradeInput } from '../analytics/trade-stats';
import { formatEt, tradingDayOfTime } from '../analytics/trading-days';
import { isoTime } from '../db/types';
import type { Clock } from '../time/clock';
import { calendarDayInNewYork } from '../time/trading-calendar';
import { PerformanceLoader } from './performance-loader';
import { PipelineHistoryRepository } from './pipeline-history-repository';

export interface ReportRequest {
  period: ReportPeriodKind;
  /** Any day of the period, 'YYYY-MM-DD'. */
  date: string;
  initialCapital?: number;
  /** Annual, fraction. */
  riskFreeRate?: number;
}

/**
 * Reads everything one report shows. Days of the period up to today (market clock) that had no trade count as
 * 0-P&L days; days after today are not part of the figures yet.
 */
export function loadReportData(db: Database.Database, clock: Clock, request: ReportRequest): ReportData {
  const nowMs = clock.now();
  const period = reportPeriod(request.period, request.date);
  const initialCapital = request.initialCapital ?? DEFAULT_INITIAL_CAPITAL;
  const loader = new PerformanceLoader(db, clock);
  const today = calendarDayInNewYork(nowMs);
  const elapsed = period.tradingDays.filter((d) => d <= today);
  const equity = loader.periodEquity(period.from, { initialCapital, to: period.to, fillTo: elapsed[elapsed.length - 1] });
  const daily = sliceDailyEquity(equity.daily, period.from, period.to);
  const trades = loader.trades.closedForReport(period.from, period.to);
  const inputs: ClosedTradeInput[] = trades.map((t) => ({
    symbol: t.symbol, agentName: t.agentName, realizedPnl: t.realizedPnl, entryTimeMs: t.entryTimeMs, exitTimeMs: t.exitTimeMs, commission: t.commission,
  }));
  const metrics = computePerformance({ daily, trades: inputs, options: { riskFreeRate: request.riskFreeRate } });
  const openingEquity = daily[0]?.startEquity ?? equity.endEquityBefore ?? initialCapital;
  const activity = new PipelineHistoryRepository(db).activity(period.from, period.to);
  const byAgent = agentBreakdown({ trades: inputs, ...agentHistory(loader, inputs, period, initialCapital), from: period.from, to: period.to, initialCapital });
  return {
    period,
    generatedAt: isoTime(nowMs),
    metrics,
    trades,
    bySymbol: breakdownBy(inputs, (t) => t.symbol),
    byAgent: byAgent.map(agentReportRow),
    curve: period.kind === 'daily' ? snapshotCurve(loader, period.from) ?? intradayCurve(openingEquity, trades) : dailyCurve(daily),
    equitySource: equitySourceOf(daily),
    initialCapital,
    openTrades: loader.trades.openCount(),
    activity: activity.runs > 0 ? { runs: activity.runs, failedRuns: activity.failedRuns, candidates: activity.candidates, taken: activity.taken } : null,
  };
}

/**
 * What an agent's drawdown in the period starts from: the equity its earlier trades built (as npm run stats
 * does). Summed inside SQLite when the period's trades all fall on the period's days and the stored exit
 * times sort in day order, which is how the bots write them; otherwise from the whole history, as before.
 */
function agentHistory(loader: PerformanceLoader, inputs: readonly ClosedTradeInput[], period: ReportPeriod, initialCapital: number):
  Pick<AgentBreakdownInput, 'history' | 'openingEquity'> {
  const inPeriod = inputs.every((t) => {
    const day = tradingDayOfTime(t.exitTimeMs);
    return day >= period.from && day <= period.to;
  });
  const openingEquity = inPeriod ? loader.trades.agentEquityBefore(period.from, initialCapital) : undefined;
  return openingEquity ? { openingEquity } : { history: loader.trades.closedForAnalytics({ to: period.to }) };
}

/**
 * A daily report's curve from the portfolio snapshots of the day (marked to market every snapshot, so open
 * positions move it too): the opening NAV, then every snapshot. Undefined without snapshots that day.
 */
function snapshotCurve(loader: PerformanceLoader, tradingDay: string): CurvePoint[] | undefined {
  const points = loader.snapshots?.intraday(tradingDay) ?? [];
  if (points.length === 0) return undefined;
  const opening = loader.snapshots!.days(tradingDay, tradingDay)[0]?.openNav ?? points[0]!.nav;
  return [{ label: 'open', equity: opening }, ...points.map((p) => ({ label: formatEt(Date.parse(p.takenAt), 'time'), equity: p.nav }))];
}

/** Opening equity, then + realized P&L at each exit (a daily report's curve, when there are no snapshots). */
function intradayCurve(openingEquity: number, trades: readonly ReportTrade[]): CurvePoint[] {
  const points: CurvePoint[] = [{ label: 'open', equity: openingEquity }];
  let equity = openingEquity;
  for (const t of trades) {
    equity += t.realizedPnl;
    points.push({ label: formatEt(t.exitTimeMs, 'time'), equity });
  }
  return points;
}

function dailyCurve(daily: readonly DailyEquity[]): CurvePoint[] {
  return equityCurve(daily).map((p) => ({ label: p.label ?? 'start', equity: p.equity }));
}

function equitySourceOf(daily: readonly DailyEquity[]): ReportData['equitySource'] {
  if (daily.length === 0) return 'none';
  const account = daily.filter((d) => d.endSource === 'account').length;
  return account === daily.length ? 'account' : account === 0 ? 'derived' : 'mixed';
}
