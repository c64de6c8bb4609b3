import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import type { TradingDay } from '../../time/trading-calendar';
import { newPositionId } from '../ids';
import { isoTime, type ActivePosition, type PositionStatus } from '../types';
import { toActivePosition, type ActivePositionRow } from './row-mappers';
import { claimRefusal, type ClaimRefusal } from '../../strategy/claim-rules';

export interface ClaimRequest {
  symbol: string;
  tradingDay: TradingDay;
  agentName: string;
  maxOpenPositions: number;
  requestedQuantity?: number;
  stopLossPrice?: number;
  profitTargetPrice?: number;
  metadata?: Record<string, unknown>;
  conId?: number;
}

export type { ClaimRefusal };
export type ClaimResult = { ok: true; position: ActivePosition } | { ok: false; reason: ClaimRefusal };

export interface NewActivePosition {
  id?: string;
  symbol: string;
  quantity: number;
  entryPrice: number | null;
  entryTimestamp?: string | null;
  agentName: string;
  status: PositionStatus;
  tradingDay: TradingDay;
  entryOrderRef?: string;
  profitTargetPrice?: number | null;
  stopLossPrice?: number | null;
  metadata?: Record<string, unknown>;
  conId?: number | null;
}

export type ActivePositionPatch = Partial<
  Pick<ActivePosition, 'quantity' | 'entryPrice' | 'entryTimestamp' | 'profitTargetPrice' | 'stopLossPrice' | 'status' |
    'entryOrderId' | 'ocaGroup' | 'stopOrderId' | 'targetOrderId' | 'protectedQuantity' | 'exitReason' | 'metadata' | 'conId' |
    'entryReported' | 'entryBooked' | 'entryWorking'>
>;

const PATCH_COLUMNS: Record<keyof ActivePositionPatch, string> = {
  quantity: 'quantity',
  entryPrice: 'entry_price',
  entryTimestamp: 'entry_timestamp',
  profitTargetPrice: 'profit_target_price',
  stopLossPrice: 'stop_loss_price',
  status: 'status',
  entryOrderId: 'entry_order_id',
  ocaGroup: 'oca_group',
  stopOrderId: 'stop_order_id',
  targetOrderId: 'target_order_id',
  protectedQuantity: 'protected_quantity',
  exitReason: 'exit_reason',
  metadata: 'metadata',
  conId: 'con_id',
  entryReported: 'entry_reported',
  entryBooked: 'entry_booked',
  entryWorking: 'entry_working',
};

/** `active_positions`: one row per symbol, the heart of the coordination between processes. */
export class ActivePositionsRepository {
  private readonly isActiveStmt: Database.Statement<[string]>;
  private readonly bySymbolStmt: Database.Statement<[string]>;
  private readonly byIdStmt: Database.Statement<[string]>;
  private readonly allStmt: Database.Statement<[]>;
  private readonly countStmt: Database.Statement<[]>;
  private readonly closedTodayStmt: Database.Statement<[string, string]>;
  private readonly insertStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement<[string]>;
  private readonly releaseStmt: Database.Statement<[string]>;
  private readonly patchStatements = new Map<string, Database.Statement>();
  private readonly claimTx: (request: ClaimRequest) => ClaimResult;

  constructor(private readonly db: Database.Database, private readonly clock: Clock) {
    this.isActiveStmt = db.prepare('SELECT 1 FROM active_positions WHERE symbol = ?').pluck();
    this.bySymbolStmt = db.prepare('SELECT * FROM active_positions WHERE symbol = ?');
    this.byIdStmt = db.prepare('SELECT * FROM active_positions WHERE id = ?');
    this.allStmt = db.prepare('SELECT * FROM active_positions ORDER BY claimed_at, symbol');
    this.countStmt = db.prepare('SELECT COUNT(*) FROM active_positions').pluck();
    this.closedTodayStmt = db.prepare('SELECT 1 FROM closed_positions_today WHERE symbol = ? AND close_date = ?').pluck();
    this.insertStmt = db.prepare(`
      INSERT INTO active_positions (id, symbol, quantity, entry_price, entry_timestamp, agent_name, profit_target_price,
        stop_loss_price, status, trading_day, entry_order_ref, requested_quantity, claimed_at, last_updated, metadata, con_id, entry_booked)
      VALUES (@id, @symbol, @quantity, @entryPrice, @entryTimestamp, @agentName, @profitTargetPrice, @stopLossPrice,
        @status, @tradingDay, @entryOrderRef, @requestedQuantity, @now, @now, @metadata, @conId, @entryBooked)`);
    this.deleteStmt = db.prepare('DELETE FROM active_positions WHERE id = ?');
    // A claim is released only when nothing was ever filled: no shares booked, none reported, entry not working.
    this.releaseStmt = db.prepare("DELETE FROM active_positions WHERE id = ? AND status = 'PENDING_ENTRY' AND quantity = 0 AND entry_booked = 0 AND entry_reported = 0 AND entry_working = 0");

    const claim = db.transaction((request: ClaimRequest): ClaimResult => {
      // The re-entry rules are shared with the backtest (shared/strategy/claim-rules.ts); here they are decided
      // inside one BEGIN IMMEDIATE transaction because several processes can race for a symbol.
      const refusal = claimRefusal({
        isActive: this.isActiveStmt.get(request.symbol) !== undefined,
        closedToday: this.closedTodayStmt.get(request.symbol, request.tradingDay) !== undefined,
        openPositions: this.countStmt.get() as number,
        maxOpenPositions: request.maxOpenPositions,
      });
      if (refusal) return { ok: false, reason: refusal };
      const id = newPositionId(request.symbol, request.tradingDay);
      this.insertRow({
        id,
        symbol: request.symbol,
        quantity: 0,
        entryPrice: null,
        agentName: request.agentName,
        status: 'PENDING_ENTRY',
        tradingDay: request.tradingDay,
        entryOrderRef: id,
        stopLossPrice: request.stopLossPrice ?? null,
        profitTargetPrice: request.profitTargetPrice ?? null,
        metadata: request.metadata,
        conId: request.conId ?? null,
      }, request.requestedQuantity ?? 0);
      return { ok: true, position: this.getById(id)! };
    });
    this.claimTx = (request) => claim.immediate(request);
  }

