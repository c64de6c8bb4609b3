import { newYorkOffsetMinutes, tradingDayOfTime } from '../analytics/trading-days';
import type { TradingDay } from '../time/trading-calendar';

const DAY_MS = 86_400_000;
/** Date#toISOString's form, the one every stored time has: '2026-11-23T15:04:05.123Z'. */
const STORED_ISO_LENGTH = 24;

/**
 * The trading day of stored exit times read in exit order, parsing one time per trading day instead of one per
 * trade: after a parse it knows the span of stored times [the parsed time's hour, New York midnight after its
 * trading day) that has the same trading day, and later times inside it are two string comparisons. Any other
 * form of time is parsed on its own.
 */
export class ExitDayCache {
  private spanStartIso = '';
  private spanEndIso = '';
  private tradingDay: TradingDay = '';

  tradingDayOf(exitIso: string): TradingDay {
    const stored = exitIso.length === STORED_ISO_LENGTH && exitIso.charCodeAt(STORED_ISO_LENGTH - 1) === 90; // 'Z'
    if (stored && exitIso >= this.spanStartIso && exitIso < this.spanEndIso) return this.tradingDay;
    const tradingDay = tradingDayOfTime(Date.parse(exitIso));
    if (stored) {
      // New York's offsets are whole hours, so a trading day starts on a UTC hour: the parsed time's hour is in it.
      this.spanStartIso = `${exitIso.slice(0, 13)}:00:00.000Z`;
      this.spanEndIso = new Date(newYorkMidnightAfterMs(tradingDay)).toISOString();
      this.tradingDay = tradingDay;
    }
    return tradingDay;
  }
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
