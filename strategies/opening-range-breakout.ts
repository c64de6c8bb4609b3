/**
 * Opening-range breakout: an example of a user strategy (see README, "Writing a strategy").
 *
 * The opening range is the high and low of the first `rangeMinutes` of the regular session. A candidate from
 * the MOST_ACTIVE / HOT_BY_VOLUME scanners is entered when its price trades above the range high (plus a
 * buffer), on more volume than usual for the time of day, with a range that is neither too tight (noise) nor
 * too wide (the move is done). The stop sits at the middle of the range, the target `rewardRisk` times as far
 * above. Entries only until `lastEntryMinutesAfterOpen`; the system flattens everything before the close.
 *
 * Everything here is pure: `evaluate` gets the data the live day-trader fetched from IB (or the backtest
 * engine took from its bar store) and returns a verdict. Sizing, orders, protection and the end-of-day
 * flatten are the system's.
 */
import { z } from 'zod/v3';
import { defineStrategy, standardParams } from '../shared/strategy/define-strategy';
import type { Evaluation } from '../shared/strategy/types';

const params = z.object({
  ...standardParams,
  capitalAllocationPct: z.number().gt(0).lte(100).default(10),
  rangeMinutes: z.number().int().min(5).max(120).default(15),
  breakoutBufferPct: z.number().min(0).max(5).default(0.05),
  minRangePct: z.number().min(0).max(20).default(0.2),
  maxRangePct: z.number().gt(0).max(50).default(4),
  minRelativeVolume: z.number().min(0).max(50).default(1.5),
  maxSpreadPct: z.number().gt(0).max(10).default(0.5),
  minScore: z.number().min(0).max(100).default(50),
  rewardRisk: z.number().gt(0).max(20).default(2),
  minStopPct: z.number().gt(0).max(20).default(0.3),
  maxStopPct: z.number().gt(0).max(20).default(3),
  lastEntryMinutesAfterOpen: z.number().int().min(1).max(390).default(120),
  rowsPerScanner: z.number().int().min(1).max(50).default(20),
}).strict().refine((p) => p.minRangePct < p.maxRangePct, { message: 'minRangePct must be below maxRangePct', path: ['minRangePct'] })
  .refine((p) => p.minStopPct <= p.maxStopPct, { message: 'minStopPct must not exceed maxStopPct', path: ['minStopPct'] });

type Params = z.infer<typeof params>;

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const round1 = (x: number) => Math.round(x * 10) / 10;

