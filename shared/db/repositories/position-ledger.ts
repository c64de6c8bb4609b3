import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import { tradingDayOf } from '../../time/trading-calendar';
import { executionBase, executionVersion } from '../execution-ids';
import { isoTime, type ActivePosition, type ClosedPosition, type ExecutionRecord } from '../types';
import { DEFAULT_ALERT_THRESHOLDS, type AlertThresholds } from '../../alerts/alert-types';
import { ActivePositionsRepository } from './active-positions-repository';
import { AlertsOutboxRepository } from './alerts-outbox-repository';
import { ClosedPositionsRepository } from './closed-positions-repository';
import { EventsRepository } from './events-repository';
import { RoundTripsWriter } from './round-trips-writer';
import { TradesRepository, type TradeRow } from './trades-repository';

export type EntryFillResult =
  | { status: 'recorded'; position: ActivePosition; closed?: ClosedPosition }
  | { status: 'corrected'; execId: string; previousExecId: string }
  | { status: 'duplicate' }
  | { status: 'no_position' };

export type ExitResult =
  | { status: 'recorded'; closed: false; position: ActivePosition }
  | { status: 'recorded'; closed: true; closedPosition: ClosedPosition }
  | { status: 'corrected'; execId: string; previousExecId: string }
  | { status: 'duplicate' }
  | { status: 'no_position' };

export type EntryStatusResult = { changed: boolean; closed?: ClosedPosition; position?: ActivePosition };

/**
 * Books fills against positions. Each method is ONE immediate transaction keyed on the execution's base
 * id, so a fill seen by several processes, replayed by a restarted gateway, or CORRECTED by IB (same id
 * prefix, next suffix: it replaces the earlier report) is booked exactly once, and a crash at any point
 * leaves either all of its rows or none.
 *
 * At IB the order status overtakes the executions behind it. A position therefore knows what the broker
 * REPORTED of its entry (orderStatus filled) beside what it BOOKED (executions), may book an exit before
 * the entry execution arrives (its quantity goes below zero for that moment), and closes only when every
 * reported entry share is booked, the entry no longer works and the booked quantity is zero.
 */
export class PositionLedger {
  private readonly positions: ActivePositionsRepository;
  private readonly closed: ClosedPositionsRepository;
  private readonly trades: TradesRepository;
  private readonly roundTrips: RoundTripsWriter;
  private readonly events: EventsRepository;
  private readonly closedByPositionStmt: Database.Statement<[string]>;
  private readonly adjustClosedStmt: Database.Statement<[number, number, string]>;
  private readonly updateClosedMoneyStmt: Database.Statement;
  private readonly entryTx: (positionId: string, execution: ExecutionRecord) => EntryFillResult;
  private readonly exitTx: (positionId: string, execution: ExecutionRecord, reason: string) => ExitResult;
  private readonly entryStatusTx: (positionId: string, filled: number, working: boolean) => EntryStatusResult;
  private readonly commissionTx: (execId: string, commission: number) => boolean;
  private alertsRepo: AlertsOutboxRepository | undefined;

  constructor(private readonly db: Database.Database, private readonly clock: Clock, private readonly app: string, private readonly alertThresholds: AlertThresholds = DEFAULT_ALERT_THRESHOLDS) {
    this.positions = new ActivePositionsRepository(db, clock);
    this.closed = new ClosedPositionsRepository(db, clock);
    this.trades = new TradesRepository(db);
    this.roundTrips = new RoundTripsWriter(db);
    this.events = new EventsRepository(db, clock);
    this.closedByPositionStmt = db.prepare('SELECT id FROM closed_positions_today WHERE position_id = ?').pluck();
    this.adjustClosedStmt = db.prepare('UPDATE closed_positions_today SET commission = commission + ?, realized_pnl = realized_pnl - ? WHERE position_id = ?');
    this.updateClosedMoneyStmt = db.prepare(`UPDATE closed_positions_today SET entry_price = @entryPrice, exit_price = @exitPrice,
      realized_pnl = @realizedPnl, profit_loss_pct = @profitLossPct WHERE position_id = @positionId`);
    this.entryTx = wrapImmediate(db, (positionId, execution) => this.bookEntry(positionId, execution));
    this.exitTx = wrapImmediate(db, (positionId, execution, reason) => this.bookExit(positionId, execution, reason));
    this.entryStatusTx = wrapImmediate(db, (positionId, filled, working) => this.bookEntryStatus(positionId, filled, working));
    this.commissionTx = wrapImmediate(db, (execId, commission) => this.bookCommission(execId, commission));
  }

