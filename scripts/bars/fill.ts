import type { MarketModel } from '../../apps/sim-gateway/market';
import type { DayBars } from '../../shared/bars/day-bars';
import type { BarStore } from '../../shared/db/bar-store/bar-store-repository';
import { readBarCsvDirectory } from '../../shared/bars/csv';
import { nextTradingDay, tradingDayOnOrAfter, type TradingDay } from '../../shared/time/trading-calendar';
import { modelDayBars } from './market-model-source';

/** NYSE trading days from `from` to `to`, both included. */
export function tradingDaysFrom(from: TradingDay, to: TradingDay): TradingDay[] {
  const days: TradingDay[] = [];
  for (let day = tradingDayOnOrAfter(from); day <= to; day = nextTradingDay(day)) days.push(day);
  return days;
}

/**
 * Writes the model's bars of `symbols` × `days` into the store, skipping symbol-days already there; one
 * transaction per day (an interrupted fill keeps what it wrote). Returns the number of symbol-days written.
 */
export function fillFromModel(store: BarStore, model: MarketModel, symbols: readonly string[], days: readonly TradingDay[], source: string, onDay?: (done: number, total: number) => void): number {
  let written = 0;
  days.forEach((day, index) => {
    const batch: DayBars[] = [];
    for (const symbol of symbols) {
      if (store.hasDay(symbol, day)) continue;
      const bars = modelDayBars(model, symbol, day);
      if (bars) batch.push(bars);
    }
    if (batch.length > 0) store.putDays(batch, source);
    written += batch.length;
    onDay?.(index + 1, days.length);
  });
  return written;
}

/** Imports every `<SYMBOL>.csv` of a folder (validated row by row) into the store. Returns symbols and days. */
export function importCsvDirectory(store: BarStore, dir: string, symbols?: readonly string[]): { symbols: string[]; days: number; bars: number } {
  const files = readBarCsvDirectory(dir, symbols);
  let days = 0;
  let bars = 0;
  for (const file of files) {
    store.putDays(file.days, `csv:${file.file}`);
    days += file.days.length;
    bars += file.days.reduce((n, d) => n + d.length, 0);
  }
  return { symbols: files.map((f) => f.symbol), days, bars };
}
