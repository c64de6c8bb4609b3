import type { OrderRequest, OrderSide, Quote } from '../../shared/broker/types';
import { calendarDayInNewYork, nextTradingDay, sessionHours, type MarketPhase } from '../../shared/time/trading-calendar';
import type { ClosingOrder } from './position-scope';

/**
 * How positions can be closed at this hour. IB executes market orders only in regular hours (09:30-16:00
 * ET): one sent in the pre-market or after-hours session waits at the broker for the next open. Outside
 * regular hours only limit orders with outsideRth=true trade, so the liquidation sends MARKETABLE limits
 * there: a sell a little below the bid, a buy a little above the ask (it fills at the best price available,
 * the limit only caps how far a thin market can run away). With the market closed (night, weekend, holiday)
 * nothing trades before the open: cancelling the protective orders then would leave the positions without
 * a stop for hours, so the liquidation refuses unless asked to queue for the open (--at-open).
 */
export type SessionPath =
  /** Regular hours: market orders, filled now. */
  | 'market-now'
  /** Pre-market or after-hours: marketable limit orders (outsideRth); a market order queued for the open where no quote came. */
  | 'extended-limit'
  /** Market closed and no --at-open: refuse and change nothing. */
  | 'refuse-closed'
  /** --at-open outside regular hours: DAY market orders that execute at the next open. */
  | 'at-open';

export function sessionPath(phase: MarketPhase, atOpen: boolean): SessionPath {
  if (phase === 'REGULAR') return 'market-now';
  if (atOpen) return 'at-open';
  return phase === 'CLOSED' ? 'refuse-closed' : 'extended-limit';
}

/** The next regular-session open strictly after `nowMs` (epoch ms). */
export function nextOpenMs(nowMs: number): number {
  let day = calendarDayInNewYork(nowMs);
  for (let i = 0; i < 30; i++) {
    const hours = sessionHours(day);
    if (hours && nowMs < hours.openMs) return hours.openMs;
    day = nextTradingDay(day);
  }
  throw new RangeError(`no trading day within 30 days of ${new Date(nowMs).toISOString()}`);
}

/** How far past the touch a marketable limit may go, in percent of the price (live quotes). */
export const LIMIT_MARGIN_PCT = 0.5;
/** With 15-minute delayed quotes the touch may have moved further: a wider cap. */
export const DELAYED_LIMIT_MARGIN_PCT = 2;

export interface LimitPricing {
  limitPrice: number;
  basis: 'bid' | 'ask';
  /** The bid (sell) or ask (buy) the limit was derived from. */
  quotePrice: number;
  marginPct: number;
  delayed: boolean;
}

/** Sell: bid − margin, rounded DOWN to the cent; buy: ask + margin, rounded UP. Undefined without that side of the quote. */
export function marketableLimit(side: OrderSide, quote: Pick<Quote, 'bid' | 'ask' | 'delayed'>): LimitPricing | undefined {
  const delayed = quote.delayed === true;
  const marginPct = delayed ? DELAYED_LIMIT_MARGIN_PCT : LIMIT_MARGIN_PCT;
  if (side === 'SELL') {
    const bid = quote.bid;
    if (bid === undefined || !(bid > 0)) return undefined;
    return { limitPrice: Math.max(0.01, toCents(bid * (1 - marginPct / 100), Math.floor)), basis: 'bid', quotePrice: bid, marginPct, delayed };
  }
  const ask = quote.ask;
  if (ask === undefined || !(ask > 0)) return undefined;
  return { limitPrice: toCents(ask * (1 + marginPct / 100), Math.ceil), basis: 'ask', quotePrice: ask, marginPct, delayed };
}

/** Rounds to the cent in the given direction, ignoring binary noise below 1/10000 of a cent. */
function toCents(price: number, direction: (x: number) => number): number {
  return direction(Math.round(price * 1_000_000) / 10_000) / 100;
}

export interface PlannedOrder extends ClosingOrder {
  type: 'MKT' | 'LMT';
  limitPrice: number | undefined;
  outsideRth: boolean;
  /** When it can execute: now, or at the next regular open (a DAY market order placed outside regular hours). */
  fillsAt: 'now' | 'open';
  pricing: LimitPricing | undefined;
  /** Why an order waits for the open although the path trades now (no quote). */
  fallback: string | undefined;
}

/** A two-sided quote for a symbol, or undefined when none came in time. */
export type QuoteSource = (symbol: string) => Promise<Quote | undefined>;

/** The order for each closing order on this path; quotes are asked for (in parallel) only outside regular hours. */
export async function planOrders(closing: readonly ClosingOrder[], path: SessionPath, quoteOf: QuoteSource, quoteTimeoutMs: number): Promise<PlannedOrder[]> {
  if (path === 'refuse-closed') return [];
  const market = (order: ClosingOrder, fillsAt: 'now' | 'open', fallback?: string): PlannedOrder => ({
    ...order, type: 'MKT', limitPrice: undefined, outsideRth: false, fillsAt, pricing: undefined, fallback,
  });
  if (path === 'market-now') return closing.map((o) => market(o, 'now'));
  if (path === 'at-open') return closing.map((o) => market(o, 'open'));
  return Promise.all(closing.map(async (order) => {
    const quote = await quoteOf(order.symbol);
    const pricing = quote ? marketableLimit(order.side, quote) : undefined;
    if (!pricing) {
      const seconds = Math.round(quoteTimeoutMs / 100) / 10;
      return market(order, 'open', quote ? `the quote had no ${order.side === 'SELL' ? 'bid' : 'ask'}` : `no quote within ${seconds} s`);
    }
    return { ...order, type: 'LMT' as const, limitPrice: pricing.limitPrice, outsideRth: true, fillsAt: 'now' as const, pricing, fallback: undefined };
  }));
}

export function orderRequestFor(planned: PlannedOrder, orderRef: string): OrderRequest {
  return {
    orderRef, symbol: planned.symbol, side: planned.side, quantity: planned.quantity, type: planned.type, tif: 'DAY',
    ...(planned.conId ? { conId: planned.conId } : {}),
    ...(planned.type === 'LMT' ? { limitPrice: planned.limitPrice, outsideRth: true } : {}),
  };
}

/** `SELL 100 MKT`, `SELL 100 LMT 51.22 outsideRth`. */
export function describePlanned(planned: PlannedOrder): string {
  return planned.type === 'LMT'
    ? `${planned.side} ${planned.quantity} LMT ${planned.limitPrice!.toFixed(2)} outsideRth`
    : `${planned.side} ${planned.quantity} MKT${planned.fillsAt === 'open' ? ' (DAY, at the open)' : ''}`;
}
