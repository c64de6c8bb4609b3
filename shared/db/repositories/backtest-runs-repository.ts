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
    const row = this.db.prepare('SELECT * FROM backtest_runs WHERE id = ?').get(id) as RawRunRow | undefined;
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
    return (this.db.prepare('SELECT * FROM backtest_trades WHERE run_id = ? ORDER BY seq').all(runId) as Array<Record<string, unknown>>).map((r) => ({
      symbol: r.symbol as string, agentName: r.agent_name as string, strategy: r.strategy as string, tradingDay: r.trading_day as string, quantity: r.quantity as number,
      entryPrice: r.entry_price as number, entryTimeMs: Date.parse(r.entry_time as string), exitPrice: r.exit_price as number, exitTimeMs: Date.parse(r.exit_time as string),
      exitReason: r.exit_reason as string, commission: r.commission as number, realizedPnl: r.realized_pnl as number, pnlPct: r.pnl_pct as number, score: r.score as number | null,
    }));
  }

  equity(runId: number): StoredEquityDay[] {
    return (this.db.prepare('SELECT * FROM backtest_equity WHERE run_id = ? ORDER BY trading_day').all(runId) as Array<Record<string, number | string>>).map((r) => ({
      tradingDay: r.trading_day as string, startEquity: r.start_equity as number, endEquity: r.end_equity as number, realizedPnl: r.realized_pnl as number, trades: r.trades as number,
    }));
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM backtest_runs WHERE id = ?').run(id).changes > 0;
  }
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
