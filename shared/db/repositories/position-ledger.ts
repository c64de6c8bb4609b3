import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import { tradingDayOf } from '../../time/trading-calendar';
import { isoTime, type ActivePosition, type ClosedPosition, type ExecutionRecord } from '../types';
import { ActivePositionsRepository } from './active-positions-repository';
import { ClosedPositionsRepository } from './closed-positions-repository';
import { EventsRepository } from './events-repository';
import { RoundTripsWriter } from './round-trips-writer';
import { TradesRepository } from './trades-repository';

export type EntryFillResult =
  | { status: 'recorded'; position: ActivePosition }
  | { status: 'duplicate' }
  | { status: 'no_position' };

export type ExitResult =
  | { status: 'recorded'; closed: false; position: ActivePosition }
  | { status: 'recorded'; closed: true; closedPosition: ClosedPosition }
  | { status: 'duplicate' }
  | { status: 'no_position' };

/**
 * Books fills against positions. Each method is ONE immediate transaction keyed on the execution id, so a
 * fill seen by several processes, or replayed by a restarted gateway, is booked exactly once, and a crash
 * at any point leaves either all of its rows or none.
 */
export class PositionLedger {
  private readonly positions: ActivePositionsRepository;
  private readonly closed: ClosedPositionsRepository;
  private readonly trades: TradesRepository;
  private readonly roundTrips: RoundTripsWriter;
  private readonly events: EventsRepository;
  private readonly closedByPositionStmt: Database.Statement<[string]>;
  private readonly adjustClosedStmt: Database.Statement<[number, number, string]>;
  private readonly entryTx: (positionId: string, execution: ExecutionRecord) => EntryFillResult;
  private readonly exitTx: (positionId: string, execution: ExecutionRecord, reason: string) => ExitResult;
  private readonly commissionTx: (execId: string, commission: number) => boolean;

  constructor(db: Database.Database, private readonly clock: Clock, private readonly app: string) {
    this.positions = new ActivePositionsRepository(db, clock);
    this.closed = new ClosedPositionsRepository(db, clock);
    this.trades = new TradesRepository(db);
    this.roundTrips = new RoundTripsWriter(db);
    this.events = new EventsRepository(db, clock);
    this.closedByPositionStmt = db.prepare('SELECT id FROM closed_positions_today WHERE position_id = ?').pluck();
    this.adjustClosedStmt = db.prepare('UPDATE closed_positions_today SET commission = commission + ?, realized_pnl = realized_pnl - ? WHERE position_id = ?');
    this.entryTx = wrapImmediate(db, (positionId, execution) => this.bookEntry(positionId, execution));
    this.exitTx = wrapImmediate(db, (positionId, execution, reason) => this.bookExit(positionId, execution, reason));
    this.commissionTx = wrapImmediate(db, (execId, commission) => this.bookCommission(execId, commission));
  }

  recordEntryFill(positionId: string, execution: ExecutionRecord): EntryFillResult {
    return this.entryTx(positionId, execution);
  }

  /** The active row leaves (when the exit completes), the closed row and the trade are written: once per execution. */
  recordExit(positionId: string, execution: ExecutionRecord, reason: string): ExitResult {
    return this.exitTx(positionId, execution, reason);
  }

  /** IB sends commissions in a separate report after the execution; this books it once. */
  recordCommission(execId: string, commission: number): boolean {
    return this.commissionTx(execId, commission);
  }

  private bookEntry(positionId: string, execution: ExecutionRecord): EntryFillResult {
    if (this.trades.hasExecution(execution.execId)) return { status: 'duplicate' };
    const position = this.positions.getById(positionId);
    const tradingDay = tradingDayOf(execution.executedAtMs);
    const nowMs = this.clock.now();
    if (!position) {
      this.trades.insert({ execution, positionId, purpose: 'UNTRACKED', tradingDay, recordedAtMs: nowMs });
      this.events.record(this.app, 'entry_fill_without_position', { positionId, execId: execution.execId }, execution.symbol, 'warn');
      return { status: 'no_position' };
    }
    this.trades.insert({ execution, positionId, purpose: 'ENTRY', agentName: position.agentName, tradingDay, recordedAtMs: nowMs });
    const signedQuantity = execution.side === 'BUY' ? execution.quantity : -execution.quantity;
    const newQuantity = position.quantity + signedQuantity;
    const previousNotional = Math.abs(position.quantity) * (position.entryPrice ?? 0);
    const entryPrice = roundTo((previousNotional + execution.quantity * execution.price) / Math.abs(newQuantity), 6);
    const entryTimestamp = position.entryTimestamp ?? isoTime(execution.executedAtMs);
    this.positions.updateActivePosition(positionId, {
      quantity: newQuantity,
      entryPrice,
      entryTimestamp,
      status: position.status === 'PENDING_ENTRY' ? 'OPEN' : position.status,
      entryOrderId: position.entryOrderId ?? execution.orderId ?? null,
    });
    const entryTotals = this.trades.totalsFor(positionId, 'ENTRY');
    this.roundTrips.upsertOpen({
      positionId,
      symbol: position.symbol,
      agentName: position.agentName,
      direction: newQuantity >= 0 ? 'LONG' : 'SHORT',
      quantity: Math.abs(newQuantity),
      entryPrice,
      entryTime: entryTimestamp,
      commission: entryTotals.commission,
      tradingDay: position.tradingDay,
      source: 'bot',
    });
    return { status: 'recorded', position: this.positions.getById(positionId)! };
  }