  /** The alerts outbox: the alerts of a booking are written in the booking's own transaction. */
  private get alerts(): AlertsOutboxRepository {
    this.alertsRepo ??= new AlertsOutboxRepository(this.db, this.clock, this.app, this.alertThresholds);
    return this.alertsRepo;
  }

  recordEntryFill(positionId: string, execution: ExecutionRecord): EntryFillResult {
    return this.entryTx(positionId, execution);
  }

  /**
   * The entry order's status: `filled` is the broker's cumulative filled quantity, `working` whether the
   * order can still fill. The exit manager protects from the reported quantity before the executions
   * arrive; a position waiting only for this to close closes here.
   */
  recordEntryStatus(positionId: string, filled: number, working: boolean): EntryStatusResult {
    return this.entryStatusTx(positionId, filled, working);
  }

  /** The active row leaves (when the exit completes), the closed row and the trade are written: once per execution. */
  recordExit(positionId: string, execution: ExecutionRecord, reason: string): ExitResult {
    return this.exitTx(positionId, execution, reason);
  }

  /** IB sends commissions in a separate report after the execution; this books it once. */
  recordCommission(execId: string, commission: number): boolean {
    return this.commissionTx(execId, commission);
  }

  /** Whether this execution (or a later correction of it) is booked already. */
  isBooked(execId: string): boolean {
    const existing = this.trades.getByBase(executionBase(execId));
    return existing !== undefined && executionVersion(existing.exec_id) >= executionVersion(execId);
  }

  /**
   * Already booked (same or later version) → 'duplicate'; an earlier version booked → the correction
   * replaces it (price, id) and what was derived from it is recomputed; not booked → undefined.
   */
  private correctionOf(execution: ExecutionRecord): { status: 'duplicate' } | { status: 'corrected'; execId: string; previousExecId: string } | undefined {
    const existing = this.trades.getByBase(executionBase(execution.execId));
    if (!existing) return undefined;
    if (executionVersion(existing.exec_id) >= executionVersion(execution.execId)) return { status: 'duplicate' };
    this.trades.correct(existing.id, execution.execId, execution.price);
    this.events.record(this.app, 'execution_corrected', { execId: execution.execId, previousExecId: existing.exec_id, from: existing.price, to: execution.price, positionId: existing.position_id }, existing.symbol, 'warn');
    if (existing.position_id) this.recomputeAfterCorrection(existing);
    return { status: 'corrected', execId: execution.execId, previousExecId: existing.exec_id };
  }

  private bookEntry(positionId: string, execution: ExecutionRecord): EntryFillResult {
    const correction = this.correctionOf(execution);
    if (correction) return correction;
    const position = this.positions.getById(positionId);
    const tradingDay = tradingDayOf(execution.executedAtMs);
    const nowMs = this.clock.now();
    if (!position) {
      this.trades.insert({ execution, positionId, purpose: 'UNTRACKED', tradingDay, recordedAtMs: nowMs });
      this.events.record(this.app, 'entry_fill_without_position', { positionId, execId: execution.execId }, execution.symbol, 'error');
      return { status: 'no_position' };
    }
    this.trades.insert({ execution, positionId, purpose: 'ENTRY', agentName: position.agentName, tradingDay, recordedAtMs: nowMs });
    const signedQuantity = execution.side === 'BUY' ? execution.quantity : -execution.quantity;
    const entries = this.trades.totalsFor(positionId, 'ENTRY');
    const entryPrice = roundTo(entries.notional / entries.quantity, 6);
    const entryTimestamp = position.entryTimestamp ?? isoTime(execution.executedAtMs);
    this.positions.updateActivePosition(positionId, {
      quantity: position.quantity + signedQuantity,
      entryBooked: entries.quantity,
      entryPrice,
      entryTimestamp,
      status: position.status === 'PENDING_ENTRY' ? 'OPEN' : position.status,
      entryOrderId: position.entryOrderId ?? execution.orderId ?? null,
    });
    const updated = this.positions.getById(positionId)!;
    this.roundTrips.upsertOpen({
      positionId, symbol: position.symbol, agentName: position.agentName, direction: signedQuantity >= 0 ? 'LONG' : 'SHORT', quantity: entries.quantity,
      entryPrice, entryTime: entryTimestamp, commission: entries.commission, tradingDay: position.tradingDay, source: 'bot',
    });
    this.alerts.entryProgress(updated);
    const closed = this.closeIfDone(updated, execution.executedAtMs);
    return { status: 'recorded', position: closed ? updated : this.positions.getById(positionId)!, closed };
  }

