/**
 * IB paces historical data: at most 60 requests in any 10 minutes, no identical request within 15 seconds,
 * violations answered with error 162 (TWS API "Historical Data Limitations"). The day-trader keeps below
 * that on its own instead of finding out: a sliding window of request times, measured on the injected
 * clock (market time: the simulator's compressed day applies the same limits per market minute, and in
 * PAPER/LIVE market time is real time).
 */
export class HistoricalPacer {
  private readonly sentAtMs: number[] = [];
  private blockedUntilMs = 0;

  constructor(private readonly now: () => number, private readonly maxRequests = 50, private readonly windowMs = 10 * 60_000) {}

  /** True when one more request fits in the window now (and records it). */
  tryAcquire(): boolean {
    const nowMs = this.now();
    if (nowMs < this.blockedUntilMs) return false;
    while (this.sentAtMs.length > 0 && this.sentAtMs[0]! <= nowMs - this.windowMs) this.sentAtMs.shift();
    if (this.sentAtMs.length >= this.maxRequests) return false;
    this.sentAtMs.push(nowMs);
    return true;
  }

  /** IB said 162 anyway (another program on the same login uses the budget too): wait a whole window. */
  onPacingViolation(): void {
    this.blockedUntilMs = this.now() + this.windowMs;
  }

  get used(): number {
    return this.sentAtMs.length;
  }
}

/** Why a candidate was not measured when the pacing budget was used up (recorded with its signal). */
export const HISTORICAL_PACING_REASON = 'historical_data_pacing (IB allows 60 requests per 10 minutes; measured next scan)';

/** Intraday bars of a symbol are reused for this long (market ms) before being asked again: a new request would mostly repeat them. */
export const INTRADAY_BARS_TTL_MS = 5 * 60_000;
