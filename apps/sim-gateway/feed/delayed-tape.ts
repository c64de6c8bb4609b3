import type { MarketSnapshot } from '../engine/types';

/** IB's delayed data for US stocks is 15 minutes behind (TWS API "Delayed Streaming Data": 10-15 minutes). */
export const DELAY_MS = 15 * 60_000;

/** A frozen copy of a symbol's state after one trade. */
export type TapeEntry = Readonly<MarketSnapshot>;

interface SymbolTape {
  entries: TapeEntry[];
  /** Index of the oldest entry still needed; entries before it are dead and compacted away now and then. */
  start: number;
}

/** Compact a tape once this many dead entries pile up at its head. */
const COMPACT_AFTER = 1_024;

/**
 * What the market looked like a while ago: per symbol, a copy of the state after each trade, in MARKET
 * time, kept for `DELAY_MS` plus the one entry just before that window (the state at its start).
 * `at(symbol, t)` is the state as of market time t; before the tape reaches back to t it answers the
 * oldest state it knows.
 */
export class DelayedTape {
  private readonly tapes = new Map<string, SymbolTape>();

  constructor(private readonly keepMs = DELAY_MS) {}

  /** Records the state after a trade (a copy: the feed mutates one snapshot object per symbol). */
  record(snapshot: MarketSnapshot): TapeEntry {
    let tape = this.tapes.get(snapshot.symbol);
    if (!tape) {
      tape = { entries: [], start: 0 };
      this.tapes.set(snapshot.symbol, tape);
    }
    const entries = tape.entries;
    // Each entry is the state after everything before it, in the order the feed applied it. An admin price
    // jump is stamped with the clock, a trade played in the next step can carry an earlier stamp: keep the
    // order (and lookups sorted) by never going back in time.
    const lastMs = entries.length > tape.start ? entries[entries.length - 1]!.timeMs : -Infinity;
    const entry: TapeEntry = { ...snapshot, timeMs: Math.max(snapshot.timeMs, lastMs) };
    entries.push(entry);
    const cutoffMs = entry.timeMs - this.keepMs;
    while (tape.start + 1 < entries.length && entries[tape.start + 1]!.timeMs <= cutoffMs) tape.start += 1;
    if (tape.start >= COMPACT_AFTER && tape.start * 2 >= entries.length) {
      tape.entries = entries.slice(tape.start);
      tape.start = 0;
    }
    return entry;
  }

  /** The state as of market time `timeMs`: the last entry at or before it, else the oldest known; undefined if none. */
  at(symbol: string, timeMs: number): TapeEntry | undefined {
    const tape = this.tapes.get(symbol);
    if (!tape || tape.entries.length === tape.start) return undefined;
    const entries = tape.entries;
    let low = tape.start;
    let high = entries.length - 1;
    if (entries[low]!.timeMs > timeMs) return entries[low];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (entries[middle]!.timeMs <= timeMs) low = middle;
      else high = middle - 1;
    }
    return entries[low];
  }

  /** Entries held for a symbol (tests and memory checks). */
  size(symbol: string): number {
    const tape = this.tapes.get(symbol);
    return tape ? tape.entries.length - tape.start : 0;
  }
}