export default defineStrategy<Params>({
  name: 'opening-range-breakout',
  description: 'breakout above the first N minutes\' high on above-usual volume; stop mid-range, target rewardRisk x the stop (example user strategy)',
  params,
  searchSpace: {
    rangeMinutes: { min: 5, max: 60, step: 5 },
    rewardRisk: { min: 1, max: 4, step: 0.5 },
    minRelativeVolume: { min: 1, max: 3, step: 0.5 },
  },
  needs: (p) => ({
    scanners: ['MOST_ACTIVE', 'HOT_BY_VOLUME'],
    rowsPerScanner: p.rowsPerScanner,
    abovePrice: 5,
    intraday: { barSize: '1 min', days: 1, useRth: true },
    dailyDays: 15,
    quote: true,
  }),
  evaluate(data, p): Evaluation {
    const session = data.session;
    const reject = (reason: string, score = 0, metrics = { symbol: data.symbol }): Evaluation => ({ metrics, decision: { accepted: false, score, reason } });
    if (!session) return reject('market_closed');
    const rangeEndMs = session.openMs + p.rangeMinutes * 60_000;
    if (data.nowMs < rangeEndMs) return reject(`range_forming (${p.rangeMinutes} min from the open)`);
    if (data.nowMs > session.openMs + p.lastEntryMinutesAfterOpen * 60_000) return reject(`too_late (entries until ${p.lastEntryMinutesAfterOpen} min after the open)`);

    let high = -Infinity;
    let low = Infinity;
    let rangeBars = 0;
    let todayVolume = 0;
    let firstOpen: number | undefined;
    let lastClose: number | undefined;
    for (const bar of data.intraday.bars) {
      if (bar.timeMs < session.openMs) continue;
      firstOpen ??= bar.open;
      lastClose = bar.close;
      todayVolume += bar.volume;
      if (bar.timeMs < rangeEndMs) {
        rangeBars += 1;
        high = Math.max(high, bar.high);
        low = Math.min(low, bar.low);
      }
    }
    const last = data.quote?.last ?? lastClose;
    const quote = data.quote;
    const mid = quote?.bid && quote.ask ? (quote.bid + quote.ask) / 2 : undefined;
    const spreadPct = mid && quote?.bid && quote.ask ? ((quote.ask - quote.bid) / mid) * 100 : undefined;
    const elapsed = Math.min(1, Math.max(0.05, (data.nowMs - session.openMs) / (session.closeMs - session.openMs)));
    const relativeVolume = data.daily && data.daily.averageDailyVolume > 0 ? todayVolume / (data.daily.averageDailyVolume * elapsed) : undefined;
    const metrics = {
      symbol: data.symbol,
      price: quote?.ask ?? last,
      gapPct: data.daily && firstOpen !== undefined ? (firstOpen / data.daily.previousClose - 1) * 100 : undefined,
      relativeVolume,
      spreadPct,
      delayedQuote: quote?.delayed === true,
    };
    if (rangeBars < Math.ceil(p.rangeMinutes * 0.8) || last === undefined || metrics.price === undefined || spreadPct === undefined || relativeVolume === undefined) {
      return reject('insufficient_data', 0, metrics);
    }
    const rangePct = ((high - low) / low) * 100;
    const breakoutPct = (last / high - 1) * 100;
    const score = round1(
      40 * clamp01(breakoutPct / Math.max(0.05, rangePct / 2))
      + 30 * clamp01((relativeVolume - 1) / 2)
      + 20 * clamp01(1 - (rangePct - p.minRangePct) / (p.maxRangePct - p.minRangePct))
      + 10 * clamp01(1 - spreadPct / p.maxSpreadPct),
    );
    if (last <= high * (1 + p.breakoutBufferPct / 100)) return reject(`no_breakout (${last.toFixed(2)} <= range high ${high.toFixed(2)})`, score, metrics);
    if (rangePct < p.minRangePct) return reject(`range_too_narrow (${rangePct.toFixed(2)}% < ${p.minRangePct}%)`, score, metrics);
    if (rangePct > p.maxRangePct) return reject(`range_too_wide (${rangePct.toFixed(2)}% > ${p.maxRangePct}%)`, score, metrics);
    if (relativeVolume < p.minRelativeVolume) return reject(`relative_volume_too_low (${relativeVolume.toFixed(2)} < ${p.minRelativeVolume})`, score, metrics);
    if (spreadPct > p.maxSpreadPct) return reject(`spread_too_wide (${spreadPct.toFixed(2)}% > ${p.maxSpreadPct}%)`, score, metrics);
    if (score < p.minScore) return reject(`score_below_minimum (${score} < ${p.minScore})`, score, metrics);
    // Stop at the middle of the range (a breakout that falls back there has failed), target rewardRisk x as far.
    const stopLossPct = Math.min(p.maxStopPct, Math.max(p.minStopPct, ((metrics.price - (high + low) / 2) / metrics.price) * 100));
    return {
      metrics,
      decision: { accepted: true, score, reason: `breakout (${breakoutPct.toFixed(2)}% above a ${rangePct.toFixed(2)}% range, rel. volume ${relativeVolume.toFixed(1)})` },
      exitPlan: { stopLossPct: round2(stopLossPct), takeProfitPct: round2(stopLossPct * p.rewardRisk), timeExitMinutes: p.timeExitMinutes },
    };
  },
});

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
