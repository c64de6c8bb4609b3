import { EventEmitter } from 'node:events';
import { EventName, ScanCode as IbScanCode, type Contract, type ContractDetails, type Execution as IbExecution, type IBApi, type Order, type OrderState, type CommissionReport } from './ib-client';
import { BrokerUnavailable } from '../../errors/errors';
import type { Logger } from '../../log/logger';
import type {
  AccountSummary, Bar, BarSize, BrokerOrder, BrokerPort, BrokerPosition, ConnectInfo, ConnectionEvent, Execution, OrderEvent,
  OrderId, OrderRequest, Quote, ScanCode, Unsubscribe,
} from '../types';
import { asOrderId } from '../types';
import { IbConnection } from './ib-connection';
import { CONNECTIVITY_RESTORED_DATA_LOST, orderErrorMeaning, parseBarTime, parseExecutionTime, stockContract, toIbOrder, toOrderStatus } from './ib-mapping';
import { BrokerRequestError, PendingRequests } from './pending-requests';

export interface IbAdapterOptions {
  host: string;
  port: number;
  clientId: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  livenessIntervalMs: number;
  livenessTimeoutMs: number;
  reconnectMaxDelayMs: number;
  maxRequestsPerSecond?: number;
  log: Logger;
  /** Persisted order-id high-water mark: never send an id at or below one used before (IB ids are not durable). */
  orderIds: { reserve(clientId: number, brokerNextValidId: number, count?: number): number };
  verifyAccounts?: (accounts: string[]) => string | undefined;
}

interface OrderMeta {
  ref: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  announced: boolean;
  cancelled: boolean;
}

interface QuoteSubscription {
  tickerId: number;
  quote: Quote;
  listeners: Set<(quote: Quote) => void>;
}

type AdapterEvents = { order: [OrderEvent]; connection: [ConnectionEvent]; position: [BrokerPosition] };

const ID_BLOCK_SIZE = 50;

/** Request ids far above order ids: IBApiNext ends a subscription whose id equals an erroring order id. */
const FIRST_REQUEST_ID = 50_000_000;

/** The broker port over the unmodified `@stoqey/ib` IBApi. The only file that speaks IB's vocabulary. */
export class IbBrokerAdapter implements BrokerPort {
  readonly clientId: number;
  private readonly connection: IbConnection;
  private readonly events = new EventEmitter<AdapterEvents>();
  private readonly pending = new PendingRequests();
  private readonly orders = new Map<number, OrderMeta>();
  private readonly quotes = new Map<string, QuoteSubscription>();
  private readonly quotesByTicker = new Map<number, QuoteSubscription>();
  private nextRequestId = FIRST_REQUEST_ID;
  private nextOrderId = 0;
  /** Ids reserved in the DB and not used yet: [next, end]. */
  private idBlock: { next: number; end: number } | undefined;
  private info: ConnectInfo | undefined;
  private positionsInFlight: Promise<BrokerPosition[]> | undefined;
  private openOrdersInFlight = new Map<'own' | 'all', Promise<BrokerOrder[]>>();

  constructor(private readonly options: IbAdapterOptions) {
    this.clientId = options.clientId;
    this.events.setMaxListeners(100);
    this.connection = new IbConnection({ ...options, maxRequestsPerSecond: options.maxRequestsPerSecond ?? 50 });
    this.connection.on('ready', (ib, info) => this.onReady(ib, info));
    this.connection.on('lost', (reason) => {
      this.pending.failAll(() => new BrokerUnavailable(`connection lost (${reason}) before the answer arrived`));
      this.events.emit('connection', { kind: 'disconnected', reason });
    });
  }

  async connect(): Promise<ConnectInfo> {
    await this.connection.start();
    return this.info!;
  }

  async disconnect(): Promise<void> {
    this.connection.stop();
  }

  isConnected(): boolean {
    return this.connection.isReady;
  }

  onOrderEvent(listener: (event: OrderEvent) => void): Unsubscribe {
    this.events.on('order', listener);
    return () => this.events.off('order', listener);
  }

