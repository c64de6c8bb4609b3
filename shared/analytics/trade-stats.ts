import { finiteOrNull, meanOrNull, medianInPlaceOrNull, ratio } from './numbers';
import { exitOrderColumns, type ClosedTradeInput, type TradeColumns } from './trade-columns';

/** Round-trip statistics, pyfolio conventions (see conventions.ts). */

/** What the trade metrics need of a closed round trip. */
// The trade as the statistics read it lives with the columns it is read into (trade-columns.ts, below this file).
export type { ClosedTradeInput } from './trade-columns';

export interface TradeStats {
  trades: number;
  wins: number;
  losses: number;
  breakeven: number;
  /** wins / trades; null without trades. */
  winRate: number | null;
  grossProfit: number;
  /** Sum of losing P&L (≤ 0). */
  grossLoss: number;
  netProfit: number;
  commissions: number;
  /** grossProfit / |grossLoss|; null without trades or without a losing trade. */
  profitFactor: number | null;
  averageTrade: number | null;
  averageWin: number | null;
  /** Negative. */
  averageLoss: number | null;
  payoffRatio: number | null;
  largestWin: number | null;
  /** Negative. */
  largestLoss: number | null;
  longestWinningStreak: number;
  longestLosingStreak: number;
  averageHoldingMinutes: number | null;
  medianHoldingMinutes: number | null;
  longestHoldingMinutes: number | null;
}

/** Streaks need exit order; callers usually pass trades sorted already (the repository does). */
export function inExitOrder<T extends ClosedTradeInput>(trades: readonly T[]): readonly T[] {
  for (let i = 1; i < trades.length; i++) {
    if (trades[i]!.exitTimeMs < trades[i - 1]!.exitTimeMs) return [...trades].sort((a, b) => a.exitTimeMs - b.exitTimeMs);
  }
  return trades;
}

export function computeTradeStats(input: readonly ClosedTradeInput[]): TradeStats {
  return tradeStatsOfColumns(exitOrderColumns(input));
}

/** computeTradeStats of trades already in columns, in exit order (see trade-columns.ts). */
export function tradeStatsOfColumns(trades: TradeColumns): TradeStats {
  const n = trades.length;
  // A typed array: the median of 100,000 holding times is picked in place (a quickselect), without a copy or a comparator.
  const holdingMinutes = new Float64Array(n);
  const { wins, losses, breakeven, grossProfit, grossLoss, commissions, largestWin, largestLoss, longestWinningStreak, longestLosingStreak, held, longestHolding } =
    sumTrades(trades, holdingMinutes);
  const holding = holdingMinutes.subarray(0, held);
  const averageWin = wins > 0 ? grossProfit / wins : null;
  const averageLoss = losses > 0 ? grossLoss / losses : null;
  // The mean first: it sums in trade order (as it always has); the median then reorders the array.
  const averageHoldingMinutes = meanOrNull(holding);
  return {
    trades: n,
    wins,
    losses,
    breakeven,
    winRate: n > 0 ? wins / n : null,
    grossProfit,
    grossLoss,
    netProfit: grossProfit + grossLoss,
    commissions,
    profitFactor: n === 0 || losses === 0 ? null : ratio(grossProfit, Math.abs(grossLoss)),
    averageTrade: n > 0 ? finiteOrNull((grossProfit + grossLoss) / n) : null,
    averageWin,
    averageLoss,
    payoffRatio: averageWin !== null && averageLoss !== null ? ratio(averageWin, Math.abs(averageLoss)) : null,
    largestWin,
    largestLoss,
    longestWinningStreak,
    longestLosingStreak,
    averageHoldingMinutes,
    medianHoldingMinutes: medianInPlaceOrNull(holding),
    longestHoldingMinutes: longestHolding,
  };
}

interface TradeSums {
  wins: number;
  losses: number;
  breakeven: number;
  grossProfit: number;
  grossLoss: number;
  commissions: number;
  largestWin: number | null;
  largestLoss: number | null;
  longestWinningStreak: number;
  longestLosingStreak: number;
  /** Holding times written to the array (trades with finite times). */
  held: number;
  longestHolding: number | null;
}

/**
 * One pass over the trades in exit order. The loop has a function of its own: V8 compiles a long loop while it
 * runs, and code after it in the same function, not yet run at that point, would throw that compiled loop away
 * on every call (the loop then runs unoptimized, boxing every number).
 */
