import { BrokerRequestError } from '../../shared/broker/ib/pending-requests';
import type { BrokerPort } from '../../shared/broker/types';
import { dayBarsFrom } from '../../shared/bars/day-bars';
import type { BarStore } from '../../shared/db/bar-store/bar-store-repository';
import { errorMessage } from '../../shared/errors/errors';
import type { Clock } from '../../shared/time/clock';
import { calendarDayInNewYork, sessionHours, type TradingDay } from '../../shared/time/trading-calendar';

/**
 * IB's historical-data pacing for a bulk download (TWS API, "Historical Data Limitations"): at most 60
 * requests in any 10 minutes, no identical request within 15 seconds, at most 5 requests for the same
 * contract within 2 seconds. Measured on the injected clock (market time on the simulator's compressed day,
 * real time at IB). The budget defaults a little under IB's so another program on the same login has room.
 */
export interface PacingRules {
  maxRequests: number;
  windowMs: number;
  sameContractMax: number;
  sameContractWindowMs: number;
  /** Wait after a pacing violation (162) before asking again: a whole window. */
  violationBackoffMs: number;
}

export const IB_PACING: PacingRules = { maxRequests: 55, windowMs: 10 * 60_000, sameContractMax: 5, sameContractWindowMs: 2_000, violationBackoffMs: 10 * 60_000 };

export class DownloadPacer {
  private readonly sent: Array<{ atMs: number; symbol: string }> = [];
  private blockedUntilMs = 0;

  constructor(private readonly rules: PacingRules, private readonly now: () => number) {}

  /** Market ms to wait before a request for `symbol` may go (0: now). */
  waitFor(symbol: string): number {
    const nowMs = this.now();
    while (this.sent.length > 0 && this.sent[0]!.atMs <= nowMs - this.rules.windowMs) this.sent.shift();
    let wait = Math.max(0, this.blockedUntilMs - nowMs);
    if (this.sent.length >= this.rules.maxRequests) wait = Math.max(wait, this.sent[this.sent.length - this.rules.maxRequests]!.atMs + this.rules.windowMs - nowMs);
    const same = this.sent.filter((s) => s.symbol === symbol && s.atMs > nowMs - this.rules.sameContractWindowMs);
    if (same.length >= this.rules.sameContractMax) wait = Math.max(wait, same[same.length - this.rules.sameContractMax]!.atMs + this.rules.sameContractWindowMs - nowMs);
    return wait;
  }

  record(symbol: string): void {
    this.sent.push({ atMs: this.now(), symbol });
  }

  onViolation(): void {
    this.blockedUntilMs = this.now() + this.rules.violationBackoffMs;
  }
}

export interface DownloadSummary {
  symbols: string[];
  days: number;
  /** Symbol-days stored by this run. */
  stored: number;
  /** Already in the store (or known empty) before: not asked again. */
  skipped: number;
  /** Asked, and IB had no bars (the symbol did not trade, or is unknown to IB). */
  empty: number;
  failed: Array<{ symbol: string; tradingDay: string; error: string }>;
  requests: number;
  pacingViolations: number;
  /** Market seconds spent waiting for the pacing budget. */
  waitedSeconds: number;
  bars: number;
}

export interface DownloadOptions {
  broker: BrokerPort;
  store: BarStore;
  clock: Clock;
  symbols: readonly string[];
  days: readonly TradingDay[];
  rules?: PacingRules;
  /** Re-ask symbol-days that failed earlier (default: yes; days stored or known empty are never asked again). */
  retryFailed?: boolean;
  onProgress?: (done: number, total: number, note: string) => void;
  /** Real ms to sleep for `marketMs` of pacing wait (the clock may be compressed). */
  sleep?: (marketMs: number) => Promise<void>;
}

/**
 * `npm run bars -- download`: minute bars of every symbol-day (extended hours included: useRth 0), one
 * request per symbol and day ('1 min', '1 D', ending at that day's after-hours close), paced like IB wants,
 * stored as each answer comes (resume: a second run asks only what is not stored yet). Days are walked
 * symbol by symbol interleaved, so consecutive requests rarely hit the same contract.
 */
export async function downloadBars(options: DownloadOptions): Promise<DownloadSummary> {
  const rules = options.rules ?? IB_PACING;
  const pacer = new DownloadPacer(rules, () => options.clock.now());
  const sleep = options.sleep ?? ((marketMs: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(1, marketMs / options.clock.speed))));
  const summary: DownloadSummary = { symbols: [...options.symbols], days: options.days.length, stored: 0, skipped: 0, empty: 0, failed: [], requests: 0, pacingViolations: 0, waitedSeconds: 0, bars: 0 };
  const work: Array<{ symbol: string; day: TradingDay }> = [];
  for (const day of options.days) {
    for (const symbol of options.symbols) {
      const previous = options.store.request(symbol, day);
      if (options.store.hasDay(symbol, day) || previous?.status === 'done' || previous?.status === 'empty' || (previous?.status === 'failed' && options.retryFailed === false)) summary.skipped += 1;
      else work.push({ symbol, day });
    }
  }
  let done = 0;
  options.onProgress?.(done, work.length, '');
  for (const item of work) {
    const hours = sessionHours(item.day)!;
    for (let attempt = 1; ; attempt++) {
      const wait = pacer.waitFor(item.symbol);
      if (wait > 0) {
        summary.waitedSeconds += wait / 1000;
        options.onProgress?.(done, work.length, `pacing: waiting ${Math.ceil(wait / 1000)} market s`);
        await sleep(wait);
        continue;
      }
      pacer.record(item.symbol);
      summary.requests += 1;
      try {
        const bars = await options.broker.historicalBars(item.symbol, { barSize: '1 min', duration: '1 D', useRth: false, endMs: hours.afterHoursCloseMs });
        const own = bars.filter((b) => calendarDayInNewYork(b.timeMs) === item.day).map((b) => ({ startMs: b.timeMs, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume }));
        if (own.length === 0) {
          options.store.recordRequest(item.symbol, item.day, 'empty');
          summary.empty += 1;
        } else {
          options.store.putDays([dayBarsFrom(item.symbol, item.day, own)], `ib:${options.broker.clientId}`);
          options.store.recordRequest(item.symbol, item.day, 'done');
          summary.stored += 1;
          summary.bars += own.length;
        }
        break;
      } catch (error) {
        if (error instanceof BrokerRequestError && error.code === 162 && /pacing/i.test(error.message) && attempt <= 5) {
          // Someone else on the login used the budget, or IB counts differently: wait a whole window, ask again.
          summary.pacingViolations += 1;
          pacer.onViolation();
          continue;
        }
        const message = errorMessage(error);
        options.store.recordRequest(item.symbol, item.day, 'failed', message);
        summary.failed.push({ symbol: item.symbol, tradingDay: item.day, error: message });
        break;
      }
    }
    done += 1;
    options.onProgress?.(done, work.length, `${item.symbol} ${item.day}`);
  }
  return summary;
}