  private bookExit(positionId: string, execution: ExecutionRecord, reason: string): ExitResult {
    if (this.trades.hasExecution(execution.execId)) return { status: 'duplicate' };
    const position = this.positions.getById(positionId);
    const tradingDay = tradingDayOf(execution.executedAtMs);
    const nowMs = this.clock.now();
    if (!position || position.quantity === 0) {
      this.trades.insert({ execution, positionId, purpose: 'UNTRACKED', exitReason: reason, tradingDay, recordedAtMs: nowMs });
      this.events.record(this.app, 'exit_fill_without_position', { positionId, execId: execution.execId, reason }, execution.symbol, 'warn');
      return { status: 'no_position' };
    }
    this.trades.insert({ execution, positionId, purpose: 'EXIT', exitReason: reason, agentName: position.agentName, tradingDay, recordedAtMs: nowMs });
    const direction = position.quantity > 0 ? 1 : -1;
    const remaining = position.quantity - (execution.side === 'SELL' ? execution.quantity : -execution.quantity);
    if (remaining * direction > 0) {
      this.positions.updateActivePosition(positionId, { quantity: remaining, status: 'CLOSING', exitReason: position.exitReason ?? reason });
      return { status: 'recorded', closed: false, position: this.positions.getById(positionId)! };
    }
    if (remaining !== 0) {
      // More was sold than we held: the account is now the other way round. Book what happened and say so loudly;
      // the exit manager's verification finds the broker position and the reconciler adopts it.
      this.events.record(this.app, 'exit_overfill', { positionId, remaining, execId: execution.execId }, position.symbol, 'error');
    }
    const exits = this.trades.totalsFor(positionId, 'EXIT');
    const entries = this.trades.totalsFor(positionId, 'ENTRY');
    const closedQuantity = exits.quantity - Math.abs(remaining);
    const entryPrice = position.entryPrice ?? 0;
    const exitPrice = roundTo(exits.quantity > 0 ? exits.notional / exits.quantity : execution.price, 6);
    const commission = exits.commission + entries.commission;
    const realizedPnl = roundTo(direction * (exitPrice - entryPrice) * closedQuantity - commission, 6);
    const profitLossPct = entryPrice > 0 ? roundTo(direction * (exitPrice / entryPrice - 1) * 100, 6) : null;
    const exitTime = isoTime(execution.executedAtMs);
    const closedRow = {
      symbol: position.symbol,
      closeDate: tradingDay,
      positionId,
      quantity: closedQuantity,
      entryPrice: position.entryPrice,
      exitPrice,
      // The fill that closed the position says why (an emergency liquidation finishing a CLOSING row is EMERGENCY_LIQUIDATION).
      exitReason: reason,
      profitLossPct,
      realizedPnl,
      commission,
      agentName: position.agentName,
      entryTimestamp: position.entryTimestamp,
      timestamp: exitTime,
    };
    this.positions.removeActivePosition(positionId);
    this.closed.addClosedPosition(closedRow);
    this.roundTrips.upsertOpen({
      positionId,
      symbol: position.symbol,
      agentName: position.agentName,
      direction: direction > 0 ? 'LONG' : 'SHORT',
      quantity: closedRow.quantity,
      entryPrice,
      entryTime: position.entryTimestamp ?? exitTime,
      commission,
      tradingDay: position.tradingDay,
      source: position.id.startsWith('A-') ? 'adopted' : 'bot',
    });
    this.roundTrips.close({ positionId, quantity: closedRow.quantity, exitPrice, exitTime, exitReason: closedRow.exitReason, commission, realizedPnl, pnlPct: profitLossPct });
    this.events.record(this.app, 'position_closed', { positionId, reason: closedRow.exitReason, exitPrice, realizedPnl }, position.symbol);
    return { status: 'recorded', closed: true, closedPosition: { id: 0, ...closedRow } };
  }

  private bookCommission(execId: string, commission: number): boolean {
    if (!this.trades.setCommission(execId, commission)) return false;
    const trade = this.trades.getByExecId(execId);
    if (!trade?.position_id) return true;
    // Closed already: the close summed only the commissions known then; add this one to the closed rows.
    if (this.closedByPositionStmt.get(trade.position_id) !== undefined) {
      this.adjustClosedStmt.run(commission, commission, trade.position_id);
    }
    this.roundTrips.addCommission(trade.position_id, commission);
    return true;
  }
}

/** better-sqlite3's `db.transaction(fn).immediate` with the argument types kept. */
function wrapImmediate<A extends unknown[], R>(db: Database.Database, fn: (...args: A) => R): (...args: A) => R {
  const tx = db.transaction(fn);
  return (...args: A) => tx.immediate(...args);
}

/** Money and prices are stored rounded (floating sums like 53.080000000000005 help nobody reading the DB). */
function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
