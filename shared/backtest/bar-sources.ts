import { regularAggregate, type DailyAggregate, type DayBars } from '../bars/day-bars';
import type { BarStore } from '../db/bar-store/bar-store-repository';
import { sessionHours, type TradingDay } from '../time/trading-calendar';
import type { BarSource } from './market-view';

/** The bar store as the engine's source (the CLI, the optimizer's workers, the benchmark). */
export class StoreBarSource implements BarSource {
  constructor(private readonly store: BarStore) {}

  day(tradingDay: TradingDay, symbols: readonly string[]): Map<string, DayBars> {
    return this.store.getDayAll(tradingDay, new Set(symbols));
  }

  dailyAggregates(symbol: string, fromDay: TradingDay, toDay: TradingDay): DailyAggregate[] {
    return this.store.dailyAggregates(symbol, fromDay, toDay);
  }
}

/** Days of bars held in memory (tests write their own small universes this way). */
export class MemoryBarSource implements BarSource {
  private readonly days = new Map<TradingDay, Map<string, DayBars>>();

  constructor(days: Iterable<DayBars> = []) {
    for (const day of days) this.add(day);
  }

  add(day: DayBars): void {
    let map = this.days.get(day.tradingDay);
    if (!map) this.days.set(day.tradingDay, (map = new Map()));
    map.set(day.symbol, day);
  }

  day(tradingDay: TradingDay, symbols: readonly string[]): Map<string, DayBars> {
    const map = this.days.get(tradingDay);
    const out = new Map<string, DayBars>();
    if (!map) return out;
    for (const symbol of symbols) {
      const bars = map.get(symbol);
      if (bars) out.set(symbol, bars);
    }
    return out;
  }

  dailyAggregates(symbol: string, fromDay: TradingDay, toDay: TradingDay): DailyAggregate[] {
    const out: DailyAggregate[] = [];
    for (const day of [...this.days.keys()].sort()) {
      if (day < fromDay || day > toDay) continue;
      const bars = this.days.get(day)!.get(symbol);
      const hours = sessionHours(day);
      const aggregate = bars && hours ? regularAggregate(bars, hours) : undefined;
      if (aggregate) out.push(aggregate);
    }
    return out;
  }

  tradingDays(): TradingDay[] {
    return [...this.days.keys()].sort();
  }

  symbols(): string[] {
    const all = new Set<string>();
    for (const map of this.days.values()) for (const s of map.keys()) all.add(s);
    return [...all].sort();
  }
}
