import { BrokerEngine, type MarketAccess } from '../../../../apps/sim-gateway/engine/broker-engine';
import type { MarketSnapshot, SimExecution, SimOrder, SimPosition } from '../../../../apps/sim-gateway/engine/types';
import type { PlacedOrder } from '../../../../apps/sim-gateway/protocol/client-order-types';
import { BrokerStore } from '../../../../apps/sim-gateway/state/broker-store';
import { ManualClock } from '../../../../shared/time/clock';
import { newYorkTime } from '../../../../shared/time/trading-calendar';
import { makeTempDir } from '../../../helpers/temp-dir';

/** A regular-session Monday with no holiday around it. */
export const TRADING_DAY = '2026-11-23';

/** The market as the test sets it: one snapshot per symbol, changed by hand, then `engine.onMarketUpdate`. */
export class HandMarket implements MarketAccess {
  private readonly snapshots = new Map<string, MarketSnapshot>();

  constructor(private readonly clock: ManualClock) {}

  hasSymbol(symbol: string): boolean {
    return this.snapshots.has(symbol);
  }

  snapshot(symbol: string): MarketSnapshot {
    const snapshot = this.snapshots.get(symbol);
    if (!snapshot) throw new Error(`test market has no ${symbol}`);
    return snapshot;
  }

  /** Sets (or changes) a symbol's quote and last trade. */
  set(symbol: string, fields: Partial<MarketSnapshot>): void {
    const current = this.snapshots.get(symbol) ?? {
      symbol, last: 0, lastSize: 100, bid: 0, ask: 0, bidSize: 10_000, askSize: 10_000, volume: 0, high: 0, low: 0, open: 0, previousClose: 0, timeMs: 0,
    };
    this.snapshots.set(symbol, { ...current, ...fields, timeMs: this.clock.now() });
  }
}

export interface OrderError {
  clientId: number;
  orderId: number;
  code: number;
  message: string;
}

/** A BrokerEngine on a temp BrokerStore, a ManualClock and a HandMarket, with every event recorded as a copy. */
export class EngineHarness {
  readonly clock: ManualClock;
  readonly market: HandMarket;
  readonly orderEvents: SimOrder[] = [];
  readonly executions: SimExecution[] = [];
  readonly positionEvents: SimPosition[] = [];
  readonly errors: OrderError[] = [];
  store: BrokerStore;
  engine: BrokerEngine;
  private readonly startingCash: number;
  /** IB's rule for an order joining an OCA group that already traded (the realistic profile's switch). */
  lateOcaJoinRules = false;
  private readonly temp = makeTempDir('engine');

  constructor(options: { at?: number; startingCash?: number } = {}) {
    this.clock = new ManualClock(options.at ?? newYorkTime(TRADING_DAY, '10:00'));
    this.market = new HandMarket(this.clock);
    this.store = new BrokerStore(this.temp.dir);
    this.startingCash = options.startingCash ?? 100_000;
    this.engine = this.newEngine();
  }

  get stateDir(): string {
    return this.temp.dir;
  }

  /** A fresh engine on a freshly opened store of the same folder: what a gateway restart does. */
  reopen(): BrokerEngine {
    this.store.close();
    this.store = new BrokerStore(this.temp.dir);
    this.engine = this.newEngine();
    return this.engine;
  }

  close(): void {
    this.store.close();
    this.temp.cleanup();
  }

  /** Sets the quote of a symbol and tells the engine, as the feed does on every trade. */
  tick(symbol: string, fields: Partial<MarketSnapshot>): void {
    this.market.set(symbol, fields);
    this.engine.onMarketUpdate(symbol);
  }

  place(clientId: number, orderId: number, symbol: string, fields: Partial<PlacedOrder>) {
    return this.engine.placeOrder(clientId, orderId, symbol, placed(fields));
  }

  /** The engine's current order (the live object), by client and order id. */
  order(clientId: number, orderId: number): SimOrder {
    const order = this.engine.getOrders().find((o) => o.clientId === clientId && o.orderId === orderId);
    if (!order) throw new Error(`no order ${clientId}:${orderId}`);
    return order;
  }

  fillsOf(orderId: number, clientId = 1): Array<{ shares: number; price: number }> {
    return this.executions.filter((e) => e.orderId === orderId && e.clientId === clientId).map((e) => ({ shares: e.shares, price: e.price }));
  }

  statusesOf(orderId: number, clientId = 1): string[] {
    const statuses: string[] = [];
    for (const o of this.orderEvents) {
      if (o.orderId === orderId && o.clientId === clientId && statuses[statuses.length - 1] !== o.status) statuses.push(o.status);
    }
    return statuses;
  }

  private newEngine(): BrokerEngine {
    const engine = new BrokerEngine(this.store, this.market, this.clock, { accountId: 'DU1234567', startingCash: this.startingCash, buyingPowerMultiple: 4, lateOcaJoinRules: () => this.lateOcaJoinRules });
    engine.on('order', (o) => this.orderEvents.push({ ...o }));
    engine.on('execution', (e) => this.executions.push({ ...e }));
    engine.on('position', (p) => this.positionEvents.push({ ...p }));
    engine.on('orderError', (e) => this.errors.push({ ...e }));
    return engine;
  }
}

/** A PlacedOrder as the decoder produces it for an ordinary stock order, with the given fields. */
export function placed(fields: Partial<PlacedOrder>): PlacedOrder {
  const base = {
    action: 'BUY', totalQuantity: 100, orderType: 'MKT', lmtPrice: undefined, auxPrice: undefined, tif: 'DAY', ocaGroup: '', ocaType: undefined,
    orderRef: '', transmit: true, parentId: 0, outsideRth: false, trailStopPrice: undefined, trailingPercent: undefined,
  };
  return { ...base, ...fields } as unknown as PlacedOrder;
}

export function at(hhmm: string, day = TRADING_DAY): number {
  return newYorkTime(day, hhmm);
}
