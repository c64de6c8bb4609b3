import type { MinuteBar } from '../bars/day-bars';

/** One trade inside a minute bar, with the quote standing right after it. */
export interface IntrabarTick {
  /** Milliseconds after the bar's start. */
  offsetMs: number;
  price: number;
  bid: number;
  ask: number;
  /** Shares displayed at the bid / the ask with that quote (unknown: an order fills whole). */
  bidSize?: number;
  askSize?: number;
}

/**
 * The path of trades inside a bar, when one is known: a bar says only open, high, low and close, so the engine
 * assumes the worst order (the stop first); given the path, orders fill where and when a real order would,
 * trade by trade. The parity command supplies the ticks and quotes sim-gateway plays to the live system
 * (scripts/backtest/sim-intrabar-path.ts, from the same market model and the same ticks per bar), so both sides
 * fill on the same trades; every other backtest fills on the bar model (fill-model.ts).
 *
 * The functions below follow sim-gateway's matching (apps/sim-gateway/engine/order-matching.ts, broker-engine.ts),
 * the reference for parity: an order is matched against the quote standing when it arrives, then again on every
 * trade; a buy takes the ask, a sell the bid, at most the size displayed there per trade.
 */
export interface IntrabarPath {
  ticks(symbol: string, bar: MinuteBar): readonly IntrabarTick[];
}

export type ExitLeg = 'STOP_LOSS' | 'PROFIT_TARGET';

export interface TickSale {
  leg: ExitLeg;
  shares: number;
  price: number;
  offsetMs: number;
}

export interface ProtectiveLegs {
  stopPrice: number;
  targetPrice: number | undefined;
  /** The stop triggered in an earlier bar: it is a market order now. */
  stopTriggered: boolean;
}

/**
 * The broker-side stop and target (an OCA pair that reduces its sibling) worked trade by trade over a bar, as
 * the simulator matches them: the stop triggers on a trade at or below it and from then on sells at the bid like
 * a market order; the target sells at the bid whenever the bid is at or above it. Each trade's bid size is shared,
 * the stop first (it is placed first, so the simulator matches it first). Trades before `fromOffsetMs` do not
 * count (the pair is placed when the entry fills: its first match is against the quote the entry filled on).
 */
export function tickExits(ticks: readonly IntrabarTick[], legs: ProtectiveLegs, shares: number, fromOffsetMs: number): { sales: TickSale[]; stopTriggered: boolean } {
  const sales: TickSale[] = [];
  let stopTriggered = legs.stopTriggered;
  let left = shares;
  for (const tick of ticks) {
    if (left <= 0) break;
    if (tick.offsetMs < fromOffsetMs) continue;
    let displayed = tick.bidSize ?? left;
    if (!stopTriggered && tick.price <= legs.stopPrice) stopTriggered = true;
    if (stopTriggered) {
      const sold = Math.min(left, displayed);
      if (sold > 0) sales.push({ leg: 'STOP_LOSS', shares: sold, price: tick.bid, offsetMs: tick.offsetMs });
      left -= sold;
      displayed -= sold;
    }
    if (left > 0 && displayed > 0 && legs.targetPrice !== undefined && tick.bid >= legs.targetPrice) {
      const sold = Math.min(left, displayed);
      sales.push({ leg: 'PROFIT_TARGET', shares: sold, price: tick.bid, offsetMs: tick.offsetMs });
      left -= sold;
    }
  }
  return { sales, stopTriggered };
}

/** A market sell worked trade by trade: each trade's bid, at most its bid size, until all is sold. */
export function tickMarketSales(ticks: readonly IntrabarTick[], shares: number, fromOffsetMs: number): Array<{ shares: number; price: number; offsetMs: number }> {
  const sales: Array<{ shares: number; price: number; offsetMs: number }> = [];
  let left = shares;
  for (const tick of ticks) {
    if (left <= 0) break;
    if (tick.offsetMs < fromOffsetMs) continue;
    const sold = Math.min(left, tick.bidSize ?? left);
    sales.push({ shares: sold, price: tick.bid, offsetMs: tick.offsetMs });
    left -= sold;
  }
  return sales;
}

/**
 * The quote an order arriving `offsetMs` into the bar meets: the last trade at or before it (the simulator
 * matches a new order against the market as it stands). Before the bar's first trade the standing quote is the
 * previous bar's last one, which the path does not hold: the first trade of the bar stands in for it.
 */
export function tickAt(ticks: readonly IntrabarTick[], offsetMs: number): IntrabarTick | undefined {
  let standing: IntrabarTick | undefined;
  for (const tick of ticks) {
    if (tick.offsetMs > offsetMs) break;
    standing = tick;
  }
  return standing ?? ticks[0];
}
