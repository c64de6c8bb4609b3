import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import type { TradingDay } from '../../time/trading-calendar';
import { newPositionId } from '../ids';
import { isoTime, parseJsonObject, type ActivePosition, type PositionStatus } from '../types';
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
  private readonly claimFactsStmt: Database.Statement<[string, string, string]>;
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
    // What a claim decides on, in one statement (one call into SQLite instead of three, inside the lock).
    this.claimFactsStmt = db.prepare(`SELECT
      EXISTS (SELECT 1 FROM active_positions WHERE symbol = ?) AS isActive,
      EXISTS (SELECT 1 FROM closed_positions_today WHERE symbol = ? AND close_date = ?) AS closedToday,
      (SELECT COUNT(*) FROM active_positions) AS openPositions`);
    this.insertStmt = db.prepare(`
      INSERT INTO active_positions (id, symbol, quantity, entry_price, entry_timestamp, agent_name, profit_target_price,
        stop_loss_price, status, trading_day, entry_order_ref, requested_quantity, claimed_at, last_updated, metadata, con_id, entry_booked)
      VALUES (@id, @symbol, @quantity, @entryPrice, @entryTimestamp, @agentName, @profitTargetPrice, @stopLossPrice,
        @status, @tradingDay, @entryOrderRef, @requestedQuantity, @now, @now, @metadata, @conId, @entryBooked)`);
    this.deleteStmt = db.prepare('DELETE FROM active_positions WHERE id = ?');
    // A claim is released only when nothing was ever filled: no shares booked, none reported, entry not working.
    this.releaseStmt = db.prepare("DELETE FROM active_positions WHERE id = ? AND status = 'PENDING_ENTRY' AND quantity = 0 AND entry_booked = 0 AND entry_reported = 0 AND entry_working = 0");

    const claim = db.transaction((request: ClaimRequest, row: InsertParams): ClaimResult => {
      // The re-entry rules are shared with the backtest (shared/strategy/claim-rules.ts); here they are decided
      // inside one BEGIN IMMEDIATE transaction because several processes can race for a symbol.
      const facts = this.claimFactsStmt.get(request.symbol, request.symbol, request.tradingDay) as { isActive: number; closedToday: number; openPositions: number };
      const refusal = claimRefusal({
        isActive: facts.isActive === 1,
        closedToday: facts.closedToday === 1,
        openPositions: facts.openPositions,
        maxOpenPositions: request.maxOpenPositions,
      });
      if (refusal) return { ok: false, reason: refusal };
      // Claimed when decided, as before: the lock may have been waited for since the row was prepared.
      row.now = isoTime(this.clock.now());
      this.insertStmt.run(row);
      return { ok: true, position: claimedPosition(row) };
    });
    this.claimTx = (request) => claim.immediate(request, this.claimRow(request));
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
    this.insertStmt.run(this.insertParams(position, requestedQuantity, isoTime(this.clock.now()), JSON.stringify(position.metadata ?? {})));
  }

  private insertParams(position: NewActivePosition & { id: string; entryOrderRef: string }, requestedQuantity: number, now: string, metadataJson: string): InsertParams {
    return {
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
      now,
      metadata: metadataJson,
      conId: position.conId ?? null,
      // An adopted row's shares count as its booked entry; a claim starts with none.
      entryBooked: Math.abs(position.quantity),
    };
  }

  /**
   * What a claim writes, worked out BEFORE its transaction: the id (random bytes) and the metadata JSON cost
   * nothing inside the write lock every other process is waiting for. Only the time is set inside.
   */
  private claimRow(request: ClaimRequest): InsertParams {
    const id = newPositionId(request.symbol, request.tradingDay);
    const metadataJson = JSON.stringify(request.metadata ?? {});
    return this.insertParams({
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
      conId: request.conId ?? null,
    }, request.requestedQuantity ?? 0, '', metadataJson);
  }
}

interface InsertParams {
  id: string;
  symbol: string;
  quantity: number;
  entryPrice: number | null;
  entryTimestamp: string | null;
  agentName: string;
  profitTargetPrice: number | null;
  stopLossPrice: number | null;
  status: PositionStatus;
  tradingDay: TradingDay;
  entryOrderRef: string;
  requestedQuantity: number;
  now: string;
  metadata: string;
  conId: number | null;
  entryBooked: number;
}

/** SQLite stores a NaN bound to a column as NULL. */
function asStored(value: number | null): number | null {
  return value === null || Number.isNaN(value) ? null : value;
}

/**
 * The row a claim just inserted, as `getById` would read it back, without reading it back: every column is
 * either a value the insert bound or the table's default (migrations 001/002). The metadata goes through
 * the same JSON round trip as a read (a copy, JSON's idea of the caller's object), except the common
 * `{}`, which needs none.
 */
function claimedPosition(p: InsertParams): ActivePosition {
  return {
    id: p.id,
    symbol: p.symbol,
    quantity: p.quantity,
    entryPrice: p.entryPrice,
    entryTimestamp: p.entryTimestamp,
    agentName: p.agentName,
    profitTargetPrice: asStored(p.profitTargetPrice),
    stopLossPrice: asStored(p.stopLossPrice),
    status: p.status,
    tradingDay: p.tradingDay,
    entryOrderRef: p.entryOrderRef,
    entryOrderId: null,
    requestedQuantity: p.requestedQuantity,
    ocaGroup: null,
    stopOrderId: null,
    targetOrderId: null,
    protectedQuantity: 0,
    exitReason: null,
    conId: asStored(p.conId),
    entryReported: 0,
    entryBooked: p.entryBooked,
    entryWorking: false,
    claimedAt: p.now,
    lastUpdated: p.now,
    metadata: p.metadata === '{}' ? {} : parseJsonObject(p.metadata),
  };
}
