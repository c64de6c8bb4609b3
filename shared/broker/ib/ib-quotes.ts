import { EventName, type Contract, type IBApi } from './ib-client';
import type { Logger } from '../../log/logger';
import type { MarketDataState, Quote, Unsubscribe } from '../types';
import { MARKET_DATA_ADVISORIES, MARKET_DATA_DELAYED, MARKET_DATA_LIVE, NO_DELAYED_DATA, NO_LIVE_SUBSCRIPTION } from './ib-mapping';

export type MarketDataMode = 'live' | 'delayed' | 'auto';

interface QuoteSubscription {
  symbol: string;
  tickerId: number;
  quote: Quote;
  listeners: Set<(quote: Quote) => void>;
}

export interface IbQuotesOptions {
  mode: MarketDataMode;
  newTickerId: () => number;
  /** How a market-data request goes out (paced behind orders: see RequestPacer). */
  send: (request: () => void) => void;
  contractFor: (symbol: string) => Contract;
  onStateChanged: (state: MarketDataState, code?: number, message?: string) => void;
  log: Logger;
}

/** How often subscriptions are retried while the account gives no data at all (it may be enabled meanwhile). */
const UNAVAILABLE_RETRY_MS = 60_000;

/**
 * Streaming quotes with the market data the account really has. `live` asks for real-time data only;
 * `delayed` asks for IB's 15-minute delayed data (reqMarketDataType 3, tick types 66-76); `auto` asks for
 * live and, on the first "not subscribed, delayed available" (354 / 10089), switches the connection to
 * delayed and resubscribes everything. "Delayed not enabled" (10168) makes the state `unavailable`, said
 * once through onStateChanged and retried every minute.
 */