  onConnectionEvent(listener: (event: ConnectionEvent) => void): Unsubscribe {
    this.events.on('connection', listener);
    return () => this.events.off('connection', listener);
  }

  onPositionUpdate(listener: (position: BrokerPosition) => void): Unsubscribe {
    this.events.on('position', listener);
    return () => this.events.off('position', listener);
  }

  private requireApi(action: string): IBApi {
    const ib = this.connection.api;
    if (!ib) throw new BrokerUnavailable(`not connected to the gateway: ${action} was NOT sent (it is never queued for later)`);
    return ib;
  }

  async placeOrder(request: OrderRequest): Promise<OrderId> {
    const ib = this.requireApi(`order ${request.orderRef}`);
    const id = this.nextId();
    this.orders.set(id, { ref: request.orderRef, symbol: request.symbol, side: request.side, announced: false, cancelled: false });
    ib.placeOrder(id, stockContract(request.symbol), toIbOrder(request, request.parentOrderId));
    return asOrderId(id);
  }

  async modifyOrder(orderId: OrderId, request: OrderRequest): Promise<void> {
    const ib = this.requireApi(`modification of order ${orderId}`);
    ib.placeOrder(orderId, stockContract(request.symbol), toIbOrder(request, request.parentOrderId));
  }

  async cancelOrder(orderId: OrderId): Promise<void> {
    this.requireApi(`cancel of order ${orderId}`).cancelOrder(orderId);
  }

  async globalCancel(): Promise<void> {
    this.requireApi('global cancel').reqGlobalCancel();
  }

  positions(): Promise<BrokerPosition[]> {
    // One request at a time: IB answers REQ_POSITIONS with one stream and one end marker per client.
    this.positionsInFlight ??= this.collectPositions().finally(() => (this.positionsInFlight = undefined));
    return this.positionsInFlight;
  }

  private collectPositions(): Promise<BrokerPosition[]> {
    const ib = this.requireApi('positions query');
    const reqId = this.newRequestId();
    return this.pending.track<BrokerPosition[]>(reqId, this.options.requestTimeoutMs, 'positions query', (resolve) => {
      const rows = new Map<string, BrokerPosition>();
      const onPosition = (account: string, contract: Contract, quantity: number, averageCost?: number) => {
        if (contract.symbol) rows.set(contract.symbol, { symbol: contract.symbol, quantity, averageCost: averageCost ?? 0, account });
      };
      const onEnd = () => {
        ib.off(EventName.position, onPosition);
        ib.off(EventName.positionEnd, onEnd);
        resolve([...rows.values()].filter((p) => p.quantity !== 0));
      };
      ib.on(EventName.position, onPosition);
      ib.on(EventName.positionEnd, onEnd);
      ib.reqPositions();
    });
  }

  openOrders(scope: 'own' | 'all'): Promise<BrokerOrder[]> {
    let inFlight = this.openOrdersInFlight.get(scope);
    if (!inFlight) {
      inFlight = this.collectOpenOrders(scope).finally(() => this.openOrdersInFlight.delete(scope));
      this.openOrdersInFlight.set(scope, inFlight);
    }
    return inFlight;
  }

