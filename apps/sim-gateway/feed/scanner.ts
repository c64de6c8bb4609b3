import { previousTradingDay, sessionHours, tradingDayOf } from '../../../shared/time/trading-calendar';
import type { MarketSnapshot } from '../engine/types';
import type { MarketModel } from '../market';

export const SCAN_CODES = ['MOST_ACTIVE', 'TOP_PERC_GAIN', 'TOP_PERC_LOSE', 'HOT_BY_VOLUME'] as const;

export interface ScanFilter {
  scanCode: string;
  rows: number;
  abovePrice?: number;
  belowPrice?: number;
  aboveVolume?: number;
}

/** Usual volume by `symbol:day`, per market model: numbers only, and only the day being warmed is kept. */
const averageVolumeCaches = new WeakMap<MarketModel, Map<string, number>>();

function averageVolumeCache(model: MarketModel): Map<string, number> {
  let cache = averageVolumeCaches.get(model);
  if (!cache) averageVolumeCaches.set(model, (cache = new Map()));
  return cache;
}

/**
 * Fills the scanners' usual volumes for `day`, one symbol per turn of the event loop. Computed inside the
 * first HOT_BY_VOLUME scan of a day instead, ten synthetic days of every symbol (3,000 day paths for 300
 * symbols) stalled the whole simulator for seconds (8.8 s on a loaded machine, orders and ticks included):
 * every order in flight then looked seconds slow in the benchmarks. The figures are the same: a scan that
 * comes before the warm-up is done computes what is missing itself. Resolves with the symbols computed.
 */
export async function warmAverageVolumes(model: MarketModel, day: string, yieldTurn: () => Promise<void> = () => new Promise((resolve) => setImmediate(resolve))): Promise<number> {
  const suffix = `:${day}`;
  const cache = averageVolumeCache(model);
  for (const key of cache.keys()) if (!key.endsWith(suffix)) cache.delete(key);
  let computed = 0;
  for (const info of model.universe) {
    if (!cache.has(`${info.symbol}${suffix}`)) {
      averageDailyVolume(model, info.symbol, day);
      computed += 1;
    }
    await yieldTurn();
  }
  return computed;
}

/** Whether the usual volume of `symbol` for `day` is computed already (tests). */
export function hasAverageVolume(model: MarketModel, symbol: string, day: string): boolean {
  return averageVolumeCache(model).has(`${symbol}:${day}`);
}

/** Average regular-session volume of the 10 trading days before `day`. */
function averageDailyVolume(model: MarketModel, symbol: string, day: string): number {
  const key = `${symbol}:${day}`;
  const cache = averageVolumeCache(model);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let total = 0;
  let d = day;
  for (let i = 0; i < 10; i++) {
    d = previousTradingDay(d);
    total += model.dailyBar(symbol, d).volume;
  }
  const average = total / 10;
  cache.set(key, average);
  return average;
}

/**
 * IB's market scanners over the simulated universe: TOP_PERC_GAIN/LOSE rank by change from the previous
 * close (pre-market included, which is how gap-and-go names surface), MOST_ACTIVE by today's volume,
 * HOT_BY_VOLUME by today's volume against the usual volume for this time of day.
 */
export function runScan(model: MarketModel, snapshots: (symbol: string) => MarketSnapshot, filter: ScanFilter, nowMs: number): string[] {
  const day = tradingDayOf(nowMs);
  const hours = sessionHours(day);
  const elapsedFraction = hours ? Math.min(1, Math.max(0.02, (nowMs - hours.preMarketOpenMs) / (hours.closeMs - hours.preMarketOpenMs))) : 1;
  const rows = model.universe
    .map((info) => ({ symbol: info.symbol, s: snapshots(info.symbol) }))
    .filter(({ s }) => s.last > 0 && (filter.abovePrice === undefined || s.last > filter.abovePrice) && (filter.belowPrice === undefined || s.last < filter.belowPrice) && (filter.aboveVolume === undefined || s.volume > filter.aboveVolume))
    .map(({ symbol, s }) => {
      const change = s.previousClose > 0 ? s.last / s.previousClose - 1 : 0;
      // The usual volume only where it is ranked on (HOT_BY_VOLUME and unknown codes): it is the costly part.
      const score = filter.scanCode === 'TOP_PERC_GAIN' ? change : filter.scanCode === 'TOP_PERC_LOSE' ? -change : filter.scanCode === 'MOST_ACTIVE' ? s.volume
        : s.volume / Math.max(1, averageDailyVolume(model, symbol, day) * elapsedFraction);
      return { symbol, score, change };
    })
    .filter((r) => (filter.scanCode === 'TOP_PERC_GAIN' ? r.change > 0 : filter.scanCode === 'TOP_PERC_LOSE' ? r.change < 0 : true))
    .sort((a, b) => b.score - a.score || a.symbol.localeCompare(b.symbol));
  return rows.slice(0, filter.rows).map((r) => r.symbol);
}
