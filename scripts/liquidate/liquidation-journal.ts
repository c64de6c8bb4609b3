import fs from 'node:fs';
import type { Execution } from '../../shared/broker/types';
import { createRepositories, openDatabase, type ActivePosition, type Db, type Repositories, type TradingHalt } from '../../shared/db';
import type { OrderRecord } from '../../shared/db/repositories/orders-repository';
import type { ExecutionRecord } from '../../shared/db/types';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { dbProblemFrom, missingDbProblem } from '../status/database-problem';
import type { DbProblem } from '../status/status-model';

export const EMERGENCY_EXIT_REASON = 'EMERGENCY_LIQUIDATION';
const APP = 'liquidate';

export interface BookingSummary {
  /** Position ids whose row left active_positions for closed_positions_today. */
  closedPositionIds: string[];
  /** Position ids booked but still holding shares (partial liquidation). */
  partialPositionIds: string[];
  /** Executions written to `trades` by this run (a re-run books nothing twice). */
  executionsBooked: number;
  /** Executions already in `trades` (booked before, e.g. by an earlier attempt). */
  executionsAlreadyBooked: number;
  /** Broker positions the DB did not know: their executions are in `trades` as UNTRACKED, and an event says so. */
  untrackedSymbols: string[];
}

export interface OrderOutcome {
  orderRef: string;
  status: 'FILLED' | 'PARTIALLY_FILLED' | 'CANCELLED' | 'REJECTED' | 'SUBMITTED';
  filledQuantity: number;
  avgFillPrice?: number;
  lastError?: string;
}

/**
 * The liquidation's view of the shared DB, built to fail soft: the account is flattened whether or not
 * the DB can be written. The first DB failure (missing, locked past a short busy timeout, corrupt,
 * read-only) is kept as `problem` and every later write is skipped, so one locked DB costs one busy
 * timeout, not one per order.
 */
export class LiquidationJournal {
  private repos: Repositories | undefined;
  private problemFound: DbProblem | undefined;
  private failedStep: string | undefined;
  private writes = 0;

  private constructor(
    private readonly db: Db | undefined,
    private readonly dbPath: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly busyTimeoutMs: number,
    problem: DbProblem | undefined,
  ) {
    this.problemFound = problem;
    if (db) this.repos = createRepositories(db, clock, APP);
  }

  /**
   * Never creates the file (a fresh empty DB would hide the positions from the reconciler's point of view),
   * and, for writing, takes and releases the write lock once up front so a locked DB is known before the
   * first order rather than discovered in the middle of the emergency.
   */
  static open(options: { dbPath: string; clock: Clock; log: Logger; busyTimeoutMs: number; forWriting: boolean }): LiquidationJournal {
    const { dbPath, clock, log, busyTimeoutMs } = options;
    if (!fs.existsSync(dbPath)) return new LiquidationJournal(undefined, dbPath, clock, log, busyTimeoutMs, missingDbProblem(dbPath));
    let db: Db | undefined;
    try {
      db = openDatabase(dbPath, { busyTimeoutMs, readonly: !options.forWriting });
      if (options.forWriting) db.exec('BEGIN IMMEDIATE; ROLLBACK;');
      return new LiquidationJournal(db, dbPath, clock, log, busyTimeoutMs, undefined);
    } catch (error) {
      db?.close();
      return new LiquidationJournal(undefined, dbPath, clock, log, busyTimeoutMs, dbProblemFrom(error, dbPath, busyTimeoutMs));
    }
  }

  get usable(): boolean {
    return this.problemFound === undefined;
  }

  get problem(): DbProblem | undefined {
    return this.problemFound;
  }

  /** The step at which the DB failed mid-run (undefined when it was unusable from the start or never failed). */
  get failedDuring(): string | undefined {
    return this.failedStep;
  }

  get writesDone(): number {
    return this.writes;
  }

  activePositions(): ActivePosition[] {
    return this.guard('reading active positions', (r) => r.positions.getActivePositions(), []);
  }

  reserveOrderId(clientId: number, brokerNextValidId: number, count = 1): number | undefined {
    return this.guard('reserving an order id', (r) => r.orderIds.reserve(clientId, brokerNextValidId, count), undefined, true);
  }

  /** The halt in force, undefined when there is none or the DB cannot tell. */
  activeHalt(): TradingHalt | undefined {
    return this.guard('reading the trading halt', (r) => r.halts.active(), undefined);
  }

  /**
   * Sets the trading halt the bots obey (no entries, no protection, no exits of their own) and writes the
   * `trading_halt_set` event. An active halt is kept, not replaced. Undefined when the DB cannot be written.
   */
  setHalt(reason: string, detail: Record<string, unknown>): { halt: TradingHalt; alreadyActive: boolean } | undefined {
    return this.guard('setting the trading halt', (r) => {
      const before = r.halts.active();
      const halt = r.halts.set(reason, APP, detail);
      const alreadyActive = before !== undefined && before.id === halt.id;
      if (!alreadyActive) r.events.record(APP, 'trading_halt_set', { reason, ...detail }, null, 'warn');
      return { halt, alreadyActive };
    }, undefined, true);
  }

  /** Lifts the active halt: the lifted halt, null when none was active, undefined when the DB cannot be written. */
  liftHalt(liftedBy: string): TradingHalt | null | undefined {
    return this.guard('lifting the trading halt', (r) => {
      const active = r.halts.active();
      if (!active || !r.halts.lift(liftedBy)) return null;
      r.events.record(APP, 'trading_halt_lifted', { liftedBy, reason: active.reason, setBy: active.setBy, setAt: active.setAt }, null, 'warn');
      return active;
    }, undefined, true);
  }

