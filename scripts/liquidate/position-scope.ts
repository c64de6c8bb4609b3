import type { BrokerOrder, BrokerPosition, OrderSide } from '../../shared/broker/types';
import type { ActivePosition } from '../../shared/db';
import { positionIdFromOrderRef } from '../../shared/db/ids';
import { LIQUIDATION_REF_PREFIX } from './liquidation-plan';

/**
 * Which broker positions the emergency button closes. An IB account holds more than the bots' trades: a
 * stock held for years, options on a symbol the bots trade, a stock in EUR, a share class ("BRK B"). By
 * default only what the bots hold (their `active_positions` rows) is closed; `--all-stock` closes every
 * US stock in USD; options, futures and other currencies are never traded by this tool.
 */

export interface Instrument {
  /** IB contract id; undefined when the broker did not say (treated as a US stock in USD). */
  conId: number | undefined;
  secType: string;
  currency: string;
  /** "NOVA", "NOVA 20270115 50 C (OPT)", "SAP (STK EUR)". */
  description: string;
}

/** Positions reported without instrument fields read as what the bots trade: a stock in USD. */
export function instrumentOf(position: BrokerPosition): Instrument {
  const p = position as BrokerPosition & { conId?: number; secType?: string; currency?: string; description?: string };
  const secType = p.secType || 'STK';
  const currency = p.currency || 'USD';
  return { conId: p.conId || undefined, secType, currency, description: p.description || (secType === 'STK' && currency === 'USD' ? p.symbol : `${p.symbol} (${secType} ${currency})`) };
}

export function isUsdStockPosition(position: BrokerPosition): boolean {
  const { secType, currency } = instrumentOf(position);
  return secType === 'STK' && currency === 'USD';
}

/** One key per instrument: the conId when known, else symbol + type + currency. */
export function positionKey(position: BrokerPosition): string {
  const { conId, secType, currency } = instrumentOf(position);
  return conId !== undefined ? `con:${conId}` : `${position.symbol}/${secType}/${currency}`;
}

/** Why a position is closed (in part or whole). */
export type CloseReason = 'bots' | 'all-stock' | 'db-unusable';

/** Why (part of) a position is left alone. */
export type KeepReason = 'not-usd-stock' | 'not-the-bots';

export interface ScopedPosition {
  key: string;
  symbol: string;
  instrument: Instrument;
  /** Signed units at the broker. */
  quantity: number;
  averageCost: number;
  /** Signed units this run closes (same sign as `quantity`, 0 for none). */
  closeQuantity: number;
  /** Signed units it leaves as they are. */
  keepQuantity: number;
  closeReason: CloseReason | undefined;
  keepReason: KeepReason | undefined;
  /** The bots' DB row for it, when there is one. */
  positionId: string | null;
}

export interface ScopeOptions {
  /** --all-stock: every US stock in USD, the bots' or not. */
  allStock: boolean;
  /** false: the DB could not be read, so nobody can tell which stocks are the bots': every USD stock is closed. */
  dbUsable: boolean;
}

/**
 * Splits the broker's positions into what this run closes and what it leaves. `previous` is the scope taken
 * before the orders were cancelled: for an instrument already judged, the part to leave stays what it was
 * (if a protective stop filled meanwhile, the bots' part shrank; the foreign shares must still be left).
 */
export function scopePositions(positions: readonly BrokerPosition[], rows: readonly ActivePosition[], options: ScopeOptions, previous?: readonly ScopedPosition[]): ScopedPosition[] {
  const before = new Map((previous ?? []).map((s) => [s.key, s]));
  return positions
    .filter((p) => p.quantity !== 0)
    .map((position) => {
      const judged = before.get(positionKey(position));
      return judged ? rescoped(position, judged) : scopeOne(position, rows, options);
    })
    .sort((a, b) => Number(b.closeQuantity !== 0) - Number(a.closeQuantity !== 0) || a.instrument.description.localeCompare(b.instrument.description));
}

