import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { formatCsv } from '../../shared/analytics/report/csv';
import { renderCsv } from '../../shared/analytics/report/csv-report';
import { renderMarkdown } from '../../shared/analytics/report/markdown';
import type { ResolvedConfig } from '../../shared/config/schema';
import { openDatabase } from '../../shared/db/open-database';
import {
  BacktestRunsRepository, type BacktestRunKind, type BacktestRunRecord, type StoredBacktestTrade, type StoredEquityDay,
} from '../../shared/db/repositories/backtest-runs-repository';
import { headline, type BacktestAnalysis } from '../../shared/backtest/analysis';
import type { BacktestResult } from '../../shared/backtest/result';
import { renderTearSheet } from '../../shared/backtest/tear-sheet';

/** The deterministic JSON of a result (what the digest and result.json are made of). */
export function resultJson(result: BacktestResult): string {
  return `${JSON.stringify(result, null, 1)}\n`;
}

export function resultDigest(result: BacktestResult): string {
  return crypto.createHash('sha256').update(resultJson(result)).digest('hex');
}

/** The trading configuration a run used (what changes its trades), stored with it. */
export function runConfig(config: ResolvedConfig): Record<string, unknown> {
  return { strategy: config.strategy, strategies: config.strategies, risk: config.risk, exits: { ...config.exits }, schedule: { scanTimes: config.schedule.scanTimes }, intervals: { scannerRefreshSeconds: config.intervals.scannerRefreshSeconds } };
}

/**
 * Writes a run's files into `dir`: tear-sheet.html, summary.md (the live report's markdown), trades.csv,
 * daily.csv, summary.csv, result.json. Each file is written under a temporary name and renamed.
 */
export function writeRunFiles(dir: string, result: BacktestResult, analysis: BacktestAnalysis, options: { title?: string; source?: string }): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const csv = renderCsv(analysis.report);
  const files: Record<string, string> = {
    'tear-sheet.html': renderTearSheet(result, analysis, options),
    'summary.md': renderMarkdown(analysis.report),
    'trades.csv': formatCsv(
      ['id', 'trading_day', 'symbol', 'agent_name', 'strategy', 'quantity', 'requested_quantity', 'entry_price', 'entry_time', 'exit_price', 'exit_time', 'exit_reason', 'commission', 'realized_pnl', 'pnl_pct', 'score', 'stop_loss_price', 'profit_target_price', 'entry_reason'],
      result.trades.map((t) => [t.id, t.tradingDay, t.symbol, t.agentName, t.strategy, t.quantity, t.requestedQuantity, t.entryPrice, new Date(t.entryTimeMs).toISOString(), t.exitPrice,
        new Date(t.exitTimeMs).toISOString(), t.exitReason, t.commission, t.realizedPnl, t.pnlPct, t.score, t.stopLossPrice, t.profitTargetPrice, t.entryReason]),
    ),
    'daily.csv': formatCsv(['trading_day', 'start_equity', 'end_equity', 'return', 'realized_pnl', 'trades'], analysis.daily.map((d) => [d.tradingDay, d.startEquity, d.endEquity, d.return, d.pnl, d.trades])),
    'summary.csv': csv.summary,
    'result.json': resultJson(result),
  };
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  }
  return Object.keys(files).map((name) => path.join(dir, name));
}

export interface SaveRunOptions {
  kind: BacktestRunKind;
  parentId?: number;
  label?: string;
  bars: string;
  config: ResolvedConfig;
  objective?: string;
  objectiveValue?: number;
  detail?: unknown;
  withTrades?: boolean;
}

/** Stores a run (and, unless told otherwise, its trades and daily equity) in the trading DB; returns its id. */
export function saveRun(dbPath: string, result: BacktestResult, analysis: BacktestAnalysis | undefined, options: SaveRunOptions): number {
  const db = openDatabase(dbPath);
  try {
    const runs = new BacktestRunsRepository(db);
    const figures = analysis ? headline(analysis.metrics) : {};
    return runs.save({
      kind: options.kind, parentId: options.parentId, label: options.label, fromDay: result.fromDay, toDay: result.toDay, bars: options.bars, symbols: result.symbols,
      strategies: result.strategies, settings: result.settings, config: runConfig(options.config), status: 'COMPLETED', trades: result.trades.length,
      netPnl: figures.netPnl, totalReturn: figures.totalReturn, sharpe: figures.sharpe, maxDrawdown: figures.maxDrawdown, objective: options.objective,
      objectiveValue: options.objectiveValue, metrics: { ...figures, stats: result.stats }, resultSha256: resultDigest(result), detail: options.detail,
    }, options.withTrades === false ? [] : result.trades.map((t) => ({ ...t, score: t.score })), options.withTrades === false ? [] : (analysis?.daily ?? []).map((d) => ({
      tradingDay: d.tradingDay, startEquity: d.startEquity, endEquity: d.endEquity, realizedPnl: d.pnl, trades: d.trades,
    })));
  } finally {
    db.close();
  }
}

/**
 * Stores a run made of other runs (an optimisation and its points, a walk-forward and its windows) in the trading
 * DB: the parent with its trades and daily equity, then each child pointing at it. Returns the parent's id.
 */
export function saveRunWithChildren(
  dbPath: string,
  parent: { run: BacktestRunRecord; trades?: readonly StoredBacktestTrade[]; equity?: readonly StoredEquityDay[] },
  children: readonly BacktestRunRecord[],
): number {
  const db = openDatabase(dbPath);
  try {
    const runs = new BacktestRunsRepository(db);
    const parentId = runs.save(parent.run, parent.trades, parent.equity);
    for (const child of children) runs.save({ ...child, parentId });
    return parentId;
  } finally {
    db.close();
  }
}
