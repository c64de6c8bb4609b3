import type { MinuteBar } from '../../../shared/bars/day-bars';
import type { TradingDay } from '../../../shared/time/trading-calendar';

export type { MinuteBar };

/** Contract details the simulator answers reqContractDetails with. */
export interface SymbolInfo {
  readonly symbol: string;
  /** IB contract id: unique in the universe, positive, stable for a symbol. */
  readonly conId: number;
  readonly longName: string;
  readonly primaryExchange: 'NASDAQ' | 'NYSE' | 'ARCA';
  readonly industry: string;
}

/** Regular-session (09:30 to the close) OHLCV of one trading day. */
export interface DailyBar {
  readonly tradingDay: TradingDay;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** One trade inside a minute bar. */
export interface Tick {
  /** Offset from the bar's startMs, 0..59 999, strictly increasing within a bar. */
  readonly offsetMs: number;
  readonly price: number;
  readonly size: number;
}

export interface Quote {
  readonly bid: number;
  readonly ask: number;
  /** Shares (not lots): the server scales them if its protocol version wants lots. */
  readonly bidSize: number;
  readonly askSize: number;
}

export interface MarketModel {
  readonly universe: readonly SymbolInfo[];
  hasSymbol(symbol: string): boolean;
  /** Every minute of a trading day from 04:00 to the after-hours close (pre-market, regular, after-hours), deterministic. Empty on non-trading days. */
  minuteBars(symbol: string, tradingDay: TradingDay): readonly MinuteBar[];
  /** Regular-session OHLCV of a day (consistent with minuteBars of the regular session). */
  dailyBar(symbol: string, tradingDay: TradingDay): DailyBar;
  /** Regular-session close of the previous trading day (what gaps are measured against). */
  previousClose(symbol: string, tradingDay: TradingDay): number;
  /** A plausible path of trades inside one bar: starts at open, touches high and low, ends at close, sizes sum to the bar's volume. Deterministic for (symbol, bar.startMs). */
  ticksForBar(symbol: string, bar: MinuteBar, ticksPerBar: number): readonly Tick[];
  /** A bid/ask around a last trade price, on the 0.01 grid, bid < ask, last within [bid, ask]. */
  quote(symbol: string, lastPrice: number, timeMs: number): Quote;
}
