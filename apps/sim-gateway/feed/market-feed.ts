import { EventEmitter } from 'node:events';
import type { Clock } from '../../../shared/time/clock';
import { sessionHours, tradingDayOf } from '../../../shared/time/trading-calendar';
import type { MarketSnapshot } from '../engine/types';
import type { MarketModel, MinuteBar, Tick } from '../market';

interface SymbolCursor {
  day: string | undefined;
  bars: readonly MinuteBar[];
  barIndex: number;
  ticks: readonly Tick[] | undefined;
  tickIndex: number;
  snapshot: MarketSnapshot;
}

export interface FeedEvents {
  /** A trade (and the quote around it). `live` is false for minutes skipped while catching up (not sent to clients). */
  trade: [symbol: string, snapshot: MarketSnapshot, live: boolean];
}

/** Minutes older than this are fast-forwarded (matched on their extremes, not streamed tick by tick). */
const CATCH_UP_AFTER_MS = 3 * 60_000;

/**
 * Turns the market model's minute bars into a live stream on the simulated clock: every step it plays,
 * for every symbol, the ticks whose market time has come. Prices can be shocked (admin "jump"), which
 * scales everything after the shock, so stops can be gapped through on demand.
 */
export class MarketFeed extends EventEmitter<FeedEvents> {
  private readonly cursors = new Map<string, SymbolCursor>();
  private timer: NodeJS.Timeout | undefined;
  paused = false;
  private stepping = false;
  ticksEmitted = 0;

  constructor(
    private readonly model: MarketModel,
    private readonly clock: Clock,
    private readonly ticksPerBar: number,
    private readonly priceFactors: Map<string, number>,
  ) {
    super();
  }

  /** Ticks per minute bar so that each symbol streams a few ticks per REAL second at any speed. */
  static ticksPerBarFor(speed: number): number {
    return Math.max(4, Math.min(60, Math.round(480 / speed)));
  }

  /**
   * Real ms between steps: each step releases the ticks whose market time has come, so a step should cover
   * about a market second at most. At high speed a 10 ms step would release a burst of trades at once,
   * and the first of them would wait for the whole burst to be matched and encoded before going out.
   */
  static stepMsFor(speed: number): number {
    return Math.max(2, Math.min(10, Math.round(1_000 / speed)));
  }