  private collectOpenOrders(scope: 'own' | 'all'): Promise<BrokerOrder[]> {
    const ib = this.requireApi('open orders query');
    const reqId = this.newRequestId();
    return this.pending.track<BrokerOrder[]>(reqId, this.options.requestTimeoutMs, 'open orders query', (resolve) => {
      const rows = new Map<number, BrokerOrder>();
      const onOpen = (orderId: number, contract: Contract, order: Order, state: OrderState) => {
        const key = order.permId ?? orderId;
        rows.set(key, {
          orderId: asOrderId(orderId), clientId: order.clientId ?? this.clientId, permId: order.permId ?? 0, orderRef: order.orderRef ?? '',
          symbol: contract.symbol ?? '', side: order.action === 'SELL' ? 'SELL' : 'BUY', type: String(order.orderType ?? ''),
          quantity: Number(order.totalQuantity ?? 0), limitPrice: order.lmtPrice, stopPrice: order.auxPrice, trailingPercent: order.trailingPercent,
          trailStopPrice: order.trailStopPrice, ocaGroup: order.ocaGroup || undefined, parentOrderId: order.parentId || undefined,
          status: toOrderStatus(state.status), filledQuantity: Number(order.filledQuantity ?? 0), remainingQuantity: Number(order.totalQuantity ?? 0) - Number(order.filledQuantity ?? 0),
        });
      };
      const onStatus = (orderId: number, status: string, filled: number, remaining: number, avgFillPrice: number, permId?: number) => {
        const row = [...rows.values()].find((r) => (permId && r.permId === permId) || r.orderId === orderId);
        if (row) Object.assign(row, { status: toOrderStatus(status), filledQuantity: filled, remainingQuantity: remaining, avgFillPrice: avgFillPrice || undefined });
      };
      const onEnd = () => {
        ib.off(EventName.openOrder, onOpen);
        ib.off(EventName.orderStatus, onStatus);
        ib.off(EventName.openOrderEnd, onEnd);
        resolve([...rows.values()].filter((r) => r.status !== 'Filled' && r.status !== 'Cancelled' && r.status !== 'ApiCancelled' && r.status !== 'Inactive'));
      };
      ib.on(EventName.openOrder, onOpen);
      ib.on(EventName.orderStatus, onStatus);
      ib.on(EventName.openOrderEnd, onEnd);
      if (scope === 'own') ib.reqOpenOrders();
      else ib.reqAllOpenOrders();
    });
  }