  /** Liquidation orders the DB last saw working (a DAY market order queued for the open, for instance). */
  openLiquidationOrders(): OrderRecord[] {
    return this.guard('reading the liquidation orders', (r) => r.orders.getOpen().filter((o) => o.purpose === 'LIQUIDATION'), []);
  }

  /** Written BEFORE the order is sent (orders table rule), so a crash leaves a row to look up by ref. */
  orderIntent(intent: {
    orderRef: string; positionId: string | null; symbol: string; side: 'BUY' | 'SELL'; quantity: number; clientId: number; orderType: string; limitPrice?: number;
  }): void {
    this.guard('recording a liquidation order', (r) => r.orders.recordIntent({
      ...intent, limitPrice: intent.limitPrice ?? null, purpose: 'LIQUIDATION', app: APP, tradingDay: tradingDayOf(this.clock.now()), tif: 'DAY',
    }), false, true);
  }

  orderSubmitted(orderRef: string, orderId: number): void {
    this.guard('recording a submitted order', (r) => r.orders.markSubmitted(orderRef, orderId), undefined, true);
  }

  orderOutcomes(outcomes: readonly OrderOutcome[]): void {
    this.guard('recording order outcomes', (r) => {
      for (const o of outcomes) r.orders.updateStatus(o.orderRef, { status: o.status, filledQuantity: o.filledQuantity, avgFillPrice: o.avgFillPrice, lastError: o.lastError });
    }, undefined, true);
  }

  /**
   * Books every liquidation execution once: against the DB position of its symbol with
   * ledger.recordExit(…, 'EMERGENCY_LIQUIDATION') (the ledger closes the row when the last share is sold),
   * or, for a position the DB never knew, as an UNTRACKED trade plus an event.
   */
  bookExecutions(executions: readonly Execution[], rowsBySymbol: ReadonlyMap<string, ActivePosition>, commissions: ReadonlyMap<string, number>): BookingSummary | undefined {
    return this.guard('booking the liquidation executions', (r) => {
      const summary: BookingSummary = { closedPositionIds: [], partialPositionIds: [], executionsBooked: 0, executionsAlreadyBooked: 0, untrackedSymbols: [] };
      const untracked = new Map<string, Execution[]>();
      for (const execution of [...executions].sort((a, b) => a.timeMs - b.timeMs || a.execId.localeCompare(b.execId))) {
        const record = toRecord(execution, commissions.get(execution.execId));
        const row = rowsBySymbol.get(execution.symbol);
        if (!row) {
          untracked.set(execution.symbol, [...(untracked.get(execution.symbol) ?? []), execution]);
          const inserted = r.trades.insert({
            execution: record, positionId: null, purpose: 'UNTRACKED', exitReason: EMERGENCY_EXIT_REASON, tradingDay: tradingDayOf(execution.timeMs), recordedAtMs: this.clock.now(),
          });
          if (inserted) summary.executionsBooked += 1;
          else summary.executionsAlreadyBooked += 1;
          continue;
        }
        const result = r.ledger.recordExit(row.id, record, EMERGENCY_EXIT_REASON);
        if (result.status === 'duplicate') summary.executionsAlreadyBooked += 1;
        else summary.executionsBooked += 1;
        if (result.status === 'recorded' && result.closed) summary.closedPositionIds.push(row.id);
      }
      for (const [symbol, row] of rowsBySymbol) {
        if (!summary.closedPositionIds.includes(row.id) && r.positions.getById(row.id) && executions.some((e) => e.symbol === symbol)) summary.partialPositionIds.push(row.id);
      }
      // Commissions that arrived after their execution was booked: recordCommission books each once.
      for (const execution of executions) {
        const commission = commissions.get(execution.execId) ?? execution.commission;
        if (commission !== undefined) r.ledger.recordCommission(execution.execId, commission);
      }
      for (const [symbol, symbolExecutions] of untracked) {
        summary.untrackedSymbols.push(symbol);
        r.events.record(APP, 'emergency_liquidation_untracked', {
          reason: 'broker position unknown to the DB, closed by the emergency liquidation',
          quantity: symbolExecutions.reduce((sum, e) => sum + (e.side === 'SELL' ? -e.quantity : e.quantity), 0),
          executions: symbolExecutions.map((e) => ({ execId: e.execId, side: e.side, quantity: e.quantity, price: e.price, orderRef: e.orderRef })),
        }, symbol, 'warn');
      }
      return summary;
    }, undefined, true);
  }

  /** The `events` row an operator (and `npm run status`) sees: what the emergency button did. */
  recordSummary(summary: Record<string, unknown>, flat: boolean): void {
    this.guard('recording the emergency_liquidation event', (r) => r.events.record(APP, 'emergency_liquidation', summary, null, flat ? 'warn' : 'error'), undefined, true);
  }

  close(): void {
    try {
      this.db?.close();
    } catch (error) {
      this.log.warn('db_close_failed', { error: (error as Error).message });
    }
  }

  private guard<T>(step: string, fn: (repos: Repositories) => T, fallback: T, write = false): T {
    if (!this.repos || this.problemFound) return fallback;
    try {
      const result = fn(this.repos);
      if (write) this.writes += 1;
      return result;
    } catch (error) {
      this.problemFound = dbProblemFrom(error, this.dbPath, this.busyTimeoutMs);
      this.failedStep = step;
      this.log.error('liquidation_db_failed', { step, problem: this.problemFound.message });
      return fallback;
    }
  }
}

function toRecord(execution: Execution, commission: number | undefined): ExecutionRecord {
  return {
    execId: execution.execId, symbol: execution.symbol, side: execution.side, quantity: execution.quantity, price: execution.price,
    commission: commission ?? execution.commission, orderRef: execution.orderRef, orderId: execution.orderId, permId: execution.permId,
    clientId: execution.clientId, executedAtMs: execution.timeMs,
  };
}
