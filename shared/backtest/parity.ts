/**
 * Parity: the trades of the full system on the simulator against the trades of the backtest on the same bars.
 * A trade matches when symbol, side, trading day, entry minute, exit minute and exit reason are equal (minutes
 * in New York time: a fill at 09:35:04 is the 09:35 minute). Every unmatched trade says why, from the other
 * side's records (the backtest's signals for a live trade it did not take, the live signals for the reverse).
 */
export interface ParityTrade {
  symbol: string;
  side: 'LONG';
  tradingDay: string;
  agentName: string;
  quantity: number;
  entryTimeMs: number;
  exitTimeMs: number;
  exitReason: string;
  entryPrice: number;
  exitPrice: number;
  realizedPnl: number;
}

export interface ParitySignal {
  tMs: number;
  symbol: string;
  decision: string;
  reason: string;
  score?: number;
}

export interface ParityPair {
  symbol: string;
  tradingDay: string;
  live: ParityTrade;
  backtest: ParityTrade;
  pnlDifference: number;
}

export interface ParityUnmatched {
  side: 'live_only' | 'backtest_only';
  trade: ParityTrade;
  /** The nearest trade of the same symbol and day on the other side, if any (then the difference is named). */
  counterpart?: ParityTrade;
  why: string;
}

export interface ParityReport {
  liveTrades: number;
  backtestTrades: number;
  matched: number;
  /** matched / (live + backtest - matched): every trade on either side that has no twin counts against it. */
  matchedShare: number;
  livePnl: number;
  backtestPnl: number;
  pnlDifference: number;
  /** |backtest - live| / |live| (null when live P&L is 0). */
  pnlDifferenceShare: number | null;
  /** P&L difference of the matched trades only (fill prices), and of the unmatched ones. */
  matchedPnlDifference: number;
  pairs: ParityPair[];
  unmatched: ParityUnmatched[];
}

const minuteOf = (ms: number) => Math.floor(ms / 60_000);

export function compareTrades(
  live: readonly ParityTrade[],
  backtest: readonly ParityTrade[],
  signals: { live: readonly ParitySignal[]; backtest: readonly ParitySignal[] } = { live: [], backtest: [] },
  formatTime: (ms: number) => string = (ms) => new Date(ms).toISOString().slice(11, 16),
): ParityReport {
  const remaining = [...backtest];
  const pairs: ParityPair[] = [];
  const liveLeft: ParityTrade[] = [];
  for (const l of live) {
    const i = remaining.findIndex((b) => sameTrade(l, b));
    if (i >= 0) {
      const b = remaining.splice(i, 1)[0]!;
      pairs.push({ symbol: l.symbol, tradingDay: l.tradingDay, live: l, backtest: b, pnlDifference: b.realizedPnl - l.realizedPnl });
    } else liveLeft.push(l);
  }
  const unmatched: ParityUnmatched[] = [];
  const used = new Set<ParityTrade>();
  for (const l of liveLeft) {
    const counterpart = nearest(l, remaining.filter((b) => !used.has(b)));
    if (counterpart) used.add(counterpart);
    unmatched.push({ side: 'live_only', trade: l, counterpart, why: counterpart ? difference(l, counterpart, formatTime) : `the backtest did not take it: ${signalWhy(signals.backtest, l, formatTime)}` });
  }
  for (const b of remaining) {
    if (used.has(b)) continue;
    unmatched.push({ side: 'backtest_only', trade: b, why: `the live system did not take it: ${signalWhy(signals.live, b, formatTime)}` });
  }
  const livePnl = round2(live.reduce((n, t) => n + t.realizedPnl, 0));
  const backtestPnl = round2(backtest.reduce((n, t) => n + t.realizedPnl, 0));
  const total = live.length + backtest.length - pairs.length;
  return {
    liveTrades: live.length,
    backtestTrades: backtest.length,
    matched: pairs.length,
    matchedShare: total === 0 ? 1 : pairs.length / total,
    livePnl,
    backtestPnl,
    pnlDifference: round2(backtestPnl - livePnl),
    pnlDifferenceShare: livePnl === 0 ? null : Math.abs(backtestPnl - livePnl) / Math.abs(livePnl),
    matchedPnlDifference: round2(pairs.reduce((n, p) => n + p.pnlDifference, 0)),
    pairs,
    unmatched,
  };
}

function sameTrade(a: ParityTrade, b: ParityTrade): boolean {
  return a.symbol === b.symbol && a.side === b.side && a.tradingDay === b.tradingDay && minuteOf(a.entryTimeMs) === minuteOf(b.entryTimeMs)
    && minuteOf(a.exitTimeMs) === minuteOf(b.exitTimeMs) && a.exitReason === b.exitReason;
}

function nearest(t: ParityTrade, others: readonly ParityTrade[]): ParityTrade | undefined {
  return others.filter((o) => o.symbol === t.symbol && o.tradingDay === t.tradingDay).sort((a, b) => Math.abs(a.entryTimeMs - t.entryTimeMs) - Math.abs(b.entryTimeMs - t.entryTimeMs))[0];
}

function difference(l: ParityTrade, b: ParityTrade, formatTime: (ms: number) => string): string {
  const parts: string[] = [];
  if (minuteOf(l.entryTimeMs) !== minuteOf(b.entryTimeMs)) parts.push(`entry minute live ${formatTime(l.entryTimeMs)}, backtest ${formatTime(b.entryTimeMs)}`);
  if (l.exitReason !== b.exitReason) parts.push(`exit live ${l.exitReason}, backtest ${b.exitReason}`);
  if (minuteOf(l.exitTimeMs) !== minuteOf(b.exitTimeMs)) parts.push(`exit minute live ${formatTime(l.exitTimeMs)}, backtest ${formatTime(b.exitTimeMs)}`);
  if (Math.abs(l.entryPrice - b.entryPrice) >= 0.005) parts.push(`entry price live ${l.entryPrice.toFixed(2)}, backtest ${b.entryPrice.toFixed(2)}`);
  return parts.join('; ') || 'same minutes and reason';
}

function signalWhy(signals: readonly ParitySignal[], t: ParityTrade, formatTime: (ms: number) => string): string {
  const before = signals.filter((s) => s.symbol === t.symbol && s.tMs <= t.entryTimeMs + 60_000 && s.tMs >= t.entryTimeMs - 30 * 60_000).sort((a, b) => b.tMs - a.tMs)[0];
  if (!before) return `${t.symbol} was not among its scanned candidates around ${formatTime(t.entryTimeMs)}`;
  return `${before.decision === 'TAKEN' ? 'taken but not filled or filled differently' : 'rejected'} at ${formatTime(before.tMs)}: ${before.reason}${before.score !== undefined ? ` (score ${before.score})` : ''}`;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
