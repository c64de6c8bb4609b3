import type {
  BacktestAgentTotals, BacktestChildSummary, BacktestRunRow, BacktestRunSummary, StoredBacktestTrade, StoredEquityDay,
} from '../../../shared/db/repositories/backtest-runs-repository';
import type { DbProblem } from '../../../scripts/status/status-model';
import type { DashboardServices } from '../services';

/** A DB problem is a 503 like on every page; a run that is not there is a 404. */
export type BacktestResult<T> = { ok: true; data: T } | { ok: false; problem: DbProblem } | { ok: false; notFound: string };

/** The README's first backtest, shown where there is nothing to list yet. */
export const FIRST_BACKTEST_COMMAND = 'npm run backtest -- run --bars synthetic --from 2026-06-01 --to 2026-10-30 --strategies opening-range-breakout';

// ---- the list ----

export interface BacktestListQuery {
  page: number;
  pageSize: number;
}

export interface BacktestListData {
  generatedAt: string;
  /** False while the DB has no backtest tables (schema 5): nothing ran a backtest or migrated it yet. */
  available: boolean;
  total: number;
  page: number;
  pageSize: number;
  pages: number;
  runs: BacktestRunSummary[];
  /** What to type to store the first run (the page says it when the list is empty). */
  howToRun: string;
}

export const BACKTEST_PAGE_SIZE = 50;
export const MAX_BACKTEST_PAGE_SIZE = 500;

export function parseBacktestListQuery(params: URLSearchParams): BacktestListQuery {
  return {
    page: Math.max(1, Math.floor(Number(params.get('page') ?? 1)) || 1),
    pageSize: Math.min(MAX_BACKTEST_PAGE_SIZE, Math.max(1, Math.floor(Number(params.get('pageSize') ?? BACKTEST_PAGE_SIZE)) || BACKTEST_PAGE_SIZE)),
  };
}

export function buildBacktestList(s: DashboardServices, query: BacktestListQuery): BacktestResult<BacktestListData> {
  const read = s.db.read((r) => {
    const base = { generatedAt: new Date().toISOString(), page: query.page, pageSize: query.pageSize, howToRun: FIRST_BACKTEST_COMMAND };
    if (!r.backtests) return { ...base, available: false, total: 0, pages: 1, runs: [] };
    const total = r.backtests.count();
    return { ...base, available: true, total, pages: Math.max(1, Math.ceil(total / query.pageSize)), runs: r.backtests.summaries(query.pageSize, (query.page - 1) * query.pageSize) };
  });
  return read.ok ? { ok: true, data: read.value } : read;
}

// ---- one run ----

export interface BacktestDetailData {
  generatedAt: string;
  run: BacktestRunRow;
  /** Daily equity with the drawdown from its running peak, in percent (as /performance draws it). */
  equity: Array<StoredEquityDay & { drawdownPct: number }>;
  tradeCount: number;
  /** The first `tradesShown` trades (the count says how many there are). */
  trades: StoredBacktestTrade[];
  tradesShown: number;
  byAgent: BacktestAgentTotals[];
  /** An optimisation's points (best first) or a walk-forward's windows. */
  childCount: number;
  children: BacktestChildSummary[];
}

export const DETAIL_TRADES = 200;
export const MAX_DETAIL_TRADES = 10_000;
const DETAIL_CHILDREN = 50;

/** `?trades=N` asks for more (or fewer) of the run's trades than the page shows. */
export function detailTradesLimit(params: URLSearchParams): number {
  return Math.min(MAX_DETAIL_TRADES, Math.max(0, Math.floor(Number(params.get('trades') ?? DETAIL_TRADES))));
}

export function buildBacktestDetail(s: DashboardServices, id: number | undefined, tradesLimit = DETAIL_TRADES): BacktestResult<BacktestDetailData> {
  if (id === undefined) return { ok: false, notFound: 'which run? /backtest?id=<run id> (the ids are on /backtests)' };
  const read = s.db.read((r) => {
    const run = r.backtests?.get(id);
    if (!r.backtests || !run) return undefined;
    const limit = Number.isFinite(tradesLimit) ? tradesLimit : DETAIL_TRADES;
    return {
      generatedAt: new Date().toISOString(),
      run,
      equity: withDrawdown(r.backtests.equity(id)),
      tradeCount: r.backtests.tradeCount(id),
      trades: r.backtests.firstTrades(id, limit),
      tradesShown: limit,
      byAgent: r.backtests.agentTotals(id),
      childCount: r.backtests.childCount(id),
      children: r.backtests.children(id, DETAIL_CHILDREN),
    };
  });
  if (!read.ok) return read;
  return read.value ? { ok: true, data: read.value } : { ok: false, notFound: `no backtest run ${id} in this database (the stored runs are on /backtests)` };
}

function withDrawdown(days: readonly StoredEquityDay[]): Array<StoredEquityDay & { drawdownPct: number }> {
  let peak = days[0]?.startEquity ?? 0;
  return days.map((d) => {
    peak = Math.max(peak, d.endEquity);
    return { ...d, drawdownPct: peak > 0 ? (d.endEquity / peak - 1) * 100 : 0 };
  });
}

// ---- runs side by side ----

export interface BacktestCompareData {
  generatedAt: string;
  runs: BacktestRunRow[];
}

export const MAX_COMPARED = 6;

/** `?ids=3,5` or `?ids=3&ids=5` (what the list's checkboxes send). */
export function compareIds(params: URLSearchParams): number[] {
  const ids = params.getAll('ids').flatMap((v) => v.split(',')).map((v) => Number(v.trim())).filter((n) => Number.isInteger(n) && n > 0);
  return [...new Set(ids)].slice(0, MAX_COMPARED);
}

export function buildBacktestCompare(s: DashboardServices, ids: readonly number[]): BacktestResult<BacktestCompareData> {
  if (ids.length < 2) return { ok: false, notFound: 'compare needs two runs or more: /backtests/compare?ids=3,5 (tick them on /backtests)' };
  const read = s.db.read((r) => ids.map((id) => ({ id, run: r.backtests?.get(id) })));
  if (!read.ok) return read;
  const missing = read.value.filter((x) => !x.run).map((x) => x.id);
  if (missing.length > 0) return { ok: false, notFound: `no backtest run ${missing.join(', ')} in this database (the stored runs are on /backtests)` };
  return { ok: true, data: { generatedAt: new Date().toISOString(), runs: read.value.map((x) => x.run!) } };
}
