import type Database from 'better-sqlite3';

export type BacktestRunKind = 'run' | 'optimize' | 'optimize-point' | 'walk-forward' | 'walk-forward-window' | 'parity';

export interface BacktestRunRecord {
  kind: BacktestRunKind;
  parentId?: number | null;
  label?: string | null;
  fromDay: string;
  toDay: string;
  bars: string;
  symbols: readonly string[];
  strategies: unknown;
  settings: unknown;
  config: unknown;
  status: 'COMPLETED' | 'FAILED';
  trades: number;
  netPnl?: number | null;
  totalReturn?: number | null;
  sharpe?: number | null;
  maxDrawdown?: number | null;
  objective?: string | null;
  objectiveValue?: number | null;
  metrics?: unknown;
  resultSha256?: string | null;
  error?: string | null;
  detail?: unknown;
}

export interface StoredBacktestTrade {
  symbol: string;
  agentName: string;
  strategy: string;
  tradingDay: string;
  quantity: number;
  entryPrice: number;
  entryTimeMs: number;
  exitPrice: number;
  exitTimeMs: number;
  exitReason: string;
  commission: number;
  realizedPnl: number;
  pnlPct: number;
  score: number | null;
}

export interface StoredEquityDay {
  tradingDay: string;
  startEquity: number;
  endEquity: number;
  realizedPnl: number;
  trades: number;
}

export interface BacktestRunRow {
  id: number;
  kind: BacktestRunKind;
  parentId: number | null;
  label: string | null;
  createdAt: string;
  fromDay: string;
  toDay: string;
  bars: string;
  symbols: string[];
  strategies: unknown;
  settings: unknown;
  config: unknown;
  status: 'COMPLETED' | 'FAILED';
  trades: number;
  netPnl: number | null;
  totalReturn: number | null;
  sharpe: number | null;
  maxDrawdown: number | null;
  objective: string | null;
  objectiveValue: number | null;
  metrics: Record<string, unknown>;
  resultSha256: string | null;
  error: string | null;
  detail: Record<string, unknown>;
}

/** A run as a list shows it: the stored headline figures, without its configuration or detail. */
export interface BacktestRunSummary {
  id: number;
  kind: BacktestRunKind;
  label: string | null;
  createdAt: string;
  fromDay: string;
  toDay: string;
  bars: string;
  status: 'COMPLETED' | 'FAILED';
  /** The agent names of `strategies` (runs stored before it held [{agent, strategy, params}] have none). */
  agents: string[];
  symbolCount: number;
  trades: number;
  netPnl: number | null;
  totalReturn: number | null;
  sharpe: number | null;
  maxDrawdown: number | null;
  winRate: number | null;
  objective: string | null;
  objectiveValue: number | null;
  error: string | null;
  /** Parity runs only: how close the backtest came to the whole system. */
  parity: { matchedShare: number | null; pnlDifference: number | null; pnlDifferenceShare: number | null; passed: boolean | null } | null;
}

/** The trades of one agent in a run, added up. */
export interface BacktestAgentTotals {
  agentName: string;
  strategy: string;
  trades: number;
  wins: number;
  losses: number;
  netPnl: number;
  commissions: number;
}

/** An optimisation point or a walk-forward window: the headline figures only. */
export interface BacktestChildSummary {
  id: number;
  kind: BacktestRunKind;
  label: string | null;
  status: 'COMPLETED' | 'FAILED';
  trades: number;
  netPnl: number | null;
  totalReturn: number | null;
  sharpe: number | null;
  maxDrawdown: number | null;
  objective: string | null;
  objectiveValue: number | null;
  error: string | null;
}

interface RawRunRow {
  id: number; kind: BacktestRunKind; parent_id: number | null; label: string | null; created_at: string; from_day: string; to_day: string; bars: string;
  symbols: string; strategies: string; settings: string; config: string; status: 'COMPLETED' | 'FAILED'; trades: number; net_pnl: number | null;
  total_return: number | null; sharpe: number | null; max_drawdown: number | null; objective: string | null; objective_value: number | null; metrics: string;
  result_sha256: string | null; error: string | null; detail: string;
}

/**
 * `backtest_runs` with their trades and daily equity (migration 005). A run and its rows are written in one
 * transaction: a run is never listed without its trades.
 */