  /**
   * Atomically: the symbol is not active, was not closed this trading day, and there is room under
   * max open positions → a PENDING_ENTRY row whose id is the entry order's orderRef. One BEGIN IMMEDIATE
   * transaction, so of any number of processes racing for a symbol exactly one wins.
   */
  claimSymbol(request: ClaimRequest): ClaimResult {
    return this.claimTx(request);
  }

  /** Drops a claim that never filled (rejected, cancelled, timed out). Refuses rows that hold shares. */
  releaseClaim(positionId: string): boolean {
    return this.releaseStmt.run(positionId).changes === 1;
  }

  isPositionActive(symbol: string): boolean {
    return this.isActiveStmt.get(symbol) !== undefined;
  }

  getActivePosition(symbol: string): ActivePosition | undefined {
    const row = this.bySymbolStmt.get(symbol) as ActivePositionRow | undefined;
    return row ? toActivePosition(row) : undefined;
  }

  getById(positionId: string): ActivePosition | undefined {
    const row = this.byIdStmt.get(positionId) as ActivePositionRow | undefined;
    return row ? toActivePosition(row) : undefined;
  }

  getActivePositions(): ActivePosition[] {
    return (this.allStmt.all() as ActivePositionRow[]).map(toActivePosition);
  }

  countActive(): number {
    return this.countStmt.get() as number;
  }

  /** Inserts a row as given (adoption of a position found at the broker, tests). Fails if the symbol is active. */
  addActivePosition(position: NewActivePosition): ActivePosition {
    const id = position.id ?? newPositionId(position.symbol, position.tradingDay, 'A');
    this.insertRow({ ...position, id, entryOrderRef: position.entryOrderRef ?? id }, Math.abs(position.quantity));
    return this.getById(id)!;
  }

  removeActivePosition(positionId: string): boolean {
    return this.deleteStmt.run(positionId).changes === 1;
  }

  /** Updates the given fields; `last_updated` always moves. Returns false when the row is gone. */
  updateActivePosition(positionId: string, patch: ActivePositionPatch): boolean {
    const keys = (Object.keys(patch) as Array<keyof ActivePositionPatch>).filter((k) => patch[k] !== undefined);
    const signature = keys.sort().join(',');
    let statement = this.patchStatements.get(signature);
    if (!statement) {
      const sets = keys.map((k) => `${PATCH_COLUMNS[k]} = @${k}`);
      statement = this.db.prepare(`UPDATE active_positions SET ${[...sets, 'last_updated = @now'].join(', ')} WHERE id = @id`);
      this.patchStatements.set(signature, statement);
    }
    const params: Record<string, unknown> = { id: positionId, now: isoTime(this.clock.now()) };
    for (const key of keys) params[key] = key === 'metadata' ? JSON.stringify(patch.metadata) : key === 'entryWorking' ? (patch.entryWorking ? 1 : 0) : patch[key];
    return statement.run(params).changes === 1;
  }

  private insertRow(position: NewActivePosition & { id: string; entryOrderRef: string }, requestedQuantity: number): void {
    this.insertStmt.run({
      id: position.id,
      symbol: position.symbol,
      quantity: position.quantity,
      entryPrice: position.entryPrice,
      entryTimestamp: position.entryTimestamp ?? null,
      agentName: position.agentName,
      profitTargetPrice: position.profitTargetPrice ?? null,
      stopLossPrice: position.stopLossPrice ?? null,
      status: position.status,
      tradingDay: position.tradingDay,
      entryOrderRef: position.entryOrderRef,
      requestedQuantity,
      now: isoTime(this.clock.now()),
      metadata: JSON.stringify(position.metadata ?? {}),
      conId: position.conId ?? null,
      // An adopted row's shares count as its booked entry; a claim starts with none.
      entryBooked: Math.abs(position.quantity),
    });
  }
}
