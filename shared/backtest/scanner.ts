import type { ScanCode } from '../broker/types';

/** A symbol as a scanner sees it at a moment: last trade, previous close, volume since 04:00, usual volume. */
export interface ScannerSnapshot {
  symbol: string;
  /** Last trade (the previous close before the first trade of the day). */
  last: number;
  previousClose: number;
  /** Shares traded today since 04:00 New York. */
  volume: number;
  /** Mean regular-session volume of the 10 trading days before. */
  averageDailyVolume: number;
}

/**
 * IB's market scanners as the simulator answers them (apps/sim-gateway/feed/scanner.ts, the same rankings):
 * TOP_PERC_GAIN / TOP_PERC_LOSE by the change from the previous close (pre-market included: how gap-and-go
 * names surface), MOST_ACTIVE by today's volume, HOT_BY_VOLUME by today's volume against the usual volume for
 * this time of day (`elapsedFraction` of the day since 04:00, at least 0.02). Ties by symbol.
 */
export function emulateScan(snapshots: readonly ScannerSnapshot[], scanCode: ScanCode, filter: { rows: number; abovePrice?: number; belowPrice?: number }, elapsedFraction: number): string[] {
  const rows: Array<{ symbol: string; score: number; change: number }> = [];
  for (const s of snapshots) {
    if (!(s.last > 0) || (filter.abovePrice !== undefined && !(s.last > filter.abovePrice)) || (filter.belowPrice !== undefined && !(s.last < filter.belowPrice))) continue;
    const change = s.previousClose > 0 ? s.last / s.previousClose - 1 : 0;
    if (scanCode === 'TOP_PERC_GAIN' && !(change > 0)) continue;
    if (scanCode === 'TOP_PERC_LOSE' && !(change < 0)) continue;
    const hot = s.volume / Math.max(1, s.averageDailyVolume * elapsedFraction);
    const score = scanCode === 'TOP_PERC_GAIN' ? change : scanCode === 'TOP_PERC_LOSE' ? -change : scanCode === 'MOST_ACTIVE' ? s.volume : hot;
    rows.push({ symbol: s.symbol, score, change });
  }
  rows.sort((a, b) => b.score - a.score || a.symbol.localeCompare(b.symbol));
  return rows.slice(0, filter.rows).map((r) => r.symbol);
}

/** Fraction of the day from 04:00 to the close that has passed, as the simulator's scanner counts it. */
export function scannerElapsedFraction(nowMs: number, hours: { preMarketOpenMs: number; closeMs: number } | undefined): number {
  return hours ? Math.min(1, Math.max(0.02, (nowMs - hours.preMarketOpenMs) / (hours.closeMs - hours.preMarketOpenMs))) : 1;
}