  executions(filter: { sinceMs?: number; symbol?: string; clientId?: number } = {}): Promise<Execution[]> {
    const ib = this.requireApi('executions query');
    const reqId = this.newRequestId();
    return this.pending.track<Execution[]>(reqId, this.options.requestTimeoutMs, 'executions query', (resolve) => {
      const rows = new Map<string, Execution>();
      const onExec = (id: number, contract: Contract, execution: IbExecution) => {
        if (id !== reqId) return;
        const row = this.toExecution(contract, execution);
        rows.set(row.execId, { ...row, commission: rows.get(row.execId)?.commission });
      };
      const onCommission = (report: CommissionReport) => {
        const row = report.execId ? rows.get(report.execId) : undefined;
        if (row) Object.assign(row, { commission: report.commission, realizedPnl: report.realizedPNL });
      };
      const onEnd = (id: number) => {
        if (id !== reqId) return;
        ib.off(EventName.execDetails, onExec);
        ib.off(EventName.execDetailsEnd, onEnd);
        // Commission reports follow each execution in the same burst; give the socket one turn to deliver the last.
        setImmediate(() => {
          ib.off(EventName.commissionReport, onCommission);
          resolve([...rows.values()].sort((a, b) => a.timeMs - b.timeMs || a.execId.localeCompare(b.execId)));
        });
      };
      ib.on(EventName.execDetails, onExec);
      ib.on(EventName.commissionReport, onCommission);
      ib.on(EventName.execDetailsEnd, onEnd);
      const time = filter.sinceMs ? new Date(filter.sinceMs).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 17) : '';
      ib.reqExecutions(reqId, { clientId: filter.clientId as unknown as string, symbol: filter.symbol, time });
    });
  }

  subscribeQuotes(symbol: string, listener: (quote: Quote) => void): Unsubscribe {
    let subscription = this.quotes.get(symbol);
    if (!subscription) {
      subscription = { tickerId: this.newRequestId(), quote: { symbol, receivedAtMs: 0 }, listeners: new Set() };
      this.quotes.set(symbol, subscription);
      this.quotesByTicker.set(subscription.tickerId, subscription);
      this.connection.api?.reqMktData(subscription.tickerId, stockContract(symbol), '233', false, false);
    }
    subscription.listeners.add(listener);
    const current = subscription;
    // A late subscriber gets the quote already known instead of waiting for the next trade.
    if (current.quote.receivedAtMs > 0) setImmediate(() => current.listeners.has(listener) && listener(current.quote));
    return () => {
      current.listeners.delete(listener);
      if (current.listeners.size > 0) return;
      this.quotes.delete(symbol);
      this.quotesByTicker.delete(current.tickerId);
      this.connection.api?.cancelMktData(current.tickerId);
    };
  }

  historicalBars(symbol: string, options: { barSize: BarSize; duration: string; useRth?: boolean; endMs?: number }): Promise<Bar[]> {
    const ib = this.requireApi('historical data request');
    const reqId = this.newRequestId();
    return this.pending.track<Bar[]>(reqId, this.options.requestTimeoutMs, `historical bars for ${symbol}`, (resolve) => {
      const bars: Bar[] = [];
      const onBar = (id: number, time: string, open: number, high: number, low: number, close: number, volume: number) => {
        if (id !== reqId) return;
        if (time.startsWith('finished')) {
          ib.off(EventName.historicalData, onBar);
          resolve(bars);
          return;
        }
        bars.push({ timeMs: parseBarTime(time), open, high, low, close, volume });
      };
      ib.on(EventName.historicalData, onBar);
      const end = options.endMs ? `${new Date(options.endMs).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 17)}` : '';
      ib.reqHistoricalData(reqId, stockContract(symbol), end, options.duration, options.barSize as never, 'TRADES' as never, options.useRth ? 1 : 0, 2, false);
    });
  }

  scan(scanCode: ScanCode, options: { rows?: number; abovePrice?: number; belowPrice?: number; aboveVolume?: number } = {}): Promise<string[]> {
    const ib = this.requireApi('scanner request');
    const reqId = this.newRequestId();
    return this.pending.track<string[]>(reqId, this.options.requestTimeoutMs, `scanner ${scanCode}`, (resolve) => {
      const rows: Array<{ rank: number; symbol: string }> = [];
      const onRow = (id: number, rank: number, details: ContractDetails) => {
        if (id === reqId && details.contract?.symbol) rows.push({ rank, symbol: details.contract.symbol });
      };
      const onEnd = (id: number) => {
        if (id !== reqId) return;
        ib.off(EventName.scannerData, onRow);
        ib.off(EventName.scannerDataEnd, onEnd);
        ib.cancelScannerSubscription(reqId);
        resolve(rows.sort((a, b) => a.rank - b.rank).map((r) => r.symbol));
      };
      ib.on(EventName.scannerData, onRow);
      ib.on(EventName.scannerDataEnd, onEnd);
      ib.reqScannerSubscription(reqId, {
        numberOfRows: options.rows ?? 20, instrument: 'STK' as never, locationCode: 'STK.US.MAJOR' as never, scanCode: IbScanCode[scanCode], // the encoder sends ScanCode[value]: pass the enum number, not the name
        abovePrice: options.abovePrice, belowPrice: options.belowPrice, aboveVolume: options.aboveVolume,
      });
    });
  }

  accountSummary(): Promise<AccountSummary> {
    const ib = this.requireApi('account summary request');
    const reqId = this.newRequestId();
    return this.pending.track<AccountSummary>(reqId, this.options.requestTimeoutMs, 'account summary', (resolve) => {
      const values: Record<string, string> = {};
      let accountId = '';
      const onValue = (id: number, account: string, tag: string, value: string) => {
        if (id !== reqId) return;
        values[tag] = value;
        accountId = account;
      };
      const onEnd = (id: number) => {
        if (id !== reqId) return;
        ib.off(EventName.accountSummary, onValue);
        ib.off(EventName.accountSummaryEnd, onEnd);
        ib.cancelAccountSummary(reqId);
        const n = (tag: string) => Number(values[tag] ?? 0);
        resolve({
          accountId, netLiquidation: n('NetLiquidation'), totalCash: n('TotalCashValue'), buyingPower: n('BuyingPower'),
          grossPositionValue: n('GrossPositionValue'), availableFunds: n('AvailableFunds'), realizedPnl: n('RealizedPnL'), unrealizedPnl: n('UnrealizedPnL'),
        });
      };
      ib.on(EventName.accountSummary, onValue);
      ib.on(EventName.accountSummaryEnd, onEnd);
      ib.reqAccountSummary(reqId, 'All', 'NetLiquidation,TotalCashValue,BuyingPower,GrossPositionValue,AvailableFunds,RealizedPnL,UnrealizedPnL');
    });
  }

  currentTime(): Promise<number> {
    const ib = this.requireApi('current time request');
    const reqId = this.newRequestId();
    return this.pending.track<number>(reqId, this.options.requestTimeoutMs, 'current time', (resolve) => {
      ib.once(EventName.currentTime, (seconds: number) => resolve(seconds * 1000));
      ib.reqCurrentTime();
    });
  }

  /** The next order id from the reserved block; a new block of 50 is reserved (one DB write) when it runs out. */
  private nextId(): number {
    if (!this.idBlock || this.idBlock.next > this.idBlock.end || this.idBlock.next < this.nextOrderId) {
      const first = this.options.orderIds.reserve(this.clientId, this.nextOrderId, ID_BLOCK_SIZE);
      this.idBlock = { next: first, end: first + ID_BLOCK_SIZE - 1 };
    }
    const id = this.idBlock.next++;
    this.nextOrderId = id + 1;
    return id;
  }

  private newRequestId(): number {
    return this.nextRequestId++;
  }

  private toExecution(contract: Contract, execution: IbExecution): Execution {
    return {
      execId: execution.execId ?? '',
      orderId: asOrderId(execution.orderId ?? 0),
      clientId: execution.clientId ?? 0,
      permId: execution.permId ?? 0,
      orderRef: execution.orderRef ?? '',
      symbol: contract.symbol ?? '',
      side: execution.side === 'SLD' || execution.side === 'SELL' ? 'SELL' : 'BUY',
      quantity: Number(execution.shares ?? 0),
      price: execution.price ?? 0,
      cumulativeQuantity: Number(execution.cumQty ?? 0),
      avgPrice: execution.avgPrice ?? 0,
      timeMs: parseExecutionTime(execution.time, Date.now()),
    };
  }

  /** Wires a freshly connected IBApi: order events, positions stream, quotes (resubscribed), notices. */
  private onReady(ib: IBApi, info: { accounts: string[]; nextValidId: number; serverVersion: number }): void {
    this.nextOrderId = Math.max(this.nextOrderId, info.nextValidId);
    this.info = info;
    const orderMeta = (orderId: number, ref?: string, symbol?: string, side?: 'BUY' | 'SELL'): OrderMeta => {
      let meta = this.orders.get(orderId);
      if (!meta) {
        meta = { ref: ref ?? '', symbol: symbol ?? '', side: side ?? 'BUY', announced: false, cancelled: false };
        this.orders.set(orderId, meta);
      } else if (ref && !meta.ref) meta.ref = ref;
      return meta;
    };
    const emit = (event: OrderEvent) => this.events.emit('order', event);

    ib.on(EventName.openOrder, (orderId: number, contract: Contract, order: Order, state: OrderState) => {
      const meta = orderMeta(orderId, order.orderRef, contract.symbol, order.action === 'SELL' ? 'SELL' : 'BUY');
      if (!meta.announced) {
        meta.announced = true;
        emit({ kind: 'accepted', orderId: asOrderId(orderId), ref: meta.ref, status: toOrderStatus(state.status), permId: order.permId ?? 0 });
      }
    });
    ib.on(EventName.orderStatus, (orderId: number, status: string, filled: number, remaining: number, avgFillPrice: number, permId?: number) => {
      const meta = orderMeta(orderId);
      const mapped = toOrderStatus(status);
      emit({ kind: 'status', orderId: asOrderId(orderId), ref: meta.ref, status: mapped, filled, remaining, avgFillPrice: avgFillPrice || undefined, permId: permId ?? 0 });
      if ((mapped === 'Cancelled' || mapped === 'ApiCancelled') && !meta.cancelled) {
        meta.cancelled = true;
        emit({ kind: 'cancelled', orderId: asOrderId(orderId), ref: meta.ref, filled });
      }
    });
    ib.on(EventName.execDetails, (reqId: number, contract: Contract, execution: IbExecution) => {
      if (reqId !== -1) return; // answers to reqExecutions are collected by executions()
      const row = this.toExecution(contract, execution);
      orderMeta(row.orderId, row.orderRef, row.symbol, row.side);
      emit({ kind: 'filled', orderId: row.orderId, ref: row.orderRef, execution: row, remaining: undefined });
    });
    ib.on(EventName.commissionReport, (report: CommissionReport) => {
      if (report.execId && report.commission !== undefined) emit({ kind: 'commission', execId: report.execId, commission: report.commission, realizedPnl: report.realizedPNL });
    });
    ib.on(EventName.position, (account: string, contract: Contract, quantity: number, averageCost?: number) => {
      if (contract.symbol) this.events.emit('position', { symbol: contract.symbol, quantity, averageCost: averageCost ?? 0, account });
    });
    ib.on(EventName.error, (error: Error, code: number, reqId: number) => this.onError(error, code, reqId));
    ib.on(EventName.info, (message: string, code: number) => {
      this.events.emit('connection', { kind: 'notice', code, message });
      if (code === CONNECTIVITY_RESTORED_DATA_LOST) this.resubscribeQuotes(ib);
    });
    ib.on(EventName.tickPrice, (tickerId: number, field: number, value: number, attribs?: unknown) => {
      void attribs;
      this.onTick(tickerId, field, value);
    });
    ib.on(EventName.tickSize, (tickerId: number, field?: number, value?: number) => {
      if (field !== undefined && value !== undefined) this.onTick(tickerId, field, value);
    });
    ib.on(EventName.tickString, (tickerId: number, field: number, value: string) => {
      if (field !== 48) return; // RT_VOLUME "price;size;time;volume;vwap;single"
      const subscription = this.quotesByTicker.get(tickerId);
      if (!subscription) return;
      const stamp = Number(value.split(';')[2]);
      if (Number.isFinite(stamp)) subscription.quote.tradeStamp = stamp;
    });
    this.resubscribeQuotes(ib);
    ib.reqPositions(); // keeps the account-wide positions stream on for onPositionUpdate
    this.events.emit('connection', { kind: 'connected', accounts: info.accounts, nextValidId: info.nextValidId });
  }

  private resubscribeQuotes(ib: IBApi): void {
    for (const subscription of this.quotes.values()) {
      this.quotesByTicker.delete(subscription.tickerId);
      subscription.tickerId = this.newRequestId();
      this.quotesByTicker.set(subscription.tickerId, subscription);
      ib.reqMktData(subscription.tickerId, stockContract(subscription.quote.symbol), '233', false, false);
    }
  }

  private onTick(tickerId: number, field: number, value: number): void {
    const subscription = this.quotesByTicker.get(tickerId);
    if (!subscription) return;
    const q = subscription.quote;
    // IB tick types: 0 bid size, 1 bid, 2 ask, 3 ask size, 4 last, 5 last size, 6 high, 7 low, 8 volume, 9 close, 14 open.
    switch (field) {
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
    q.receivedAtMs = Date.now();
    // Listeners see the quote once the trade's last tick (volume) arrived, so each trade is one callback.
    if (field === 4 || field === 1 || field === 2) for (const listener of subscription.listeners) listener(q);
  }

  private onError(error: Error, code: number, reqId: number): void {
    if (this.pending.has(reqId)) {
      this.pending.fail(reqId, new BrokerRequestError(code, error.message, reqId));
      return;
    }
    const meta = reqId > 0 ? this.orders.get(reqId) : undefined;
    if (meta) {
      const meaning = orderErrorMeaning(code);
      const orderId = asOrderId(reqId);
      if (meaning === 'rejected') this.events.emit('order', { kind: 'rejected', orderId, ref: meta.ref, code, reason: error.message });
      else if (meaning === 'cancelled' && !meta.cancelled) {
        meta.cancelled = true;
        this.events.emit('order', { kind: 'cancelled', orderId, ref: meta.ref, filled: 0, reason: error.message });
      } else this.events.emit('connection', { kind: 'error', code, message: error.message, reqId });
      return;
    }
    this.events.emit('connection', { kind: 'error', code, message: error.message, reqId });
  }
}
