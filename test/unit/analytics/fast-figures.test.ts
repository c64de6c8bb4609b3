import { mean as ssMean } from 'simple-statistics';
import {
  AgentOpeningEquity, agentBreakdown, buildDailyEquity, computeTradeStats, timeInMarket, tradingDayOfTime, tradingDaysBetween,
  type ClosedTradeInput, type DailyRecord, type DailyEquity,
} from '../../../shared/analytics';
import { medianInPlaceOrNull } from '../../../shared/analytics/numbers';
import { formatEt, newYorkOffsetMinutes } from '../../../shared/analytics/trading-days';
import { exitOrderColumns, stableOrder } from '../../../shared/analytics/trade-columns';
import { holidayName, newYorkTime } from '../../../shared/time/trading-calendar';
import { mulberry32 } from '../../../shared/random/mulberry32';

/**
 * The analytics' fast paths (typed arrays, a sweep instead of sorted intervals, a quickselect, merged day lists,
 * an agent's opening equity without its history) against the straightforward computations they replaced,
 * copied here as they were. toEqual compares numbers with Object.is: one bit of difference fails.
 */

const SEED = Number(process.env.ANALYTICS_SEED ?? Date.now() % 1_000_000);
// Printed so a failure can be replayed: ANALYTICS_SEED=<seed> npx jest test/unit/analytics/fast-figures
console.log(`fast-figures seed ${SEED}`);

// ---- The straightforward computations, as they were ----

function referenceMedian(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function referenceTradeStats(input: readonly ClosedTradeInput[]) {
  let trades = input;
  for (let i = 1; i < input.length; i++) {
    if (input[i]!.exitTimeMs < input[i - 1]!.exitTimeMs) {
      trades = [...input].sort((a, b) => a.exitTimeMs - b.exitTimeMs);
      break;
    }
  }
  let wins = 0, losses = 0, breakeven = 0, grossProfit = 0, grossLoss = 0, commissions = 0;
  let largestWin: number | null = null;
  let largestLoss: number | null = null;
  let winStreak = 0, lossStreak = 0, longestWinningStreak = 0, longestLosingStreak = 0;
  const holdingMinutes: number[] = [];
  for (const t of trades) {
    const pnl = t.realizedPnl;
    commissions += t.commission ?? 0;
    if (pnl > 0) {
      wins++; grossProfit += pnl; if (largestWin === null || pnl > largestWin) largestWin = pnl; winStreak++; lossStreak = 0;
    } else if (pnl < 0) {
      losses++; grossLoss += pnl; if (largestLoss === null || pnl < largestLoss) largestLoss = pnl; lossStreak++; winStreak = 0;
    } else {
      breakeven++; winStreak = 0; lossStreak = 0;
    }
    if (winStreak > longestWinningStreak) longestWinningStreak = winStreak;
    if (lossStreak > longestLosingStreak) longestLosingStreak = lossStreak;
    const held = (t.exitTimeMs - t.entryTimeMs) / 60_000;
    if (Number.isFinite(held)) holdingMinutes.push(Math.max(0, held));
  }
  let longestHolding: number | null = null;
  for (const m of holdingMinutes) if (longestHolding === null || m > longestHolding) longestHolding = m;
  return {
    trades: trades.length, wins, losses, breakeven, grossProfit, grossLoss, commissions, largestWin, largestLoss, longestWinningStreak, longestLosingStreak,
    averageHoldingMinutes: holdingMinutes.length === 0 ? null : ssMean(holdingMinutes),
    medianHoldingMinutes: referenceMedian(holdingMinutes),
    longestHoldingMinutes: longestHolding,
  };
}

function referenceTimeInMarket(trades: readonly ClosedTradeInput[], sessionMinutesTotal: number): number | null {
  if (sessionMinutesTotal <= 0) return null;
  if (trades.length === 0) return 0;
  const intervals = trades
    .map((t) => [t.entryTimeMs, Math.max(t.entryTimeMs, t.exitTimeMs)] as const)
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b))
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let start = Number.NaN;
  let end = Number.NaN;
  for (const [a, b] of intervals) {
    if (Number.isNaN(start) || a > end) {
      if (!Number.isNaN(start)) covered += end - start;
      start = a;
      end = b;
    } else if (b > end) end = b;
  }
  if (!Number.isNaN(start)) covered += end - start;
  return Math.min(1, covered / 60_000 / sessionMinutesTotal);
}

function referenceTradingDaysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`); ms <= end; ms += 86_400_000) {
    const day = new Date(ms).toISOString().slice(0, 10);
    const weekday = new Date(ms).getUTCDay();
    if (weekday !== 0 && weekday !== 6 && holidayName(day) === undefined) days.push(day);
  }
  return days;
}

function referenceDailyEquity(records: readonly DailyRecord[], options: { initialCapital?: number; fillFrom?: string; fillTo?: string; fillTradingDays?: boolean }): DailyEquity[] {
  const initialCapital = options.initialCapital ?? 100_000;
  const byDay = new Map<string, DailyRecord>();
  for (const r of records) {
    const existing = byDay.get(r.tradingDay);
    byDay.set(r.tradingDay, existing ? { ...existing, realizedPnl: existing.realizedPnl + r.realizedPnl, trades: (existing.trades ?? 0) + (r.trades ?? 0) } : r);
  }
  let days = [...byDay.keys()].sort();
  if (options.fillTradingDays !== false && (days.length > 0 || (options.fillFrom && options.fillTo))) {
    const from = [options.fillFrom, days[0]].filter((d): d is string => !!d).sort()[0]!;
    const to = [options.fillTo, days[days.length - 1]].filter((d): d is string => !!d).sort().reverse()[0]!;
    days = [...new Set([...referenceTradingDaysBetween(from, to), ...days])].sort();
  }
  const usable = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
  const out: DailyEquity[] = [];
  let previousEnd = initialCapital;
  for (const day of days) {
    const r = byDay.get(day);
    const pnl = Number.isFinite(r?.realizedPnl) ? r!.realizedPnl : 0;
    const start = usable(r?.startEquity) ? r!.startEquity! : previousEnd;
    const hasAccountEnd = usable(r?.endEquity);
    const end = hasAccountEnd ? r!.endEquity! : start + pnl;
    out.push({ tradingDay: day, startEquity: start, endEquity: end, pnl, trades: r?.trades ?? 0, return: start > 0 ? end / start - 1 : 0, endSource: hasAccountEnd ? 'account' : 'derived' });
    previousEnd = end;
  }
  return out;
}

// ---- Random data ----

const DAYS = tradingDaysBetween('2025-10-01', '2026-03-31');

const openingMs = new Map<string, number>();
const openOf = (day: string) => openingMs.get(day) ?? openingMs.set(day, newYorkTime(day, '09:30')).get(day)!;

function randomTrades(seed: number, count: number, options: { ties?: boolean; agents?: string[] } = {}): ClosedTradeInput[] {
  const random = mulberry32(seed);
  const agents = options.agents ?? ['gap-momentum', 'mean-revert', 'opening-range-breakout'];
  const trades: ClosedTradeInput[] = [];
  for (let i = 0; i < count; i++) {
    const day = DAYS[Math.floor(random() * DAYS.length)]!;
    // With ties: whole 5 minutes, so entries and exits meet and touch (a start equal to an end joins a block).
    const step = options.ties ? 5 : 1;
    const entryTimeMs = openOf(day) + Math.floor((random() * 300) / step) * step * 60_000;
    const held = Math.floor((random() * 120) / step) * step * 60_000 + (options.ties ? 0 : Math.floor(random() * 60_000));
    const kind = random();
    // Some wins, losses, exact zeros, and pennies that do not add up exactly in binary.
    const realizedPnl = kind < 0.05 ? 0 : kind < 0.1 ? 0.1 * Math.floor(random() * 7) - 0.3 : (random() - 0.47) * 500;
    trades.push({
      symbol: `S${Math.floor(random() * 20)}`, agentName: agents[Math.floor(random() * agents.length)], realizedPnl,
      entryTimeMs, exitTimeMs: entryTimeMs + held, commission: random() < 0.5 ? 1 : 0.35,
    });
  }
  return trades;
}

const byExit = (trades: readonly ClosedTradeInput[]) => [...trades].sort((a, b) => a.exitTimeMs - b.exitTimeMs);

describe('fast analytics give the figures of the straightforward computation, to the last bit', () => {
  it('trade statistics: sums, streaks, mean, median and longest holding time (unsorted, sorted, odd and even counts)', () => {
    for (let k = 0; k < 20; k++) {
      const trades = randomTrades(SEED + k, 50 + k * 37 + (k % 2), { ties: k % 3 === 0 });
      const stats = computeTradeStats(trades);
      expect(stats).toMatchObject(referenceTradeStats(trades));
      expect(computeTradeStats(byExit(trades))).toEqual(stats);
    }
    // A trade with no exit time counts in the trade figures, not in the holding times.
    const withNaN = [...randomTrades(SEED, 11), { symbol: 'X', realizedPnl: 5, entryTimeMs: 1, exitTimeMs: Number.NaN }];
    expect(computeTradeStats(withNaN)).toMatchObject(referenceTradeStats(withNaN));
    expect(computeTradeStats([])).toMatchObject(referenceTradeStats([]));
  });

  it('exit order by bucket sort: the stable sort of the exit times, ties in input order, any spread of keys', () => {
    const random = mulberry32(SEED + 50);
    const reference = (keys: readonly number[]) => keys.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]!);
    const shapes: number[][] = [[], [5], [2, 1], [0, -0, 0, -0], [3, 3, 3], [1e308, -1e308, 0, 1e308], [5e-324, 0, 1e-323, 5e-324]];
    for (let k = 0; k < 30; k++) {
      const n = 1 + Math.floor(random() * 3_000);
      // Spread out, few distinct values (many ties), one far outlier (nearly everything in one bucket).
      const kind = k % 3;
      shapes.push(Array.from({ length: n }, () => (kind === 0 ? 1.7e12 + random() * 3e11 : kind === 1 ? Math.floor(random() * 20) * 60_000 : random() < 0.001 ? 1e15 : random() * 1e6)));
    }
    for (const keys of shapes) expect(Array.from(stableOrder(Float64Array.from(keys)))).toEqual(reference(keys));
    // A NaN exit time: the columns follow whatever order the comparator sort gives, as the trades' own sort does.
    const trades = [...randomTrades(SEED + 51, 40), { symbol: 'X', realizedPnl: 1, entryTimeMs: 5, exitTimeMs: Number.NaN }, ...randomTrades(SEED + 52, 40)];
    expect(Array.from(exitOrderColumns(trades).realizedPnl)).toEqual(byExit(trades).map((t) => t.realizedPnl));
  });

  it('New York wall-clock times by arithmetic: the fields of the ISO string, from year 0 to 9999, DST changes, fractions', () => {
    const reference = (ms: number, format: 'datetime' | 'time') => {
      if (!Number.isFinite(ms)) return '';
      const iso = new Date(ms + newYorkOffsetMinutes(ms) * 60_000).toISOString();
      return format === 'time' ? iso.slice(11, 16) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
    };
    const random = mulberry32(SEED + 60);
    const times = [0, -0, 0.5, -0.5, -1, Date.UTC(2026, 2, 8, 6, 59, 59, 999), Date.UTC(2026, 2, 8, 7), Date.UTC(2026, 10, 1, 5, 59), Date.UTC(2026, 10, 1, 6),
      new Date(0).setUTCFullYear(0, 0, 1) + 5 * 3_600_000, Date.UTC(9999, 11, 31, 23), Number.NaN, Number.POSITIVE_INFINITY];
    for (let k = 0; k < 20_000; k++) times.push(Math.floor(random() * 2e12), (random() - 0.5) * 4e14 + 0.5);
    for (const format of ['datetime', 'time'] as const) {
      expect(times.map((ms) => `${ms} ${formatEt(ms, format)}`)).toEqual(times.map((ms) => `${ms} ${reference(ms, format)}`));
    }
    // Beyond year 9999 or before year 0 the ISO string has six digits: formatEt prints what it prints, or throws as it does.
    for (const ms of [Date.UTC(10000, 0, 2), new Date(0).setUTCFullYear(-1, 0, 1)]) expect(formatEt(ms)).toBe(reference(ms, 'datetime'));
    expect(() => formatEt(1e16)).toThrow(RangeError);
  });

  it('median by quickselect: equal values, sorted, reversed, two values, one value', () => {
    const random = mulberry32(SEED);
    const cases: number[][] = [[3], [2, 1], [5, 5, 5, 5], [1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], [0, 0, 1, 0, 1]];
    for (let k = 0; k < 30; k++) cases.push(Array.from({ length: 1 + Math.floor(random() * 400) }, () => Math.floor(random() * (k % 2 ? 10 : 1e6)) / 7));
    for (const values of cases) expect(medianInPlaceOrNull(Float64Array.from(values))).toBe(referenceMedian(values));
    expect(medianInPlaceOrNull(new Float64Array(0))).toBeNull();
  });

  it('time in market: overlapping, touching, nested and zero-length holds', () => {
    for (let k = 0; k < 20; k++) {
      const trades = randomTrades(SEED + 100 + k, 10 + k * 53, { ties: k % 2 === 0 });
      expect(timeInMarket(trades, 390 * 40)).toBe(referenceTimeInMarket(trades, 390 * 40));
      expect(timeInMarket(trades, 5)).toBe(referenceTimeInMarket(trades, 5)); // capped at 1
      // In exit order (as computePerformance passes them) the entries are nearly sorted: sorted by insertion.
      expect(timeInMarket(byExit(trades), 390 * 40)).toBe(referenceTimeInMarket(trades, 390 * 40));
    }
    const t0 = newYorkTime('2026-11-23', '10:00');
    const hold = (a: number, b: number): ClosedTradeInput => ({ symbol: 'X', realizedPnl: 0, entryTimeMs: t0 + a * 60_000, exitTimeMs: t0 + b * 60_000 });
    const shapes = [[hold(0, 10), hold(10, 20)], [hold(0, 30), hold(5, 10)], [hold(5, 5), hold(0, 1)], [hold(0, 10), hold(20, 15)], [hold(0, Number.NaN), hold(1, 2)]];
    for (const trades of shapes) expect(timeInMarket(trades, 390)).toBe(referenceTimeInMarket(trades, 390));
  });

  it('the daily equity series: many records a day, records out of order, fills, recorded equity, a holiday record', () => {
    for (let k = 0; k < 10; k++) {
      const trades = randomTrades(SEED + 200 + k, 300);
      const records: DailyRecord[] = trades.map((t) => ({ tradingDay: tradingDayOfTime(t.exitTimeMs), realizedPnl: t.realizedPnl, trades: 1 }));
      records.push({ tradingDay: DAYS[7]!, realizedPnl: 0, startEquity: 250_000, endEquity: 251_000 }, { tradingDay: '2025-12-25', realizedPnl: 3 });
      const options = [{}, { initialCapital: 50_000, fillTo: '2026-04-30' }, { fillFrom: '2025-09-15' }, { fillTradingDays: false }][k % 4]!;
      expect(buildDailyEquity(records, options)).toEqual(referenceDailyEquity(records, options));
      expect(buildDailyEquity(byExit(trades).map((t) => ({ tradingDay: tradingDayOfTime(t.exitTimeMs), realizedPnl: t.realizedPnl })), options))
        .toEqual(referenceDailyEquity(byExit(trades).map((t) => ({ tradingDay: tradingDayOfTime(t.exitTimeMs), realizedPnl: t.realizedPnl })), options));
    }
    expect(buildDailyEquity([], { fillFrom: '2026-11-20', fillTo: '2026-11-30' })).toEqual(referenceDailyEquity([], { fillFrom: '2026-11-20', fillTo: '2026-11-30' }));
    for (const [from, to] of [['2015-12-20', '2027-01-10'], ['2026-11-28', '2026-11-29'], ['2026-11-30', '2026-11-27']]) {
      expect(tradingDaysBetween(from!, to!)).toEqual(referenceTradingDaysBetween(from!, to!));
    }
  });

  it("each agent's max drawdown from its opening equity equals the one from its whole history", () => {
    for (let k = 0; k < 12; k++) {
      // Several trades per agent and day, so a day's P&L adds up before the equity does (as in the whole series).
      const all = byExit(randomTrades(SEED + 300 + k, 1_500));
      const from = ['2025-12-01', '2026-01-05', '2026-02-14', '2026-03-02'][k % 4]!;
      const to = ['2025-12-31', '2026-01-09', '2026-02-28', '2026-03-31'][k % 4]!;
      const dayOf = (t: ClosedTradeInput) => tradingDayOfTime(t.exitTimeMs);
      const before = all.filter((t) => dayOf(t) < from);
      // An agent that starts trading in the period has no opening equity (it starts from the initial capital).
      const period = all.filter((t) => dayOf(t) >= from && dayOf(t) <= to).map((t, i) => (k % 3 === 0 && i % 5 === 0 ? { ...t, agentName: 'newcomer' } : t));
      const history = [...before, ...period];
      const chain = new AgentOpeningEquity(75_000);
      for (const t of before) chain.add(t.agentName ?? '', dayOf(t), t.realizedPnl);
      const openingEquity = chain.result(from)!;
      expect(openingEquity).toBeDefined();
      // The equity each agent's own series (one record per trade) ends the day before the period with.
      for (const agent of new Set(before.map((t) => t.agentName ?? ''))) {
        const series = referenceDailyEquity(before.filter((t) => t.agentName === agent).map((t) => ({ tradingDay: dayOf(t), realizedPnl: t.realizedPnl, trades: 1 })), { initialCapital: 75_000 });
        expect(openingEquity.get(agent)).toBe(series[series.length - 1]!.endEquity);
      }
      const straightforward = agentBreakdown({ trades: period, history, from, to, initialCapital: 75_000 });
      const fast = agentBreakdown({ trades: period, openingEquity, from, to, initialCapital: 75_000 });
      expect(fast).toEqual(straightforward);
      expect(fast.some((a) => a.maxDrawdown !== null && a.maxDrawdown < 0)).toBe(true);
    }
  });

  it('the opening equity refuses trades out of day order, or on the period or after', () => {
    const chain = new AgentOpeningEquity(100_000);
    chain.add('a', '2026-11-23', 10);
    chain.add('a', '2026-11-24', 5);
    expect(chain.result('2026-11-25')).toEqual(new Map([['a', 100_015]]));
    expect(chain.result('2026-11-24')).toBeUndefined();
    chain.add('a', '2026-11-23', 1);
    expect(chain.result('2026-11-25')).toBeUndefined();
  });
});
