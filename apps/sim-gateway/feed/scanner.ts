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

const averageVolumeCache = new Map<string, number>();

/** Average regular-session volume of the 10 trading days before `day`. */
function averageDailyVolume(model: MarketModel, symbol: string, day: string): number {
  const key = `${symbol}:${day}`;
  const cached = averageVolumeCache.get(key);
  if (cached !== undefined) return cached;
  let total = 0;
  let d = day;
  for (let i = 0; i < 10; i++) {
    d = previousTradingDay(d);
    total += model.dailyBar(symbol, d).volume;
  }
  const average = total / 10;
  averageVolumeCache.set(key, average);
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
      const hot = s.volume / Math.max(1, averageDailyVolume(model, symbol, day) * elapsedFraction);
      const score = filter.scanCode === 'TOP_PERC_GAIN' ? change : filter.scanCode === 'TOP_PERC_LOSE' ? -change : filter.scanCode === 'MOST_ACTIVE' ? s.volume : hot;
      return { symbol, score, change };
    })
    .filter((r) => (filter.scanCode === 'TOP_PERC_GAIN' ? r.change > 0 : filter.scanCode === 'TOP_PERC_LOSE' ? r.change < 0 : true))
    .sort((a, b) => b.score - a.score || a.symbol.localeCompare(b.symbol));
  return rows.slice(0, filter.rows).map((r) => r.symbol);
}