function sumTrades(trades: TradeColumns, holdingMinutes: Float64Array): TradeSums {
  const n = trades.length;
  const { realizedPnl, commission, entryTimeMs, exitTimeMs } = trades;
  let wins = 0, losses = 0, breakeven = 0, grossProfit = 0, grossLoss = 0, commissions = 0;
  let largestWin: number | null = null;
  let largestLoss: number | null = null;
  let winStreak = 0, lossStreak = 0, longestWinningStreak = 0, longestLosingStreak = 0;
  let held = 0;
  let longestHolding: number | null = null;
  for (let i = 0; i < n; i++) {
    const pnl = realizedPnl[i]!;
    commissions += commission[i]!;
    if (pnl > 0) {
      wins++;
      grossProfit += pnl;
      if (largestWin === null || pnl > largestWin) largestWin = pnl;
      winStreak++;
      lossStreak = 0;
    } else if (pnl < 0) {
      losses++;
      grossLoss += pnl;
      if (largestLoss === null || pnl < largestLoss) largestLoss = pnl;
      lossStreak++;
      winStreak = 0;
    } else {
      breakeven++;
      winStreak = 0;
      lossStreak = 0;
    }
    if (winStreak > longestWinningStreak) longestWinningStreak = winStreak;
    if (lossStreak > longestLosingStreak) longestLosingStreak = lossStreak;
    const minutes = (exitTimeMs[i]! - entryTimeMs[i]!) / 60_000;
    if (Number.isFinite(minutes)) {
      const m = Math.max(0, minutes);
      holdingMinutes[held++] = m;
      if (longestHolding === null || m > longestHolding) longestHolding = m;
    }
  }
  return { wins, losses, breakeven, grossProfit, grossLoss, commissions, largestWin, largestLoss, longestWinningStreak, longestLosingStreak, held, longestHolding };
}

export interface BreakdownRow {
  key: string;
  trades: number;
  wins: number;
  losses: number;
  winRate: number | null;
  netProfit: number;
  grossProfit: number;
  grossLoss: number;
  profitFactor: number | null;
  averageTrade: number | null;
  /** null without a winning trade. */
  averageWin: number | null;
  /** Negative; null without a losing trade. */
  averageLoss: number | null;
  averageHoldingMinutes: number | null;
}