function scopeOne(position: BrokerPosition, rows: readonly ActivePosition[], options: ScopeOptions): ScopedPosition {
  const instrument = instrumentOf(position);
  const base = { key: positionKey(position), symbol: position.symbol, instrument, quantity: position.quantity, averageCost: position.averageCost };
  const row = isUsdStockPosition(position) ? rowFor(position, instrument, rows) : undefined;
  const positionId = row?.id ?? null;
  if (!isUsdStockPosition(position)) return { ...base, closeQuantity: 0, keepQuantity: position.quantity, closeReason: undefined, keepReason: 'not-usd-stock', positionId };
  if (!options.dbUsable) return { ...base, closeQuantity: position.quantity, keepQuantity: 0, closeReason: 'db-unusable', keepReason: undefined, positionId };
  if (options.allStock) return { ...base, closeQuantity: position.quantity, keepQuantity: 0, closeReason: 'all-stock', keepReason: undefined, positionId };
  const bots = row ? botsShare(row, position.quantity) : 0;
  const keep = position.quantity - bots;
  return { ...base, closeQuantity: bots, keepQuantity: keep, closeReason: bots !== 0 ? 'bots' : undefined, keepReason: keep !== 0 ? 'not-the-bots' : undefined, positionId };
}

/** The same instrument, judged before: leave what was to be left, close the rest of what is there now. */
function rescoped(position: BrokerPosition, judged: ScopedPosition): ScopedPosition {
  const sign = Math.sign(position.quantity);
  const keepable = Math.sign(judged.keepQuantity) === sign ? Math.min(Math.abs(judged.keepQuantity), Math.abs(position.quantity)) : 0;
  const keep = judged.closeReason === undefined ? position.quantity : sign * keepable;
  const close = position.quantity - keep;
  return {
    ...judged, quantity: position.quantity, averageCost: position.averageCost, closeQuantity: close, keepQuantity: keep,
    closeReason: close !== 0 ? judged.closeReason : undefined, keepReason: keep !== 0 ? judged.keepReason ?? 'not-the-bots' : undefined,
  };
}

function rowFor(position: BrokerPosition, instrument: Instrument, rows: readonly ActivePosition[]): ActivePosition | undefined {
  return rows.find((row) => {
    if (row.symbol !== position.symbol) return false;
    const rowConId = (row as ActivePosition & { conId?: number | null }).conId;
    return !rowConId || instrument.conId === undefined || rowConId === instrument.conId;
  });
}

/**
 * The bots' part of a broker position: their row's shares (for an entry still in flight, up to what it asked
 * for), never more than the broker holds, and nothing when the row and the broker disagree on the side.
 */
function botsShare(row: ActivePosition, brokerQuantity: number): number {
  const sign = Math.sign(brokerQuantity);
  const rowSign = Math.sign(row.quantity) || 1;
  if (rowSign !== sign) return 0;
  // While the entry may still fill (pending, or its order still working), fills can be ahead of the row.
  const entryInFlight = row.status === 'PENDING_ENTRY' || (row as ActivePosition & { entryWorking?: boolean }).entryWorking === true;
  const botsShares = entryInFlight ? Math.max(Math.abs(row.quantity), Math.abs(row.requestedQuantity)) : Math.abs(row.quantity);
  return sign * Math.min(botsShares, Math.abs(brokerQuantity));
}

export interface ClosingOrder {
  key: string;
  symbol: string;
  conId: number | undefined;
  side: OrderSide;
  /** Shares to trade (unsigned). */
  quantity: number;
  /** The signed position at the broker. */
  brokerQuantity: number;
  positionId: string | null;
}

/** One order per position with something to close: opposite side, the part to close; sorted by symbol. */
export function closingOrdersFor(scope: readonly ScopedPosition[]): ClosingOrder[] {
  return scope
    .filter((s) => s.closeQuantity !== 0)
    .map((s) => ({
      key: s.key, symbol: s.symbol, conId: s.instrument.conId, side: s.closeQuantity > 0 ? ('SELL' as const) : ('BUY' as const), quantity: Math.abs(s.closeQuantity),
      brokerQuantity: s.quantity, positionId: s.positionId,
    }))
    .sort((a, b) => a.symbol.localeCompare(b.symbol));
}

/** Whose a working order is: the bots', an earlier liquidation's, or someone else's (TWS by hand, another program). */
export type OrderOwner = 'bots' | 'liquidation' | 'other';

export function orderOwner(order: BrokerOrder, botClientIds: ReadonlySet<number>): OrderOwner {
  if (order.orderRef.startsWith(LIQUIDATION_REF_PREFIX)) return 'liquidation';
  if (botClientIds.has(order.clientId) && positionIdFromOrderRef(order.orderRef) !== undefined) return 'bots';
  return 'other';
}