  private bookEntryStatus(positionId: string, filled: number, working: boolean): EntryStatusResult {
    const position = this.positions.getById(positionId);
    if (!position) return { changed: false };
    const reported = Math.max(position.entryReported, filled);
    if (reported === position.entryReported && working === position.entryWorking) return { changed: false, position };
    this.positions.updateActivePosition(positionId, { entryReported: reported, entryWorking: working });
    const updated = this.positions.getById(positionId)!;
    this.alerts.entryProgress(updated);
    const closed = this.closeIfDone(updated, this.clock.now());
    return { changed: true, closed, position: closed ? undefined : updated };
  }

  private bookExit(positionId: string, execution: ExecutionRecord, reason: string): ExitResult {
    const correction = this.correctionOf(execution);
    if (correction) return correction;
    const position = this.positions.getById(positionId);
    const tradingDay = tradingDayOf(execution.executedAtMs);
    const nowMs = this.clock.now();
    // Nothing to exit: no row, or a row that holds nothing and never had anything reported for its entry.
    if (!position || (position.quantity === 0 && position.entryReported === 0 && position.entryBooked === 0)) {
      this.trades.insert({ execution, positionId, purpose: 'UNTRACKED', exitReason: reason, tradingDay, recordedAtMs: nowMs });
      this.events.record(this.app, 'exit_fill_without_position', { positionId, execId: execution.execId, reason }, execution.symbol, 'error');
      return { status: 'no_position' };
    }
    this.trades.insert({ execution, positionId, purpose: 'EXIT', exitReason: reason, agentName: position.agentName, tradingDay, recordedAtMs: nowMs });
    const signed = execution.side === 'SELL' ? -execution.quantity : execution.quantity;
    this.positions.updateActivePosition(positionId, { quantity: position.quantity + signed, status: 'CLOSING', exitReason: position.exitReason ?? reason });
    const updated = this.positions.getById(positionId)!;
    const closed = this.closeIfDone(updated, execution.executedAtMs, reason);
    if (closed) return { status: 'recorded', closed: true, closedPosition: closed };
    return { status: 'recorded', closed: false, position: updated };
  }

