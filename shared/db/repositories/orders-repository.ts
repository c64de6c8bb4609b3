import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import type { TradingDay } from '../../time/trading-calendar';
import { isoTime } from '../types';

/** PENDING_SUBMIT: written, maybe sent (a crash here means "look it up at the broker by order_ref"). */
export type OrderRecordStatus = 'PENDING_SUBMIT' | 'SUBMITTED' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELLED' | 'REJECTED' | 'UNKNOWN';
export const TERMINAL_ORDER_STATUSES: readonly OrderRecordStatus[] = ['FILLED', 'CANCELLED', 'REJECTED'];

export type OrderPurpose = 'ENTRY' | 'STOP_LOSS' | 'PROFIT_TARGET' | 'EXIT' | 'LIQUIDATION';

export interface OrderRecord {
  orderRef: string;
  positionId: string | null;
  symbol: string;
  side: 'BUY' | 'SELL';
  orderType: string;
  quantity: number;
  limitPrice: number | null;
  stopPrice: number | null;
  trailingPct: number | null;
  tif: string;
  ocaGroup: string | null;
  purpose: OrderPurpose;
  clientId: number;
  brokerOrderId: number | null;
  permId: number | null;
  status: OrderRecordStatus;
  filledQuantity: number;
  avgFillPrice: number | null;
  lastError: string | null;
  app: string;
  tradingDay: TradingDay;
  createdAt: string;
  updatedAt: string;
}

interface OrderRow {
  order_ref: string; position_id: string | null; symbol: string; side: 'BUY' | 'SELL'; order_type: string; quantity: number;
  limit_price: number | null; stop_price: number | null; trailing_pct: number | null; tif: string; oca_group: string | null;
  purpose: OrderPurpose; client_id: number; broker_order_id: number | null; perm_id: number | null; status: OrderRecordStatus;
  filled_quantity: number; avg_fill_price: number | null; last_error: string | null; app: string; trading_day: string;
  created_at: string; updated_at: string;
}

function toOrder(r: OrderRow): OrderRecord {
  return {
    orderRef: r.order_ref, positionId: r.position_id, symbol: r.symbol, side: r.side, orderType: r.order_type, quantity: r.quantity,
    limitPrice: r.limit_price, stopPrice: r.stop_price, trailingPct: r.trailing_pct, tif: r.tif, ocaGroup: r.oca_group,
    purpose: r.purpose, clientId: r.client_id, brokerOrderId: r.broker_order_id, permId: r.perm_id, status: r.status,
    filledQuantity: r.filled_quantity, avgFillPrice: r.avg_fill_price, lastError: r.last_error, app: r.app,
    tradingDay: r.trading_day, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export type NewOrderIntent = Pick<OrderRecord, 'orderRef' | 'positionId' | 'symbol' | 'side' | 'orderType' | 'quantity' |
  'purpose' | 'clientId' | 'app' | 'tradingDay'> & Partial<Pick<OrderRecord, 'limitPrice' | 'stopPrice' | 'trailingPct' | 'tif' | 'ocaGroup'>>;

/** `orders`: every order we send, with our orderRef as the idempotency key. */
export class OrdersRepository {
  private readonly insertStmt: Database.Statement;
  private readonly byRefStmt: Database.Statement<[string]>;
  private readonly byPositionStmt: Database.Statement<[string]>;
  private readonly openStmt: Database.Statement<[]>;
  private readonly submittedStmt: Database.Statement;
  private readonly statusStmt: Database.Statement;
  private readonly byBrokerIdStmt: Database.Statement<[number, number]>;

  constructor(db: Database.Database, private readonly clock: Clock) {
    this.insertStmt = db.prepare(`
      INSERT INTO orders (order_ref, position_id, symbol, side, order_type, quantity, limit_price, stop_price, trailing_pct,
        tif, oca_group, purpose, client_id, status, app, trading_day, created_at, updated_at)
      VALUES (@orderRef, @positionId, @symbol, @side, @orderType, @quantity, @limitPrice, @stopPrice, @trailingPct,
        @tif, @ocaGroup, @purpose, @clientId, 'PENDING_SUBMIT', @app, @tradingDay, @now, @now)
      ON CONFLICT (order_ref) DO NOTHING`);
    this.byRefStmt = db.prepare('SELECT * FROM orders WHERE order_ref = ?');
    this.byPositionStmt = db.prepare('SELECT * FROM orders WHERE position_id = ? ORDER BY created_at');
    this.openStmt = db.prepare("SELECT * FROM orders WHERE status IN ('PENDING_SUBMIT','SUBMITTED','PARTIALLY_FILLED','UNKNOWN') ORDER BY created_at");
    this.submittedStmt = db.prepare(`UPDATE orders SET broker_order_id = @brokerOrderId, perm_id = COALESCE(@permId, perm_id),
      status = CASE WHEN status = 'PENDING_SUBMIT' THEN 'SUBMITTED' ELSE status END, updated_at = @now WHERE order_ref = @orderRef`);
    this.statusStmt = db.prepare(`UPDATE orders SET status = @status, filled_quantity = COALESCE(@filledQuantity, filled_quantity),
      avg_fill_price = COALESCE(@avgFillPrice, avg_fill_price), last_error = COALESCE(@lastError, last_error),
      perm_id = COALESCE(@permId, perm_id), updated_at = @now
      WHERE order_ref = @orderRef AND status NOT IN ('FILLED','CANCELLED','REJECTED')`);
    this.byBrokerIdStmt = db.prepare('SELECT * FROM orders WHERE client_id = ? AND broker_order_id = ? ORDER BY created_at DESC LIMIT 1');
  }

  /** Writes the intent before the order is sent. Returns false when the ref exists (never send twice). */
  recordIntent(intent: NewOrderIntent): boolean {
    return (
      this.insertStmt.run({
        limitPrice: null, stopPrice: null, trailingPct: null, tif: 'DAY', ocaGroup: null,
        ...intent,
        now: isoTime(this.clock.now()),
      }).changes === 1
    );
  }

  markSubmitted(orderRef: string, brokerOrderId: number, permId?: number): void {
    this.submittedStmt.run({ orderRef, brokerOrderId, permId: permId ?? null, now: isoTime(this.clock.now()) });
  }

  /** Terminal statuses are final: a late 'Submitted' can never resurrect a filled or cancelled order. */
  updateStatus(orderRef: string, update: { status: OrderRecordStatus; filledQuantity?: number; avgFillPrice?: number; lastError?: string; permId?: number }): boolean {
    return (
      this.statusStmt.run({
        orderRef,
        status: update.status,
        filledQuantity: update.filledQuantity ?? null,
        avgFillPrice: update.avgFillPrice ?? null,
        lastError: update.lastError ?? null,
        permId: update.permId ?? null,
        now: isoTime(this.clock.now()),
      }).changes === 1
    );
  }

  getByRef(orderRef: string): OrderRecord | undefined {
    const row = this.byRefStmt.get(orderRef) as OrderRow | undefined;
    return row ? toOrder(row) : undefined;
  }

  getByBrokerId(clientId: number, brokerOrderId: number): OrderRecord | undefined {
    const row = this.byBrokerIdStmt.get(clientId, brokerOrderId) as OrderRow | undefined;
    return row ? toOrder(row) : undefined;
  }

  getByPosition(positionId: string): OrderRecord[] {
    return (this.byPositionStmt.all(positionId) as OrderRow[]).map(toOrder);
  }

  getOpen(): OrderRecord[] {
    return (this.openStmt.all() as OrderRow[]).map(toOrder);
  }
}