export class BacktestRunsRepository {
  private readonly insertRun: Database.Statement;
  private readonly insertTrade: Database.Statement;
  private readonly insertEquity: Database.Statement;
  private readonly selectRun: Database.Statement;
  private readonly selectTrades: Database.Statement;
  private readonly selectFirstTrades: Database.Statement;
  private readonly countTrades: Database.Statement;
  private readonly selectEquity: Database.Statement;
  private readonly selectSummaries: Database.Statement;
  private readonly countTopLevel: Database.Statement;
  private readonly selectAgentTotals: Database.Statement;
  private readonly selectChildren: Database.Statement;
  private readonly countChildren: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insertRun = db.prepare(`INSERT INTO backtest_runs (kind, parent_id, label, created_at, from_day, to_day, bars, symbols, strategies, settings, config, status,
        trades, net_pnl, total_return, sharpe, max_drawdown, objective, objective_value, metrics, result_sha256, error, detail)
      VALUES (@kind, @parentId, @label, @createdAt, @fromDay, @toDay, @bars, @symbols, @strategies, @settings, @config, @status,
        @trades, @netPnl, @totalReturn, @sharpe, @maxDrawdown, @objective, @objectiveValue, @metrics, @resultSha256, @error, @detail)`);
    this.insertTrade = db.prepare(`INSERT INTO backtest_trades (run_id, seq, symbol, agent_name, strategy, trading_day, quantity, entry_price, entry_time, exit_price,
        exit_time, exit_reason, commission, realized_pnl, pnl_pct, score)
      VALUES (@runId, @seq, @symbol, @agentName, @strategy, @tradingDay, @quantity, @entryPrice, @entryTime, @exitPrice, @exitTime, @exitReason, @commission,
        @realizedPnl, @pnlPct, @score)`);
    this.insertEquity = db.prepare(`INSERT INTO backtest_equity (run_id, trading_day, start_equity, end_equity, realized_pnl, trades)
      VALUES (@runId, @tradingDay, @startEquity, @endEquity, @realizedPnl, @trades)`);
    this.selectRun = db.prepare('SELECT * FROM backtest_runs WHERE id = ?');
    this.selectTrades = db.prepare('SELECT * FROM backtest_trades WHERE run_id = ? ORDER BY seq');
    this.selectFirstTrades = db.prepare('SELECT * FROM backtest_trades WHERE run_id = ? ORDER BY seq LIMIT ?');
    this.countTrades = db.prepare('SELECT COUNT(*) FROM backtest_trades WHERE run_id = ?').pluck();
    this.selectEquity = db.prepare('SELECT * FROM backtest_equity WHERE run_id = ? ORDER BY trading_day');
    // The list reads a few fields out of the JSON columns in SQL: a parity run's detail holds every unmatched
    // trade and a walk-forward's every window, too much to parse for one line each.
    this.selectSummaries = db.prepare(`SELECT id, kind, label, created_at, from_day, to_day, bars, status, strategies, json_array_length(symbols) AS symbol_count, trades,
        net_pnl, total_return, sharpe, max_drawdown, json_extract(metrics, '$.winRate') AS win_rate, objective, objective_value, error,
        json_extract(detail, '$.matchedShare') AS matched_share, json_extract(detail, '$.pnlDifference') AS pnl_difference,
        json_extract(detail, '$.pnlDifferenceShare') AS pnl_difference_share, json_extract(detail, '$.passed') AS passed
      FROM backtest_runs WHERE kind IN ${TOP_LEVEL_SQL} ORDER BY id DESC LIMIT ? OFFSET ?`);
    this.countTopLevel = db.prepare(`SELECT COUNT(*) FROM backtest_runs WHERE kind IN ${TOP_LEVEL_SQL}`).pluck();
    this.selectAgentTotals = db.prepare(`SELECT agent_name, MIN(strategy) AS strategy, COUNT(*) AS trades, SUM(realized_pnl > 0) AS wins, SUM(realized_pnl < 0) AS losses,
        SUM(realized_pnl) AS net_pnl, SUM(commission) AS commissions
      FROM backtest_trades WHERE run_id = ? GROUP BY agent_name ORDER BY agent_name`);
    // Optimisation points best first (every objective is "higher is better": max-drawdown is negative), then
    // unranked points; walk-forward windows in their order.
    this.selectChildren = db.prepare(`SELECT id, kind, label, status, trades, net_pnl, total_return, sharpe, max_drawdown, objective, objective_value, error
      FROM backtest_runs WHERE parent_id = ?
      ORDER BY CASE WHEN kind = 'optimize-point' THEN objective_value IS NULL ELSE 0 END, CASE WHEN kind = 'optimize-point' THEN -objective_value ELSE id END, id LIMIT ?`);
    this.countChildren = db.prepare('SELECT COUNT(*) FROM backtest_runs WHERE parent_id = ?').pluck();
  }

  /** Stores a run with its trades and equity; returns its id. */
  save(run: BacktestRunRecord, trades: readonly StoredBacktestTrade[] = [], equity: readonly StoredEquityDay[] = []): number {
    const write = this.db.transaction(() => {
      const id = Number(this.insertRun.run({
        kind: run.kind, parentId: run.parentId ?? null, label: run.label ?? null, createdAt: new Date().toISOString(), fromDay: run.fromDay, toDay: run.toDay,
        bars: run.bars, symbols: JSON.stringify(run.symbols), strategies: JSON.stringify(run.strategies ?? []), settings: JSON.stringify(run.settings ?? {}),
        config: JSON.stringify(run.config ?? {}), status: run.status, trades: run.trades, netPnl: finite(run.netPnl), totalReturn: finite(run.totalReturn),
        sharpe: finite(run.sharpe), maxDrawdown: finite(run.maxDrawdown), objective: run.objective ?? null, objectiveValue: finite(run.objectiveValue),
        metrics: JSON.stringify(run.metrics ?? {}), resultSha256: run.resultSha256 ?? null, error: run.error ?? null, detail: JSON.stringify(run.detail ?? {}),
      }).lastInsertRowid);
      trades.forEach((t, seq) => this.insertTrade.run({
        runId: id, seq, symbol: t.symbol, agentName: t.agentName, strategy: t.strategy, tradingDay: t.tradingDay, quantity: t.quantity, entryPrice: t.entryPrice,
        entryTime: new Date(t.entryTimeMs).toISOString(), exitPrice: t.exitPrice, exitTime: new Date(t.exitTimeMs).toISOString(), exitReason: t.exitReason,
        commission: t.commission, realizedPnl: t.realizedPnl, pnlPct: t.pnlPct, score: t.score,
      }));
      for (const d of equity) this.insertEquity.run({ runId: id, ...d });
      return id;
    });
    return write.immediate();
  }

  get(id: number): BacktestRunRow | undefined {
    const row = this.selectRun.get(id) as RawRunRow | undefined;
    return row ? toRow(row) : undefined;
  }

  /** Most recent first; `kinds` filters (default: top-level runs, not optimisation points or windows). */
  list(options: { limit?: number; kinds?: readonly BacktestRunKind[]; parentId?: number } = {}): BacktestRunRow[] {
    const kinds = options.kinds ?? ['run', 'optimize', 'walk-forward', 'parity'];
    const where = [`kind IN (${kinds.map(() => '?').join(',')})`];
    const params: unknown[] = [...kinds];
    if (options.parentId !== undefined) {
      where.push('parent_id = ?');
      params.push(options.parentId);
    }
    params.push(options.limit ?? 20);
    return (this.db.prepare(`SELECT * FROM backtest_runs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`).all(...params) as RawRunRow[]).map(toRow);
  }

  trades(runId: number): StoredBacktestTrade[] {
    return (this.selectTrades.all(runId) as Array<Record<string, unknown>>).map(toTrade);
  }

  /** The first `limit` trades of a run, in the order the engine closed them. */
  firstTrades(runId: number, limit: number): StoredBacktestTrade[] {
    return (this.selectFirstTrades.all(runId, limit) as Array<Record<string, unknown>>).map(toTrade);
  }

  tradeCount(runId: number): number {
    return this.countTrades.get(runId) as number;
  }

  /** Top-level runs (what `list` shows by default), newest first, a page at a time. */
  summaries(limit: number, offset = 0): BacktestRunSummary[] {
    return (this.selectSummaries.all(limit, offset) as Array<Record<string, unknown>>).map(toSummary);
  }

  /** How many top-level runs are stored (optimisation points and walk-forward windows not counted). */
  count(): number {
    return this.countTopLevel.get() as number;
  }

  /** A run's trades added up per agent (one row per agent_name). */
  agentTotals(runId: number): BacktestAgentTotals[] {
    return (this.selectAgentTotals.all(runId) as Array<Record<string, unknown>>).map((r) => ({
      agentName: r.agent_name as string, strategy: r.strategy as string, trades: r.trades as number, wins: r.wins as number, losses: r.losses as number,
      netPnl: r.net_pnl as number, commissions: r.commissions as number,
    }));
  }

  /** An optimisation's points (best first) or a walk-forward's windows (in order), at most `limit`. */
  children(parentId: number, limit: number): BacktestChildSummary[] {
    return (this.selectChildren.all(parentId, limit) as Array<Record<string, unknown>>).map((r) => ({
      id: r.id as number, kind: r.kind as BacktestRunKind, label: r.label as string | null, status: r.status as 'COMPLETED' | 'FAILED', trades: r.trades as number,
      netPnl: r.net_pnl as number | null, totalReturn: r.total_return as number | null, sharpe: r.sharpe as number | null, maxDrawdown: r.max_drawdown as number | null,
      objective: r.objective as string | null, objectiveValue: r.objective_value as number | null, error: r.error as string | null,
    }));
  }

  childCount(parentId: number): number {
    return this.countChildren.get(parentId) as number;
  }

  equity(runId: number): StoredEquityDay[] {
    return (this.selectEquity.all(runId) as Array<Record<string, number | string>>).map((r) => ({
      tradingDay: r.trading_day as string, startEquity: r.start_equity as number, endEquity: r.end_equity as number, realizedPnl: r.realized_pnl as number, trades: r.trades as number,
    }));
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM backtest_runs WHERE id = ?').run(id).changes > 0;
  }
}

