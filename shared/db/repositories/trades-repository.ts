import type Database from 'better-sqlite3';
import type { TradingDay } from '../../time/trading-calendar';
import { executionBase, executionVersion } from '../execution-ids';
import { isoTime, type ExecutionRecord } from '../types';

export type TradePurpose = 'ENTRY' | 'EXIT' | 'UNTRACKED';

export interface TradeRow {
  id: number;
  exec_id: string;
  exec_base: string;
  corrections: number;
  position_id: string | null;
  symbol: string;
  side: 'BUY' | 'SELL';
  quantity: number;
  price: number;
  commission: number | null;
  purpose: TradePurpose;
  exit_reason: string | null;
  order_ref: string | null;
  order_id: number | null;
  perm_id: number | null;
  client_id: number | null;
  agent_name: string | null;
  trading_day: string;
  executed_at: string;
  recorded_at: string;
}

export interface PositionFillTotals {
  quantity: number;
  notional: number;
  commission: number;
}

/** `trades`: every fill, once. Inserts are keyed on IB's exec id: a replayed execution is a no-op. */
export class TradesRepository {
  private readonly hasStmt: Database.Statement<[string]>;
  private readonly insertStmt: Database.Statement;
  private readonly totalsStmt: Database.Statement<[string, string]>;
  private readonly byPositionStmt: Database.Statement<[string]>;
  private readonly byDayStmt: Database.Statement<[string]>;
  private readonly setCommissionStmt: Database.Statement<[number, string]>;
  private readonly byExecStmt: Database.Statement<[string]>;
  private readonly lastExecutedStmt: Database.Statement<[]>;
  private readonly recordedSinceStmt: Database.Statement<[string, string]>;
  private readonly byBaseStmt: Database.Statement<[string]>;
  private readonly correctStmt: Database.Statement<[string, number, number]>;
  private readonly lastForPositionStmt: Database.Statement<[string]>;
  private readonly firstSideStmt: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.hasStmt = db.prepare('SELECT 1 FROM trades WHERE exec_id = ?').pluck();
    this.byExecStmt = db.prepare('SELECT * FROM trades WHERE exec_id = ?');
    this.insertStmt = db.prepare(`
      INSERT INTO trades (exec_id, exec_base, position_id, symbol, side, quantity, price, commission, purpose, exit_reason, order_ref,
        order_id, perm_id, client_id, agent_name, trading_day, executed_at, recorded_at)
      VALUES (@execId, @execBase, @positionId, @symbol, @side, @quantity, @price, @commission, @purpose, @exitReason, @orderRef,
        @orderId, @permId, @clientId, @agentName, @tradingDay, @executedAt, @recordedAt)
      ON CONFLICT DO NOTHING`);
    this.totalsStmt = db.prepare(`
      SELECT COALESCE(SUM(quantity), 0) AS quantity, COALESCE(SUM(quantity * price), 0) AS notional,
             COALESCE(SUM(commission), 0) AS commission
      FROM trades WHERE position_id = ? AND purpose = ?`);
    this.byPositionStmt = db.prepare('SELECT * FROM trades WHERE position_id = ? ORDER BY executed_at, id');
    this.byDayStmt = db.prepare('SELECT * FROM trades WHERE trading_day = ? ORDER BY executed_at, id');
    this.setCommissionStmt = db.prepare('UPDATE trades SET commission = ? WHERE exec_id = ? AND commission IS NULL');
    this.lastExecutedStmt = db.prepare('SELECT MAX(executed_at) FROM trades').pluck();
    this.recordedSinceStmt = db.prepare('SELECT exec_id FROM trades WHERE symbol = ? AND recorded_at >= ?').pluck();
    this.byBaseStmt = db.prepare('SELECT * FROM trades WHERE exec_base = ?');
    this.correctStmt = db.prepare('UPDATE trades SET exec_id = ?, price = ?, corrections = corrections + 1 WHERE id = ?');
    this.lastForPositionStmt = db.prepare('SELECT MAX(executed_at) FROM trades WHERE position_id = ?').pluck();
    this.firstSideStmt = db.prepare('SELECT side FROM trades WHERE position_id = ? AND purpose = ? ORDER BY executed_at, id LIMIT 1').pluck();
  }

  /** The booked version of an execution (any version), by IB's execution id without its correction suffix. */
  getByBase(execBase: string): TradeRow | undefined {
    return this.byBaseStmt.get(execBase) as TradeRow | undefined;
  }

  /** A correction replaces the booked report: new id, new price; quantity never changes. */
  correct(tradeId: number, execId: string, price: number): void {
    this.correctStmt.run(execId, price, tradeId);
  }

  /** Market time (ISO) of the position's latest booked fill. */
  lastExecutedFor(positionId: string): string | undefined {
    return (this.lastForPositionStmt.get(positionId) as string | null) ?? undefined;
  }

  firstSide(positionId: string, purpose: TradePurpose): 'BUY' | 'SELL' | undefined {
    return this.firstSideStmt.get(positionId, purpose) as 'BUY' | 'SELL' | undefined;
  }

  /** Exec ids of the symbol's fills recorded at or after `sinceIso` (clock time): what a broker snapshot taken then may not show. */
  execIdsRecordedSince(symbol: string, sinceIso: string): string[] {
    return this.recordedSinceStmt.all(symbol, sinceIso) as string[];
  }

  /** True when this execution, or a later correction of it, is booked (an earlier version does not count). */
  hasExecution(execId: string): boolean {
    if (this.hasStmt.get(execId) !== undefined) return true;
    const booked = this.getByBase(executionBase(execId));
    return booked !== undefined && executionVersion(booked.exec_id) >= executionVersion(execId);
  }

  getByExecId(execId: string): TradeRow | undefined {
    return this.byExecStmt.get(execId) as TradeRow | undefined;
  }

  /** Returns true when the row was inserted, false when the exec id was already booked. */
  insert(input: {
    execution: ExecutionRecord;
    positionId: string | null;
    purpose: TradePurpose;
    exitReason?: string | null;
    agentName?: string | null;
    tradingDay: TradingDay;
    recordedAtMs: number;
  }): boolean {
    const e = input.execution;
    return (
      this.insertStmt.run({
        execId: e.execId,
        execBase: executionBase(e.execId),
        positionId: input.positionId,
        symbol: e.symbol,
        side: e.side,
        quantity: e.quantity,
        price: e.price,
        commission: e.commission ?? null,
        purpose: input.purpose,
        exitReason: input.exitReason ?? null,
        orderRef: e.orderRef ?? null,
        orderId: e.orderId ?? null,
        permId: e.permId ?? null,
        clientId: e.clientId ?? null,
        agentName: input.agentName ?? null,
        tradingDay: input.tradingDay,
        executedAt: isoTime(e.executedAtMs),
        recordedAt: isoTime(input.recordedAtMs),
      }).changes === 1
    );
  }

  totalsFor(positionId: string, purpose: TradePurpose): PositionFillTotals {
    return this.totalsStmt.get(positionId, purpose) as PositionFillTotals;
  }

  /** Books a commission that arrived after its execution; true when it changed a row. */
  setCommission(execId: string, commission: number): boolean {
    return this.setCommissionStmt.run(commission, execId).changes === 1;
  }

  getByPosition(positionId: string): TradeRow[] {
    return this.byPositionStmt.all(positionId) as TradeRow[];
  }

  getByTradingDay(tradingDay: TradingDay): TradeRow[] {
    return this.byDayStmt.all(tradingDay) as TradeRow[];
  }

  /** Market time of the newest booked execution (ISO), the start point of reqExecutions after a reconnect. */
  lastExecutedAt(): string | undefined {
    return (this.lastExecutedStmt.get() as string | null) ?? undefined;
  }
}