export class IbQuotes {
  private readonly bySymbol = new Map<string, QuoteSubscription>();
  private readonly byTicker = new Map<number, QuoteSubscription>();
  private ib: IBApi | undefined;
  private dataType: number;
  private currentState: MarketDataState;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: IbQuotesOptions) {
    this.dataType = options.mode === 'delayed' ? MARKET_DATA_DELAYED : MARKET_DATA_LIVE;
    this.currentState = 'unknown';
  }

  get state(): MarketDataState {
    return this.currentState;
  }

  /** A new connection: its listeners, the data type, and every subscription again. */
  attach(ib: IBApi): void {
    this.ib = ib;
    ib.on(EventName.tickPrice, (tickerId: number, field: number, value: number) => this.onTick(tickerId, field, value));
    ib.on(EventName.tickSize, (tickerId: number, field?: number, value?: number) => {
      if (field !== undefined && value !== undefined) this.onTick(tickerId, field, value);
    });
    ib.on(EventName.tickString, (tickerId: number, field: number, value: string) => {
      if (field !== 48) return; // RT_VOLUME "price;size;time;volume;vwap;single"
      const subscription = this.byTicker.get(tickerId);
      const stamp = Number(value.split(';')[2]);
      if (subscription && Number.isFinite(stamp)) subscription.quote.tradeStamp = stamp;
    });
    if (this.dataType !== MARKET_DATA_LIVE) this.options.send(() => ib.reqMarketDataType(this.dataType));
    this.resubscribeAll();
  }

  detach(): void {
    this.ib = undefined;
  }

  /** 1101 (connectivity restored, data lost): every subscription must be renewed. */
  resubscribeAll(): void {
    for (const subscription of this.bySymbol.values()) this.request(subscription);
  }

  subscribe(symbol: string, listener: (quote: Quote) => void): Unsubscribe {
    let subscription = this.bySymbol.get(symbol);
    if (!subscription) {
      subscription = { symbol, tickerId: 0, quote: { symbol, receivedAtMs: 0 }, listeners: new Set() };
      this.bySymbol.set(symbol, subscription);
      this.request(subscription);
    }
    subscription.listeners.add(listener);
    const current = subscription;
    // A late subscriber gets the quote already known instead of waiting for the next trade.
    if (current.quote.receivedAtMs > 0) setImmediate(() => current.listeners.has(listener) && listener(current.quote));
    return () => {
      current.listeners.delete(listener);
      if (current.listeners.size > 0) return;
      this.bySymbol.delete(symbol);
      this.byTicker.delete(current.tickerId);
      const ib = this.ib;
      if (ib) this.options.send(() => ib.cancelMktData(current.tickerId));
    };
  }

  /** Handles an error whose id is one of our tickers; false when the id is not a ticker. */
  onError(tickerId: number, code: number, message: string): boolean {
    const subscription = this.byTicker.get(tickerId);
    if (!subscription) return false;
    if (MARKET_DATA_ADVISORIES.has(code)) {
      this.options.log.debug('market_data_advisory', { symbol: subscription.symbol, code, message });
      return true;
    }
    if (NO_LIVE_SUBSCRIPTION.has(code)) {
      if (this.options.mode === 'auto' && this.dataType === MARKET_DATA_LIVE) {
        this.options.log.warn('market_data_falling_back_to_delayed', { symbol: subscription.symbol, code, message, what: 'the account has no real-time subscription; using IB\'s 15-minute delayed data' });
        this.dataType = MARKET_DATA_DELAYED;
        this.setState('delayed', code, message);
        const ib = this.ib;
        if (ib) this.options.send(() => ib.reqMarketDataType(MARKET_DATA_DELAYED));
        this.resubscribeAll();
      } else if (this.options.mode === 'live') {
        this.setState('unavailable', code, `${message} (MARKET_DATA_TYPE=live: set it to auto or delayed to trade on delayed data)`);
        this.scheduleRetry();
      }
      return true;
    }
    if (code === NO_DELAYED_DATA) {
      this.setState('unavailable', code, message);
      this.scheduleRetry();
      return true;
    }
    this.options.log.warn('market_data_error', { symbol: subscription.symbol, code, message });
    return true;
  }

  private request(subscription: QuoteSubscription): void {
    const ib = this.ib;
    if (subscription.tickerId) {
      this.byTicker.delete(subscription.tickerId);
      const previous = subscription.tickerId;
      if (ib) this.options.send(() => ib.cancelMktData(previous));
    }
    subscription.tickerId = this.options.newTickerId();
    this.byTicker.set(subscription.tickerId, subscription);
    const tickerId = subscription.tickerId;
    if (ib) this.options.send(() => ib.reqMktData(tickerId, this.options.contractFor(subscription.symbol), '233', false, false));
  }

  private setState(state: MarketDataState, code?: number, message?: string): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.options.onStateChanged(state, code, message);
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.currentState === 'unavailable' && this.ib) this.resubscribeAll();
    }, UNAVAILABLE_RETRY_MS);
    this.retryTimer.unref();
  }

  private onTick(tickerId: number, field: number, value: number): void {
    const subscription = this.byTicker.get(tickerId);
    if (!subscription) return;
    const q = subscription.quote;
    // IB tick types: 0 bid size, 1 bid, 2 ask, 3 ask size, 4 last, 5 last size, 6 high, 7 low, 8 volume, 9 close,
    // 14 open; their delayed twins are 66-76 (delayed bid, ask, last, bid size, ask size, last size, high, low,
    // volume, close, open).
    const delayed = field >= 66 && field <= 76;
    switch (delayed ? DELAYED_TO_LIVE[field - 66] : field) {
      case 0: q.bidSize = value; break;
      case 1: q.bid = value > 0 ? value : undefined; break;
      case 2: q.ask = value > 0 ? value : undefined; break;
      case 3: q.askSize = value; break;
      case 4: q.last = value; break;
      case 5: q.lastSize = value; break;
      case 6: q.high = value; break;
      case 7: q.low = value; break;
      case 8: q.volume = value; break;
      case 9: q.previousClose = value; break;
      case 14: q.open = value; break;
      default: return;
    }
    q.delayed = delayed;
    q.receivedAtMs = Date.now();
    // The data itself says what the account gets (a delayed-only account answers live requests with errors).
    if (delayed && this.currentState !== 'delayed') this.setState('delayed');
    if (!delayed && this.currentState !== 'live' && (field === 1 || field === 2 || field === 4)) this.setState('live');
    // One callback per price change (bid, ask, last), not per size tick.
    if (field === 4 || field === 1 || field === 2 || field === 66 || field === 67 || field === 68) for (const listener of subscription.listeners) listener(q);
  }
}

/** 66..76 → the live tick type each delayed one stands for. */
const DELAYED_TO_LIVE = [1, 2, 4, 0, 3, 5, 6, 7, 8, 9, 14] as const;