/** What a run list shows by default (optimisation points and walk-forward windows belong to their parent). */
const TOP_LEVEL_KINDS: readonly BacktestRunKind[] = ['run', 'optimize', 'walk-forward', 'parity'];
const TOP_LEVEL_SQL = `(${TOP_LEVEL_KINDS.map((k) => `'${k}'`).join(',')})`;

function toTrade(r: Record<string, unknown>): StoredBacktestTrade {
  return {
    symbol: r.symbol as string, agentName: r.agent_name as string, strategy: r.strategy as string, tradingDay: r.trading_day as string, quantity: r.quantity as number,
    entryPrice: r.entry_price as number, entryTimeMs: Date.parse(r.entry_time as string), exitPrice: r.exit_price as number, exitTimeMs: Date.parse(r.exit_time as string),
    exitReason: r.exit_reason as string, commission: r.commission as number, realizedPnl: r.realized_pnl as number, pnlPct: r.pnl_pct as number, score: r.score as number | null,
  };
}

function toSummary(r: Record<string, unknown>): BacktestRunSummary {
  const strategies = JSON.parse(r.strategies as string) as unknown;
  const kind = r.kind as BacktestRunKind;
  const passed = r.passed as number | null;
  return {
    id: r.id as number, kind, label: r.label as string | null, createdAt: r.created_at as string, fromDay: r.from_day as string, toDay: r.to_day as string,
    bars: r.bars as string, status: r.status as 'COMPLETED' | 'FAILED', agents: agentNames(strategies), symbolCount: r.symbol_count as number, trades: r.trades as number,
    netPnl: r.net_pnl as number | null, totalReturn: r.total_return as number | null, sharpe: r.sharpe as number | null, maxDrawdown: r.max_drawdown as number | null,
    winRate: numberOrNull(r.win_rate), objective: r.objective as string | null, objectiveValue: r.objective_value as number | null, error: r.error as string | null,
    parity: kind === 'parity'
      ? { matchedShare: numberOrNull(r.matched_share), pnlDifference: numberOrNull(r.pnl_difference), pnlDifferenceShare: numberOrNull(r.pnl_difference_share), passed: passed === null ? null : passed === 1 }
      : null,
  };
}

/** Agent names of a run's `strategies`; runs stored before optimize and walk-forward wrote that list hold the configuration's object instead. */
export function agentNames(strategies: unknown): string[] {
  if (!Array.isArray(strategies)) return [];
  return strategies.flatMap((s) => (s && typeof s === 'object' && typeof (s as { agent?: unknown }).agent === 'string' ? [(s as { agent: string }).agent] : []));
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function finite(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : value;
}

function toRow(r: RawRunRow): BacktestRunRow {
  return {
    id: r.id, kind: r.kind, parentId: r.parent_id, label: r.label, createdAt: r.created_at, fromDay: r.from_day, toDay: r.to_day, bars: r.bars,
    symbols: JSON.parse(r.symbols) as string[], strategies: JSON.parse(r.strategies), settings: JSON.parse(r.settings), config: JSON.parse(r.config), status: r.status,
    trades: r.trades, netPnl: r.net_pnl, totalReturn: r.total_return, sharpe: r.sharpe, maxDrawdown: r.max_drawdown, objective: r.objective,
    objectiveValue: r.objective_value, metrics: JSON.parse(r.metrics) as Record<string, unknown>, resultSha256: r.result_sha256, error: r.error,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}