/** Per-symbol (or per-agent) figures, best net profit first, ties by key. */
export function breakdownBy(trades: readonly ClosedTradeInput[], keyOf: (t: ClosedTradeInput) => string): BreakdownRow[] {
  const groups = new Map<string, { trades: number; wins: number; losses: number; grossProfit: number; grossLoss: number; heldMinutes: number }>();
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const key = keyOf(t);
    let g = groups.get(key);
    if (!g) {
      g = { trades: 0, wins: 0, losses: 0, grossProfit: 0, grossLoss: 0, heldMinutes: 0 };
      groups.set(key, g);
    }
    g.trades++;
    if (t.realizedPnl > 0) {
      g.wins++;
      g.grossProfit += t.realizedPnl;
    } else if (t.realizedPnl < 0) {
      g.losses++;
      g.grossLoss += t.realizedPnl;
    }
    g.heldMinutes += Math.max(0, (t.exitTimeMs - t.entryTimeMs) / 60_000);
  }
  return [...groups.entries()]
    .map(([key, g]) => ({
      key,
      trades: g.trades,
      wins: g.wins,
      losses: g.losses,
      winRate: g.wins / g.trades,
      netProfit: g.grossProfit + g.grossLoss,
      grossProfit: g.grossProfit,
      grossLoss: g.grossLoss,
      profitFactor: g.losses === 0 ? null : ratio(g.grossProfit, Math.abs(g.grossLoss)),
      averageTrade: (g.grossProfit + g.grossLoss) / g.trades,
      averageWin: g.wins > 0 ? g.grossProfit / g.wins : null,
      averageLoss: g.losses > 0 ? g.grossLoss / g.losses : null,
      averageHoldingMinutes: finiteOrNull(g.heldMinutes / g.trades),
    }))
    .sort((a, b) => b.netProfit - a.netProfit || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Fraction of regular-session time with at least one position open: the union of the holding intervals,
 * divided by `sessionMinutesTotal`; capped at 1; null without session time.
 *
 * A sweep over the sorted starts and the sorted ends (two typed arrays, no comparator) finds the same blocks of
 * overlapping intervals as merging intervals sorted by start: a block closes when every interval started so far
 * has ended before the next start (a start equal to an end joins the block). Covered time adds up block by
 * block in the same order, so the figure is the same to the last bit.
 */
export function timeInMarket(trades: readonly ClosedTradeInput[], sessionMinutesTotal: number): number | null {
  if (sessionMinutesTotal <= 0) return null;
  const entryTimeMs = new Float64Array(trades.length);
  const exitTimeMs = new Float64Array(trades.length);
  for (let i = 0; i < trades.length; i++) {
    entryTimeMs[i] = trades[i]!.entryTimeMs;
    exitTimeMs[i] = trades[i]!.exitTimeMs;
  }
  return timeInMarketOfColumns({ length: trades.length, entryTimeMs, exitTimeMs }, sessionMinutesTotal);
}

/** timeInMarket of trades in columns (exit order saves sorting the ends). */
export function timeInMarketOfColumns(trades: Pick<TradeColumns, 'length' | 'entryTimeMs' | 'exitTimeMs'>, sessionMinutesTotal: number): number | null {
  if (sessionMinutesTotal <= 0) return null;
  if (trades.length === 0) return 0;
  const starts = new Float64Array(trades.length);
  const ends = new Float64Array(trades.length);
  const n = holdingIntervals(trades, starts, ends);
  // Trades in exit order (computePerformance passes them so) have their ends sorted already.
  const covered = coveredMs(sortInPlace(starts.subarray(0, n)), sortInPlace(ends.subarray(0, n)));
  return Math.min(1, covered / 60_000 / sessionMinutesTotal);
}

/** The finite holding intervals [entry, max(entry, exit)] into starts and ends; returns how many. */
function holdingIntervals(trades: Pick<TradeColumns, 'length' | 'entryTimeMs' | 'exitTimeMs'>, starts: Float64Array, ends: Float64Array): number {
  const { entryTimeMs, exitTimeMs } = trades;
  let n = 0;
  for (let k = 0; k < trades.length; k++) {
    const entry = entryTimeMs[k]!;
    const end = Math.max(entry, exitTimeMs[k]!);
    if (!Number.isFinite(entry) || !Number.isFinite(end)) continue;
    starts[n] = entry;
    ends[n] = end;
    n++;
  }
  return n;
}

/** Length of the union of the intervals, from their sorted starts and sorted ends. */
function coveredMs(sortedStarts: Float64Array, sortedEnds: Float64Array): number {
  const n = sortedStarts.length;
  let covered = 0;
  let open = 0;
  let blockStart = 0;
  let i = 0;
  let j = 0;
  while (i < n) {
    if (sortedStarts[i]! <= sortedEnds[j]!) {
      if (open === 0) blockStart = sortedStarts[i]!;
      open++;
      i++;
    } else {
      open--;
      if (open === 0) covered += sortedEnds[j]! - blockStart;
      j++;
    }
  }
  // Every interval has started: the last block ends at the largest end.
  if (n > 0) covered += sortedEnds[n - 1]! - blockStart;
  return covered;
}

/** Insertion moves allowed per value before sortInPlace gives up on insertion and sorts the whole array. */
const INSERTION_MOVES_PER_VALUE = 8;

/**
 * Sorts finite values in place. In exit order the entries are a few places off at most (a trade entered before
 * the ones that exited while it was held), which an insertion sort puts right in one pass; values further off
 * than INSERTION_MOVES_PER_VALUE places on average go to the typed-array sort. Either way the values end up in
 * ascending order (0 and -0 may keep their order: the sweep treats them as equal and sums the same).
 */
function sortInPlace(values: Float64Array): Float64Array {
  let moves = values.length * INSERTION_MOVES_PER_VALUE;
  for (let i = 1; i < values.length; i++) {
    const value = values[i]!;
    if (!(value < values[i - 1]!)) continue;
    if (moves < 0) return values.sort();
    let j = i - 1;
    while (j >= 0 && values[j]! > value) {
      values[j + 1] = values[j]!;
      j--;
    }
    moves -= i - 1 - j;
    values[j + 1] = value;
  }
  return values;
}