  /**
   * Closes a position once nothing about it can still change: every share the broker reported for the
   * entry is booked, the entry no longer works, and the booked exits took it to zero (or past it: an
   * overfill, said loudly). Runs inside the caller's transaction.
   */
  private closeIfDone(position: ActivePosition, atMs: number, lastReason?: string): ClosedPosition | undefined {
    const exits = this.trades.totalsFor(position.id, 'EXIT');
    if (exits.quantity === 0 || position.entryWorking || position.entryBooked < position.entryReported) return undefined;
    // Exits close: selling closes a long, buying closes a short (an adopted short has no entry trades to ask).
    const direction = this.trades.firstSide(position.id, 'EXIT') === 'BUY' ? -1 : 1;
    const remaining = position.quantity;
    if (remaining * direction > 0) return undefined;
    if (remaining !== 0) {
      // More was sold than we held: the account is now the other way round. Book what happened and say so loudly;
      // the reconciler finds the broker position.
      this.events.record(this.app, 'exit_overfill', { positionId: position.id, remaining }, position.symbol, 'error');
      this.alerts.exitOverfill(position, remaining);
    }
    const entries = this.trades.totalsFor(position.id, 'ENTRY');
    const closedQuantity = exits.quantity - Math.abs(remaining);
    const entryPrice = entries.quantity > 0 ? roundTo(entries.notional / entries.quantity, 6) : position.entryPrice ?? 0;
    const exitPrice = roundTo(exits.notional / exits.quantity, 6);
    const commission = exits.commission + entries.commission;
    const realizedPnl = roundTo(direction * (exitPrice - entryPrice) * closedQuantity - commission, 6);
    const profitLossPct = entryPrice > 0 ? roundTo(direction * (exitPrice / entryPrice - 1) * 100, 6) : null;
    const lastFill = this.trades.lastExecutedFor(position.id);
    const exitTime = lastFill ?? isoTime(atMs);
    const closedRow = {
      symbol: position.symbol,
      closeDate: tradingDayOf(Date.parse(exitTime)),
      positionId: position.id,
      quantity: closedQuantity,
      entryPrice: entryPrice || position.entryPrice,
      exitPrice,
      // The fill that started the exit says why (an emergency liquidation finishing a CLOSING row says its own reason).
      exitReason: lastReason ?? position.exitReason ?? 'MANUAL',
      profitLossPct,
      realizedPnl,
      commission,
      agentName: position.agentName,
      entryTimestamp: position.entryTimestamp,
      timestamp: exitTime,
    };
    this.positions.removeActivePosition(position.id);
    this.closed.addClosedPosition(closedRow);
    this.roundTrips.upsertOpen({
      positionId: position.id, symbol: position.symbol, agentName: position.agentName, direction: direction > 0 ? 'LONG' : 'SHORT', quantity: closedRow.quantity,
      entryPrice, entryTime: position.entryTimestamp ?? exitTime, commission, tradingDay: position.tradingDay, source: position.id.startsWith('A-') ? 'adopted' : 'bot',
    });
    this.roundTrips.close({ positionId: position.id, quantity: closedRow.quantity, exitPrice, exitTime, exitReason: closedRow.exitReason, commission, realizedPnl, pnlPct: profitLossPct });
    this.events.record(this.app, 'position_closed', { positionId: position.id, reason: closedRow.exitReason, exitPrice, realizedPnl }, position.symbol);
    this.alerts.positionClosed(closedRow);
    return { id: 0, ...closedRow };
  }

  /** A corrected price changes the entry price of an open position, or the money of a closed one. */
  private recomputeAfterCorrection(trade: TradeRow): void {
    const positionId = trade.position_id!;
    const entries = this.trades.totalsFor(positionId, 'ENTRY');
    const exits = this.trades.totalsFor(positionId, 'EXIT');
    const entryPrice = entries.quantity > 0 ? roundTo(entries.notional / entries.quantity, 6) : undefined;
    const active = this.positions.getById(positionId);
    if (active) {
      if (entryPrice !== undefined && trade.purpose === 'ENTRY') this.positions.updateActivePosition(positionId, { entryPrice });
      return;
    }
    if (this.closedByPositionStmt.get(positionId) === undefined || entryPrice === undefined || exits.quantity === 0) return;
    const exitPrice = roundTo(exits.notional / exits.quantity, 6);
    const direction = trade.side === (trade.purpose === 'ENTRY' ? 'BUY' : 'SELL') ? 1 : -1;
    const closedQuantity = Math.min(entries.quantity, exits.quantity);
    const commission = entries.commission + exits.commission;
    const realizedPnl = roundTo(direction * (exitPrice - entryPrice) * closedQuantity - commission, 6);
    const profitLossPct = entryPrice > 0 ? roundTo(direction * (exitPrice / entryPrice - 1) * 100, 6) : null;
    this.updateClosedMoneyStmt.run({ positionId, entryPrice, exitPrice, realizedPnl, profitLossPct });
    this.roundTrips.correctMoney({ positionId, entryPrice, exitPrice, realizedPnl, pnlPct: profitLossPct });
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
