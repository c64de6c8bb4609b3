import type { TradingDay } from '../../../shared/time/trading-calendar';
import type { DailyBar, MarketModel, MinuteBar, Quote, SymbolInfo, Tick } from '../market';
import { conIdForSymbol } from '../market/synthetic-universe';

/**
 * Adds a share-class symbol with a space in it (`BRK B`), as IB writes them, to a market: it trades like
 * an existing symbol of the universe (its tape is that symbol's), under its own ticker and conId. Symbols
 * with a space break naive order-ref patterns and string splitting; the simulator must be able to show it.
 */
export class ShareClassMarket implements MarketModel {
  readonly universe: readonly SymbolInfo[];

  constructor(private readonly base: MarketModel, readonly symbol: string, private readonly like: string) {
    const likeInfo = base.universe.find((i) => i.symbol === like);
    if (!likeInfo) throw new Error(`share class ${symbol}: no symbol ${like} in the universe`);
    this.universe = [...base.universe, { symbol, conId: conIdForSymbol(symbol), longName: `${likeInfo.longName} Class B`, primaryExchange: 'NYSE', industry: likeInfo.industry }];
  }

  private map(symbol: string): string {
    return symbol === this.symbol ? this.like : symbol;
  }

  hasSymbol(symbol: string): boolean {
    return symbol === this.symbol || this.base.hasSymbol(symbol);
  }
  minuteBars(symbol: string, tradingDay: TradingDay): readonly MinuteBar[] {
    return this.base.minuteBars(this.map(symbol), tradingDay);
  }
  dailyBar(symbol: string, tradingDay: TradingDay): DailyBar {
    return this.base.dailyBar(this.map(symbol), tradingDay);
  }
  previousClose(symbol: string, tradingDay: TradingDay): number {
    return this.base.previousClose(this.map(symbol), tradingDay);
  }
  ticksForBar(symbol: string, bar: MinuteBar, ticksPerBar: number): readonly Tick[] {
    return this.base.ticksForBar(this.map(symbol), bar, ticksPerBar);
  }
  quote(symbol: string, lastPrice: number, timeMs: number): Quote {
    return this.base.quote(this.map(symbol), lastPrice, timeMs);
  }
}
