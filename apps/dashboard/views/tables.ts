import type { EquityPoint, PortfolioSnapshot, ReconciliationRun, StoredPositionSnapshot, HighWaterMark } from '../../../shared/db';
import type { ReconciliationSummaryRow } from '../../../shared/db/repositories/reconciliation-history-repository';
import type { PipelineRunRow } from '../../../shared/db/repositories/pipeline-repository';
import type { TradeLogFilter } from '../../../shared/history/trade-log-repository';
import type { RoundTrip } from '../../../shared/history/types';
import { nextTradingDay, tradingDayOf } from '../../../shared/time/trading-calendar';
import { triggersForDay, type Trigger } from '../../../shared/schedule/due-triggers';
import type { FiredTrigger } from '../../../shared/schedule/schedule-repository';
import type { DbProblem } from '../../../scripts/status/status-model';
import type { DashboardServices } from '../services';

type Result<T> = { ok: true; data: T } | { ok: false; problem: DbProblem };
const fromRead = <T>(r: { ok: true; value: T } | { ok: false; problem: DbProblem }): Result<T> => (r.ok ? { ok: true, data: r.value } : r);

// ---- trade log ----

export interface TradesQuery extends TradeLogFilter {
  page: number;
  pageSize: number;
}

export interface TradesData {
  generatedAt: string;
  query: TradesQuery;
  totals: { trades: number; realizedPnl: number; wins: number; losses: number };
  pages: number;
  trades: RoundTrip[];
  filterValues: { reasons: string[]; agents: string[]; sources: string[] };
}

export const MAX_PAGE_SIZE = 1_000;

export function parseTradesQuery(params: URLSearchParams): TradesQuery {
  const text = (name: string) => {
    const value = params.get(name)?.trim();
    return value ? value : undefined;
  };
  const day = (name: string) => {
    const value = text(name);
    return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
  };
  const outcome = text('outcome');
  const page = Math.max(1, Math.floor(Number(params.get('page') ?? 1)) || 1);
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(Number(params.get('pageSize') ?? 100)) || 100));
  return {
    symbol: text('symbol'), agentName: text('agent'), exitReason: text('reason'), source: text('source'),
    outcome: outcome === 'win' || outcome === 'loss' ? outcome : undefined, from: day('from'), to: day('to'), page, pageSize,
  };
}

/** The query string of a trades query (for links: paging, CSV of the same filter). */
export function tradesQueryString(q: TradesQuery, overrides: Partial<TradesQuery> = {}): string {
  const merged = { ...q, ...overrides };
  const params = new URLSearchParams();
  const set = (name: string, value: string | number | undefined) => value !== undefined && value !== '' && params.set(name, String(value));
  set('symbol', merged.symbol);
  set('agent', merged.agentName);
  set('reason', merged.exitReason);
  set('source', merged.source);
  set('outcome', merged.outcome);
  set('from', merged.from);
  set('to', merged.to);
  if (merged.page !== 1) set('page', merged.page);
  if (merged.pageSize !== 100) set('pageSize', merged.pageSize);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function buildTrades(s: DashboardServices, query: TradesQuery): Result<TradesData> {
  return fromRead(s.db.read((r) => {
    const totals = r.tradeLog.count(query);
    return {
      generatedAt: new Date().toISOString(),
      query,
      totals,
      pages: Math.max(1, Math.ceil(totals.trades / query.pageSize)),
      trades: r.tradeLog.page(query, query.pageSize, (query.page - 1) * query.pageSize),
      filterValues: r.tradeLog.filterValues(),
    };
  }));
}

// ---- operations: schedule, reconciliation, signals ----

export interface OperationsData {
  generatedAt: string;
  schedule: {
    tradingDay: string;
    /** Today's triggers and the next trading day's, with what happened to each that fired. */
    upcoming: Array<Trigger & { dueAt: string; fired: FiredTrigger | null }>;
    recent: FiredTrigger[];
  };
  reconciliation: { latest: ReconciliationRun | null; recent: ReconciliationSummaryRow[] };
  signals: { run: PipelineRunRow | null; candidates: Array<Record<string, unknown>>; recentRuns: PipelineRunRow[] };
}

export function buildOperations(s: DashboardServices): Result<OperationsData> {
  const nowMs = s.clock.now();
  const today = tradingDayOf(nowMs);
  const triggers = [...triggersForDay(today, s.config.schedule), ...triggersForDay(nextTradingDay(today), s.config.schedule)];
  return fromRead(s.db.read((r) => {
    const recentRuns = r.pipeline.recentRuns(10);
    const run = recentRuns.find((x) => x.status !== 'RUNNING') ?? recentRuns[0] ?? null;
    return {
      generatedAt: new Date().toISOString(),
      schedule: {
        tradingDay: today,
        upcoming: triggers.map((t) => ({ ...t, dueAt: new Date(t.dueAtMs).toISOString(), fired: r.schedule.get(t.key) ?? null })),
        recent: r.schedule.recent(20),
      },
      reconciliation: { latest: r.reconciliation.latest() ?? null, recent: r.reconciliationHistory.recent(20) },
      signals: { run, candidates: run ? r.pipeline.signalsForRun(run.id) : [], recentRuns },
    };
  }));
}

// ---- portfolio: the latest snapshot, IB's figures beside ours ----

export interface PortfolioData {
  generatedAt: string;
  available: boolean;
  snapshot: PortfolioSnapshot | null;
  positions: StoredPositionSnapshot[];
  highWater: HighWaterMark | null;
  intraday: EquityPoint[];
  totalSnapshots: number;
}

export function buildPortfolio(s: DashboardServices, snapshotId?: number): Result<PortfolioData> {
  return fromRead(s.db.read((r) => {
    const empty = { generatedAt: new Date().toISOString(), available: r.snapshots !== undefined, snapshot: null, positions: [], highWater: null, intraday: [], totalSnapshots: 0 };
    if (!r.snapshots) return empty;
    const snapshot = (snapshotId !== undefined ? r.snapshots.get(snapshotId) : r.snapshots.latest()) ?? null;
    if (!snapshot) return { ...empty, totalSnapshots: r.snapshots.count() };
    return {
      ...empty,
      snapshot,
      positions: r.snapshots.positionsOf(snapshot.id),
      highWater: r.snapshots.highWater(snapshot.account) ?? null,
      intraday: r.snapshots.intraday(snapshot.tradingDay),
      totalSnapshots: r.snapshots.count(),
    };
  }));
}

/** Intraday equity points of a day (`day`), or the snapshots after an id (`after`, live charts). */
export function buildSnapshots(s: DashboardServices, params: URLSearchParams): Result<{ points: EquityPoint[] }> {
  const day = params.get('day');
  const after = Number(params.get('after'));
  return fromRead(s.db.read((r) => {
    if (!r.snapshots) return { points: [] };
    if (day && /^\d{4}-\d{2}-\d{2}$/.test(day)) return { points: r.snapshots.intraday(day) };
    if (Number.isFinite(after) && params.has('after')) return { points: r.snapshots.since(after, 2_000) };
    return { points: r.snapshots.intraday(tradingDayOf(s.clock.now())) };
  }));
}