  start(stepMs = MarketFeed.stepMsFor(this.clock.speed)): void {
    this.step();
    this.timer = setInterval(() => this.step(), stepMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  hasSymbol(symbol: string): boolean {
    return this.model.hasSymbol(symbol);
  }

  /**
   * The state of a symbol as of the last step (at most one step interval old). It never advances the
   * stream itself: matching runs inside trade events, and advancing from there would re-enter the stream.
   */
  snapshot(symbol: string): MarketSnapshot {
    const cursor = this.cursorFor(symbol);
    if (cursor.day === undefined) this.loadDay(symbol, cursor, tradingDayOf(this.clock.now()));
    return cursor.snapshot;
  }

  step(): void {
    if (this.paused || this.stepping) return;
    this.stepping = true;
    try {
      const nowMs = this.clock.now();
      const day = tradingDayOf(nowMs); // once per step: luxon time zone math costs ~30 µs a call
      for (const info of this.model.universe) this.advance(info.symbol, this.cursorFor(info.symbol), nowMs, day);
    } finally {
      this.stepping = false;
    }
  }

  /** Shock a symbol's price by `pct` percent from now on (admin fault "jump"). */
  jump(symbol: string, pct: number): MarketSnapshot {
    const factor = (this.priceFactors.get(symbol) ?? 1) * (1 + pct / 100);
    this.priceFactors.set(symbol, factor);
    const cursor = this.cursorFor(symbol);
    const scale = 1 + pct / 100;
    const s = cursor.snapshot;
    const last = round(s.last * scale);
    const quote = this.model.quote(symbol, last / factor, this.clock.now());
    Object.assign(s, { last, lastSize: 100, bid: round(quote.bid * factor), ask: round(quote.ask * factor), bidSize: quote.bidSize, askSize: quote.askSize, high: Math.max(s.high, last), low: s.low > 0 ? Math.min(s.low, last) : last, timeMs: this.clock.now(), emittedAtRealMs: performance.timeOrigin + performance.now() });
    this.emit('trade', symbol, s, true);
    return s;
  }

  private cursorFor(symbol: string): SymbolCursor {
    let cursor = this.cursors.get(symbol);
    if (!cursor) {
      cursor = { day: undefined, bars: [], barIndex: 0, ticks: undefined, tickIndex: 0, snapshot: emptySnapshot(symbol) };
      this.cursors.set(symbol, cursor);
    }
    return cursor;
  }

  private advance(symbol: string, cursor: SymbolCursor, nowMs: number, day: string): void {
    if (cursor.day !== day) this.loadDay(symbol, cursor, day);
    const factor = this.priceFactors.get(symbol) ?? 1;
    while (cursor.barIndex < cursor.bars.length) {
      const bar = cursor.bars[cursor.barIndex]!;
      if (bar.startMs > nowMs) return;
      if (nowMs - bar.startMs > CATCH_UP_AFTER_MS && cursor.tickIndex === 0) {
        this.fastForward(symbol, cursor, bar, factor);
        cursor.barIndex += 1;
        continue;
      }
      const ticks = (cursor.ticks ??= this.model.ticksForBar(symbol, bar, this.ticksPerBar));
      while (cursor.tickIndex < ticks.length) {
        const tick = ticks[cursor.tickIndex]!;
        const tickMs = bar.startMs + tick.offsetMs;
        if (tickMs > nowMs) return;
        this.applyTrade(symbol, cursor.snapshot, round(tick.price * factor), tick.size, tickMs, factor, true);
        cursor.tickIndex += 1;
      }
      cursor.barIndex += 1;
      cursor.tickIndex = 0;
      cursor.ticks = undefined;
    }
  }

  private loadDay(symbol: string, cursor: SymbolCursor, day: string): void {
    const factor = this.priceFactors.get(symbol) ?? 1;
    const previousClose = round(this.model.previousClose(symbol, day) * factor);
    const hours = sessionHours(day);
    cursor.day = day;
    cursor.bars = hours ? this.model.minuteBars(symbol, day) : [];
    cursor.barIndex = 0;
    cursor.tickIndex = 0;
    cursor.ticks = undefined;
    const quote = this.model.quote(symbol, previousClose / factor, hours?.preMarketOpenMs ?? this.clock.now());
    cursor.snapshot = {
      symbol, last: previousClose, lastSize: 0, bid: round(quote.bid * factor), ask: round(quote.ask * factor), bidSize: quote.bidSize, askSize: quote.askSize,
      volume: 0, high: 0, low: 0, open: 0, previousClose, timeMs: hours?.preMarketOpenMs ?? 0,
    };
  }

  /** A minute missed while catching up: its extremes still trigger stops and limits, in a plausible order. */
  private fastForward(symbol: string, cursor: SymbolCursor, bar: MinuteBar, factor: number): void {
    const path = bar.close >= bar.open ? [bar.open, bar.low, bar.high, bar.close] : [bar.open, bar.high, bar.low, bar.close];
    const share = Math.max(1, Math.floor(bar.volume / path.length));
    for (const price of path) this.applyTrade(symbol, cursor.snapshot, round(price * factor), share, bar.startMs + 59_000, factor, false);
  }

  private applyTrade(symbol: string, s: MarketSnapshot, price: number, size: number, timeMs: number, factor: number, live: boolean): void {
    const quote = this.model.quote(symbol, price / factor, timeMs);
    s.last = price;
    s.lastSize = size;
    s.bid = Math.min(round(quote.bid * factor), price);
    s.ask = Math.max(round(quote.ask * factor), price);
    if (s.ask <= s.bid) s.ask = round(s.bid + 0.01);
    s.bidSize = quote.bidSize;
    s.askSize = quote.askSize;
    s.volume += size;
    if (s.open === 0) s.open = s.high = s.low = price;
    s.high = Math.max(s.high, price);
    s.low = Math.min(s.low, price);
    s.timeMs = timeMs;
    if (live) {
      this.ticksEmitted += 1;
      s.emittedAtRealMs = performance.timeOrigin + performance.now();
    }
    this.emit('trade', symbol, s, live);
  }
}

function emptySnapshot(symbol: string): MarketSnapshot {
  return { symbol, last: 0, lastSize: 0, bid: 0, ask: 0, bidSize: 0, askSize: 0, volume: 0, high: 0, low: 0, open: 0, previousClose: 0, timeMs: 0 };
}

function round(price: number): number {
  return Math.round(price * 100) / 100;
}
