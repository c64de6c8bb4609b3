import { type Clock } from './clock';
import { newYorkTime, nextTradingDay, tradingDayOnOrAfter, type TradingDay } from './trading-calendar';

/**
 * The simulated session's time, a pure function of real time and a shared anchor, so every process that
 * reads the same anchor agrees on market time without talking to the others.
 *
 * Each trading day is played from `dayStart` to `dayEnd` (New York time) at `speed` market ms per real ms;
 * at `dayEnd` time jumps to `dayStart` of the next trading day (nights, weekends and holidays are skipped).
 */
export interface CompressedClockAnchor {
  /** Real epoch ms at which the simulated session began. */
  readonly epochRealMs: number;
  readonly startDay: TradingDay;
  readonly speed: number;
  readonly dayStart: string; // 'HH:MM'
  readonly dayEnd: string; // 'HH:MM'
}

export class CompressedClock implements Clock {
  readonly speed: number;
  readonly description: string;
  private readonly dayLengthMs: number;
  private readonly tradingDays: TradingDay[];
  private readonly dayStarts = new Map<number, number>();

  constructor(readonly anchor: CompressedClockAnchor, private readonly realNow: () => number = Date.now) {
    this.speed = anchor.speed;
    const [sh, sm] = anchor.dayStart.split(':').map(Number);
    const [eh, em] = anchor.dayEnd.split(':').map(Number);
    this.dayLengthMs = ((eh! - sh!) * 60 + (em! - sm!)) * 60_000;
    if (this.dayLengthMs <= 0) throw new RangeError(`dayEnd ${anchor.dayEnd} must be after dayStart ${anchor.dayStart}`);
    this.tradingDays = [tradingDayOnOrAfter(anchor.startDay)];
    this.description = `compressed clock x${anchor.speed} from ${this.tradingDays[0]} ${anchor.dayStart}-${anchor.dayEnd} ET`;
  }

  now(): number {
    return this.marketTimeAt(this.realNow());
  }

  /** Market time at a given real time. */
  marketTimeAt(realMs: number): number {
    const elapsedMarketMs = Math.max(0, realMs - this.anchor.epochRealMs) * this.speed;
    const dayIndex = Math.floor(elapsedMarketMs / this.dayLengthMs);
    const offsetMs = elapsedMarketMs - dayIndex * this.dayLengthMs;
    return this.dayStartMs(dayIndex) + offsetMs;
  }

  /** Start of the played window of the n-th simulated day, cached: now() is called on every tick. */
  private dayStartMs(dayIndex: number): number {
    let start = this.dayStarts.get(dayIndex);
    if (start === undefined) {
      start = newYorkTime(this.tradingDayAt(dayIndex), this.anchor.dayStart);
      this.dayStarts.set(dayIndex, start);
    }
    return start;
  }

  /** Real time at which a market time is reached (market times outside the played window map to the next start). */
  realTimeFor(marketMs: number): number {
    let low = this.anchor.epochRealMs;
    let high = low + 1;
    while (this.marketTimeAt(high) < marketMs) high = low + (high - low) * 2;
    for (let i = 0; i < 64 && high - low > 1; i++) {
      const mid = Math.floor((low + high) / 2);
      if (this.marketTimeAt(mid) < marketMs) low = mid;
      else high = mid;
    }
    return high;
  }

  private tradingDayAt(index: number): TradingDay {
    while (this.tradingDays.length <= index) this.tradingDays.push(nextTradingDay(this.tradingDays[this.tradingDays.length - 1]!));
    return this.tradingDays[index]!;
  }
}
