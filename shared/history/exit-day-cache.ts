import { newYorkOffsetMinutes, tradingDateAfter, tradingDayOfTime, tradingDaysAfter } from '../analytics/trading-days';
import type { TradingDay } from '../time/trading-calendar';

const DAY_MS = 86_400_000;
/** Date#toISOString's form, the one every stored time has: '2026-11-23T15:04:05.123Z'. */
const STORED_ISO_LENGTH = 24;
/** Trading days ExitDayCache steps forward through before it parses a time instead. */
const MAX_DAYS_AHEAD = 8;
/** TradingDayEnds lists the trading days of this many calendar days at a time (one list costs less than a day at a time). */
const DAYS_PER_LIST = 91;

/**
 * When trading days end and which trading day follows which, each worked out once: a report's query reads the
 * closed trades agent after agent, and every agent walks through the same days.
 */
export class TradingDayEnds {
  private readonly ends = new Map<TradingDay, string>();
  private readonly following = new Map<TradingDay, TradingDay>();

  /** The stored-form instant a trading day ends at (exclusive): New York midnight after it. */
  endIso(tradingDay: TradingDay): string {
    let end = this.ends.get(tradingDay);
    if (end === undefined) {
      end = new Date(newYorkMidnightAfterMs(tradingDay)).toISOString();
      this.ends.set(tradingDay, end);
    }
    return end;
  }

  /** The trading day after a trading day. */
  next(tradingDay: TradingDay): TradingDay {
    let next = this.following.get(tradingDay);
    if (next === undefined) {
      const days = tradingDaysAfter(tradingDay, DAYS_PER_LIST);
      next = days[0] ?? tradingDateAfter(tradingDay);
      this.following.set(tradingDay, next);
      for (let i = 1; i < days.length; i++) this.following.set(days[i - 1]!, days[i]!);
    }
    return next;
  }
}

/**
 * The trading day of stored exit times read in exit order, parsing one time per trading day at most instead of
 * one per trade: after a parse it knows the span of stored times [the parsed time's hour, New York midnight
 * after its trading day) that has the same trading day, and later times inside it are two string comparisons.
 * A time past the span belongs to one of the next trading days: each starts where the one before ends, so the
 * span moves on to the first whose end is after the time, without a parse. Any other form of time is parsed
 * on its own.
 */
export class ExitDayCache {
  private spanStartIso = '';
  private spanEndIso = '';
  private tradingDay: TradingDay = '';

  constructor(private readonly days: TradingDayEnds = new TradingDayEnds()) {}

  /** Where the span of the last stored time looked up ends: a later stored time before it has the same trading day. */
  get spanEnd(): string {
    return this.spanEndIso;
  }

  tradingDayOf(exitIso: string): TradingDay {
    if (!isStoredIso(exitIso)) return tradingDayOfTime(Date.parse(exitIso));
    if (exitIso < this.spanEndIso) {
      if (exitIso >= this.spanStartIso) return this.tradingDay;
    } else if (this.tradingDay !== '') {
      let tradingDay = this.tradingDay;
      let startIso = this.spanEndIso;
      for (let step = 0; step < MAX_DAYS_AHEAD; step++) {
        tradingDay = this.days.next(tradingDay);
        const endIso = this.days.endIso(tradingDay);
        if (exitIso < endIso) return this.moveTo(tradingDay, startIso, endIso);
        startIso = endIso;
      }
    }
    const tradingDay = tradingDayOfTime(Date.parse(exitIso));
    // New York's offsets are whole hours, so a trading day starts on a UTC hour: the parsed time's hour is in it.
    return this.moveTo(tradingDay, `${exitIso.slice(0, 13)}:00:00.000Z`, this.days.endIso(tradingDay));
  }

  private moveTo(tradingDay: TradingDay, startIso: string, endIso: string): TradingDay {
    this.spanStartIso = startIso;
    this.spanEndIso = endIso;
    this.tradingDay = tradingDay;
    return tradingDay;
  }
}

/** A time in the form every stored time has (Date#toISOString's), where text order is time order. */
export function isStoredIso(iso: string): boolean {
  return iso.length === STORED_ISO_LENGTH && iso.charCodeAt(STORED_ISO_LENGTH - 1) === 90; // 'Z'
}

/**
 * New York midnight at the end of a trading day: the instant its trading day ends (tradingDayOf gives the next
 * one from there). The offset is read at 04:30 UTC of the next calendar day, an hour of that New York evening
 * or night in either season; a trading day is never followed by a Sunday, when DST changes.
 */
function newYorkMidnightAfterMs(tradingDay: TradingDay): number {
  const nextDayUtcMs = Date.UTC(Number(tradingDay.slice(0, 4)), Number(tradingDay.slice(5, 7)) - 1, Number(tradingDay.slice(8, 10))) + DAY_MS;
  return nextDayUtcMs - newYorkOffsetMinutes(nextDayUtcMs + 4.5 * 3_600_000) * 60_000;
}
