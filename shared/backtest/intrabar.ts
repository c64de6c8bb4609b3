import type { MinuteBar } from '../bars/day-bars';

/** One trade inside a minute bar, with the quote around it. */
export interface IntrabarTick {
  /** Milliseconds after the bar's start. */
  offsetMs: number;
  price: number;
  bid: number;
  ask: number;
}

/**
 * The path of trades inside a bar, when one is known: a bar says only open, high, low and close, so the engine
 * assumes the worst order (the stop first); given the path, orders fill where and when a real order would,
 * trade by trade. Meant for the parity check (the ticks and quotes sim-gateway played to the live system, derived
 * from the same bars and seed, so both sides fill on the same trades); no command supplies a path yet, so every
 * backtest today fills on the bar model (fill-model.ts).
 */
export interface IntrabarPath {
  ticks(symbol: string, bar: MinuteBar): readonly IntrabarTick[];
}

export type TickExit = { kind: 'STOP_LOSS' | 'PROFIT_TARGET'; price: number; offsetMs: number };

/**
 * The broker-side stop and target worked trade by trade (as the simulator matches them): the stop triggers on
 * a trade at or below it and sells at that moment's bid; the target sells at the bid once the bid reaches it.
 * Only trades at or after `fromOffsetMs` count (the pair is placed after the entry's fill).
 */
export function tickExit(ticks: readonly IntrabarTick[], levels: { stopPrice: number; targetPrice: number | undefined }, fromOffsetMs: number): TickExit | undefined {
  for (const tick of ticks) {
    if (tick.offsetMs < fromOffsetMs) continue;
    if (tick.price <= levels.stopPrice) return { kind: 'STOP_LOSS', price: tick.bid, offsetMs: tick.offsetMs };
    if (levels.targetPrice !== undefined && tick.bid >= levels.targetPrice) return { kind: 'PROFIT_TARGET', price: tick.bid, offsetMs: tick.offsetMs };
  }
  return undefined;
}

/** The first trade at or after an offset (the last one when the bar ended before it). */
export function tickAt(ticks: readonly IntrabarTick[], offsetMs: number): IntrabarTick | undefined {
  return ticks.find((t) => t.offsetMs >= offsetMs) ?? ticks[ticks.length - 1];
}
