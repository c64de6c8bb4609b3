
/**
 * How orders fill inside one minute bar (the rules are listed in settings.ts). Pure functions of the bar, the
 * order and the quoted spread, so every case is computed by hand in the tests. Prices are on the cent grid:
 * buys pay half the spread above the relevant trade price, sells get half the spread below it, rounded against us.
 */
export interface FillBar {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface FillCosts {
  /** Full quoted spread in dollars (a multiple of a cent). */
  spread: number;
  slippageBps: number;
  participation: number;
  /** Seconds into the bar an entry reaches the market (0: at the open). */
  entryLatencySeconds?: number;
}

export interface Fill {
  quantity: number;
  price: number;
}

export type ExitKind = 'STOP_LOSS' | 'PROFIT_TARGET';

const up = (x: number) => Math.ceil(x * 100 - 1e-9) / 100;
const down = (x: number) => Math.floor(x * 100 + 1e-9) / 100;

/** Shares an order may take from this bar: `participation` of its volume, whole shares. */
export function barCapacity(bar: FillBar, participation: number): number {
  return Math.max(0, Math.floor(bar.volume * participation));
}

/** The trade price when an entry reaches the market: the open, or `entryLatencySeconds` along from open to close. */
export function entryTradePrice(bar: FillBar, costs: FillCosts): number {
  const along = Math.min(1, (costs.entryLatencySeconds ?? 0) / 60);
  return along > 0 ? Math.round((bar.open + (bar.close - bar.open) * along) * 100) / 100 : bar.open;
}

/**
 * A marketable buy at the bar's open (or `entryLatencySeconds` along from open to close): half the spread above
 * the trade price, plus slippage, rounded up to the cent (a trade prints anywhere between bid and ask: on
 * average half a spread from each; the rounding goes against us).
 */
export function buyPriceAtOpen(bar: FillBar, costs: FillCosts): number {
  return up((entryTradePrice(bar, costs) + costs.spread / 2) * (1 + costs.slippageBps / 10_000));
}

/** A marketable sell at a trade price: half the spread below it, less slippage, rounded down to the cent. */
export function sellPriceAt(tradePrice: number, costs: FillCosts): number {
  return down((tradePrice - costs.spread / 2) * (1 - costs.slippageBps / 10_000));
}

/**
 * The IOC entry: what fills at once at the bar's open (ask + slippage) if that is within the limit, at most
 * the bar's capacity; the rest is cancelled by the broker.
 */
export function fillEntry(bar: FillBar, order: { quantity: number; limitPrice: number }, costs: FillCosts): Fill {
  const price = buyPriceAtOpen(bar, costs);
  if (price > order.limitPrice + 1e-9) return { quantity: 0, price };
  return { quantity: Math.min(order.quantity, barCapacity(bar, costs.participation)), price };
}

/**
 * The broker-side stop and target of a long position in one bar. `entryBar`: the position was bought at this
 * bar's open, so its open is not a gap. Returns which leg fills and at what price, or undefined.
 */
export function protectiveExit(bar: FillBar, levels: { stopPrice: number; targetPrice: number | undefined }, costs: FillCosts, entryBar: boolean): { kind: ExitKind; price: number } | undefined {
  const { stopPrice, targetPrice } = levels;
  if (!entryBar) {
    // A gap: the first trade of the bar is already through a level; the order fills there, not at the level.
    if (bar.open <= stopPrice) return { kind: 'STOP_LOSS', price: sellPriceAt(bar.open, costs) };
    if (targetPrice !== undefined) {
      const bidAtOpen = sellPriceAt(bar.open, { ...costs, slippageBps: 0 });
      if (bidAtOpen >= targetPrice) return { kind: 'PROFIT_TARGET', price: bidAtOpen };
    }
  }
  const stopHit = bar.low <= stopPrice;
  const targetHit = targetPrice !== undefined && sellPriceAt(bar.high, { ...costs, slippageBps: 0 }) >= targetPrice;
  // Both inside one bar: the order of the trades is unknown; the stop is assumed first (the worse outcome).
  if (stopHit) return { kind: 'STOP_LOSS', price: sellPriceAt(Math.min(stopPrice, bar.open), costs) };
  if (targetHit) return { kind: 'PROFIT_TARGET', price: targetPrice! };
  return undefined;
}

/** A market sell at the bar's open (end of day, time exit, trailing stop, the rest of a partly filled exit). */
export function marketSellAtOpen(bar: FillBar, costs: FillCosts): number {
  return sellPriceAt(bar.open, costs);
}
