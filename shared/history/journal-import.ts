import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import type { Clock } from '../time/clock';
import { tradingDayOfTime } from '../analytics/trading-days';
import { DailySummaryRepository } from './daily-summary-repository';
import { JournalValidationError } from './journal-errors';
import { journalTradeSchema, type JournalProblem } from './journal-format';
import { TradeHistoryRepository } from './trade-history-repository';
import type { TradeDirection } from './types';

/** A journal row, validated and normalized. */
export interface NormalizedJournalTrade {
  row: number;
  positionId: string;
  symbol: string;
  direction: TradeDirection;
  quantity: number;
  entryPrice: number;
  entryTimeMs: number;
  exit: { price: number; timeMs: number } | null;
  commission: number;
  exitReason: string;
  agentName: string;
}

/**
 * Stable id of a journal trade: the entry identifies it (symbol, direction, quantity, entry price, entry time to
 * the ms), so re-importing gives the same id, and a later journal that adds the exit finds the same row.
 */
export function journalPositionId(t: { symbol: string; direction: TradeDirection; quantity: number; entryPrice: number; entryTimeMs: number }): string {
  const content = `${t.symbol}|${t.direction}|${t.quantity}|${t.entryPrice}|${t.entryTimeMs}`;
  return `J-${createHash('sha256').update(content).digest('hex').slice(0, 20)}`;
}

/** Validates a parsed journal and returns its rows; throws JournalValidationError listing EVERY problem. */
export function parseJournal(value: unknown): NormalizedJournalTrade[] {
  const problems: JournalProblem[] = [];
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { trades?: unknown }).trades)) {
    throw new JournalValidationError([{ row: null, field: 'trades', message: 'expected an object { "trades": [ ... ] }' }]);
  }
  const version = (value as { version?: unknown }).version;
  if (version !== undefined && version !== 1) problems.push({ row: null, field: 'version', message: `unsupported version ${JSON.stringify(version)}; expected 1` });
  const out: NormalizedJournalTrade[] = [];
  const seen = new Map<string, number>();
  (value as { trades: unknown[] }).trades.forEach((raw, row) => {
    const parsed = journalTradeSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ row, field: issue.path.map(String).join('.'), message: issue.message });
      return;
    }
    const t = parsed.data;
    const side = t.side.toUpperCase();
    const direction: TradeDirection = side === 'SHORT' || side === 'SELL' ? 'SHORT' : 'LONG';
    const symbol = t.symbol.toUpperCase();
    const entryTimeMs = Date.parse(t.entryTime);
    const identity = { symbol, direction, quantity: t.quantity, entryPrice: t.entryPrice, entryTimeMs };
    const positionId = t.positionId ?? journalPositionId(identity);
    const first = seen.get(positionId);
    if (first !== undefined) {
      problems.push({ row, field: '', message: `same trade as trades[${first}] (same ${t.positionId ? 'positionId' : 'symbol, side, quantity, entry price and time'})` });
      return;
    }
    seen.set(positionId, row);
    out.push({
      row,
      positionId,
      ...identity,
      exit: t.exitPrice !== undefined && t.exitPrice !== null && t.exitTime ? { price: t.exitPrice, timeMs: Date.parse(t.exitTime) } : null,
      commission: t.commission ?? 0,
      exitReason: t.exitReason ?? 'MANUAL',
      agentName: t.agent ?? 'journal',
    });
  });
  if (problems.length > 0) throw new JournalValidationError(problems);
  return out;
}

export interface ImportResult {
  /** New rows (OPEN or CLOSED). */
  inserted: number;
  /** Rows imported OPEN earlier that this journal closed. */
  closed: number;
  /** Rows already there with the same entry (re-imports). */
  unchanged: number;
  /** Rows already there whose stored exit differs from the journal's: left as they are, listed for the user. */
  conflicts: Array<{ row: number; positionId: string; reason: string }>;
  /** Trading days whose daily_summary was recomputed. */
  recomputedDays: string[];
}

/**
 * Imports validated trades in ONE immediate transaction (all or nothing), idempotently: a row whose id
 * exists is never inserted twice. Rows are source 'import'. Afterwards the daily summaries of the exit days are
 * recomputed (their recorded equity is kept).
 */
export function importJournal(db: Database.Database, clock: Clock, journal: unknown): ImportResult {
  const trades = parseJournal(journal);
  const history = new TradeHistoryRepository(db, clock);
  const result: ImportResult = { inserted: 0, closed: 0, unchanged: 0, conflicts: [], recomputedDays: [] };
  const days = new Set<string>();
  const apply = db.transaction(() => {
    for (const t of trades) {
      const existing = history.get(t.positionId);
      if (!existing) {
        history.recordTrade({
          positionId: t.positionId, symbol: t.symbol, agentName: t.agentName, direction: t.direction, quantity: t.quantity,
          entryPrice: t.entryPrice, entryTimeMs: t.entryTimeMs, commission: t.commission, source: 'import',
          metadata: { journalRow: t.row },
        });
        result.inserted++;
        if (t.exit) {
          history.closeTrade(t.positionId, { exitPrice: t.exit.price, exitTimeMs: t.exit.timeMs, exitReason: t.exitReason });
          days.add(tradingDayOfTime(t.exit.timeMs));
        }
        continue;
      }
      if (t.exit && existing.status === 'OPEN' && existing.source === 'import') {
        history.closeTrade(t.positionId, { exitPrice: t.exit.price, exitTimeMs: t.exit.timeMs, exitReason: t.exitReason, exitCommission: Math.max(0, t.commission - existing.commission) });
        days.add(tradingDayOfTime(t.exit.timeMs));
        result.closed++;
        continue;
      }
      const differs = t.exit && existing.status === 'CLOSED' &&
        (existing.exitPrice !== t.exit.price || Date.parse(existing.exitTime ?? '') !== t.exit.timeMs);
      if (differs) result.conflicts.push({ row: t.row, positionId: t.positionId, reason: 'stored exit differs from the journal; the stored row was kept' });
      else result.unchanged++;
    }
  });
  apply.immediate();
  const summaries = new DailySummaryRepository(db, clock);
  result.recomputedDays = [...days].sort();
  for (const day of result.recomputedDays) summaries.recomputeDay(day);
  return result;
}

/** Reads and imports a journal file; unreadable or non-JSON files give a JournalValidationError too. */
export function importJournalFile(db: Database.Database, clock: Clock, file: string): ImportResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new JournalValidationError([{ row: null, field: '', message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JournalValidationError([{ row: null, field: '', message: `${file} is not valid JSON: ${(error as Error).message}` }]);
  }
  return importJournal(db, clock, value);
}
