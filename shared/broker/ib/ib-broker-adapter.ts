import { EventEmitter } from 'node:events';
import { EventName, ScanCode as IbScanCode, type Contract, type ContractDetails, type Execution as IbExecution, type IBApi, type Order, type OrderState, type CommissionReport } from './ib-client';
import { BrokerUnavailable } from '../../errors/errors';
import type { Logger } from '../../log/logger';
import type {
  AccountPnl, AccountSummary, Bar, BarSize, BrokerOrder, BrokerPort, BrokerPosition, ConnectInfo, ConnectionEvent, Execution, MarketDataState,
  OrderEvent, OrderId, OrderRequest, Quote, ScanCode, StockContract, Unsubscribe,
} from '../types';
import { asOrderId, isUsdStock } from '../types';
import { executionBase, executionVersion } from '../../db/execution-ids';
import { EndMarkerSequence } from './end-marker-sequence';
import { IbConnection } from './ib-connection';
import {
  CONNECTIVITY_LOST, CONNECTIVITY_RESTORED, CONNECTIVITY_RESTORED_DATA_LOST, orderErrorMeaning, parseBarTime, parseExecutionTime, stockContract,
  toBrokerPosition, toIbOrder, toOrderStatus, type ResolvedStock,
} from './ib-mapping';
import { IbQuotes, type MarketDataMode } from './ib-quotes';
import { BrokerRequestError, PendingRequests } from './pending-requests';
import { RequestPacer, nonUrgentPerWindow } from './request-pacer';

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
  /** live, delayed, or auto (live falling back to delayed on 354/10089). Default auto. */
  marketDataType?: MarketDataMode;
  log: Logger;
  /** Persisted order-id high-water mark: never send an id at or below one used before (IB ids are not durable). */
  orderIds: { reserve(clientId: number, brokerNextValidId: number, count?: number): number };
  verifyAccounts?: (accounts: string[]) => string | undefined;
}

interface OrderMeta {
  ref: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  /** The broker reported the order (openOrder or orderStatus): from then on an error does not kill it. */
  acknowledged: boolean;
  announced: boolean;
  terminal: boolean;
  /** A modification was sent and neither applied (openOrder) nor refused yet. */
  modifyPending: boolean;
  /** The code it was reported rejected on, before any acknowledgement (see `contradictedRejection`). */
  rejectedOn?: number;
}

type AdapterEvents = { order: [OrderEvent]; connection: [ConnectionEvent]; position: [BrokerPosition] };

const ID_BLOCK_SIZE = 50;

/** Request ids far above order ids: IBApiNext ends a subscription whose id equals an erroring order id. */
const FIRST_REQUEST_ID = 50_000_000;

/** The statuses that end an order without (more) fills: cancelled by us or the system, or rejected. */
const DEAD_STATUSES: ReadonlySet<string> = new Set(['Cancelled', 'ApiCancelled', 'Inactive']);
const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['Filled', ...DEAD_STATUSES]);

/** The broker port over the unmodified `@stoqey/ib` IBApi. The only file that speaks IB's vocabulary. */
export class IbBrokerAdapter implements BrokerPort {
  readonly clientId: number;
  private readonly connection: IbConnection;
  private readonly events = new EventEmitter<AdapterEvents>();
  private readonly pending = new PendingRequests();
  private readonly orders = new Map<number, OrderMeta>();
  private readonly quotes: IbQuotes;
  /** Data requests, snapshots and lookups go out through it; orders and cancels never wait behind them. */
  private readonly pacer: RequestPacer;
  /** conId / primary exchange of stocks we have seen (scanner rows, positions, contract details). */
  private readonly contracts = new Map<string, ResolvedStock>();
  private readonly positionsSequence: EndMarkerSequence<BrokerPosition, number>;
  private readonly openOrdersSequence: EndMarkerSequence<BrokerOrder, number>;
  private nextRequestId = FIRST_REQUEST_ID;
  private nextOrderId = 0;
  /** Ids reserved in the DB and not used yet: [next, end]. */
  private idBlock: { next: number; end: number } | undefined;
  private info: ConnectInfo | undefined;
  /** 1100 received and not yet 1101/1102: the socket answers but nothing reaches IB. */
  private ibLinkLost = false;

  constructor(private readonly options: IbAdapterOptions) {
    this.clientId = options.clientId;
    this.events.setMaxListeners(100);
    const maxRequestsPerSecond = options.maxRequestsPerSecond ?? 50;
    this.connection = new IbConnection({ ...options, maxRequestsPerSecond });
    this.pacer = new RequestPacer(nonUrgentPerWindow(maxRequestsPerSecond), undefined, undefined, (error) =>
      options.log.warn('broker_request_failed', { error: (error as Error).message }));
    const recycle = (what: string) => (owed: number) => this.connection.recycle(`${owed} ${what} requests unanswered: the gateway stopped answering them`);
    this.positionsSequence = new EndMarkerSequence('positions query', (p) => p.conId || hashKey(p.symbol), recycle('positions'));
    this.openOrdersSequence = new EndMarkerSequence('open orders query', (o) => o.permId || o.orderId, recycle('open orders'));
    this.quotes = new IbQuotes({
      mode: options.marketDataType ?? 'auto',
      newTickerId: () => this.newRequestId(),
      send: (request) => this.pacer.send(request),
      contractFor: (symbol) => stockContract(symbol, this.contracts.get(symbol)),
      onStateChanged: (state, code, message) => {
        const level = state === 'unavailable' ? 'error' : 'warn';
        options.log[level]('market_data_state', { state, code, message });
        this.events.emit('connection', { kind: 'market_data', state, code, message });
      },
      log: options.log,
    });
    this.connection.on('ready', (ib, info) => this.onReady(ib, info));
    this.connection.on('lost', (reason) => {
      const error = new BrokerUnavailable(`connection lost (${reason}) before the answer arrived`);
      this.pending.failAll(() => error);
      this.positionsSequence.reset(error);
      this.openOrdersSequence.reset(error);
      this.quotes.detach();
      this.pacer.reset();
      this.ibLinkLost = false;
      this.events.emit('connection', { kind: 'disconnected', reason });
    });
  }

  async connect(): Promise<ConnectInfo> {
    await this.connection.start();
    return this.info!;
  }

  async disconnect(): Promise<void> {
    this.connection.stop();
    this.pacer.reset();
  }

  isConnected(): boolean {
    return this.connection.isReady && !this.ibLinkLost;
  }

  marketDataState(): MarketDataState {
    return this.quotes.state;
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

  /** Orders need the gateway AND its link to IB: during 1100 an order would sit in TWS and go out minutes later. */
  private requireTradingLink(action: string): IBApi {
    const ib = this.requireApi(action);
    if (this.ibLinkLost) throw new BrokerUnavailable(`the gateway has lost its connection to IB (1100): ${action} was NOT sent`);
    return ib;
  }

  async placeOrder(request: OrderRequest): Promise<OrderId> {
    const contract = await this.contractForOrder(request);
    const ib = this.requireTradingLink(`order ${request.orderRef}`);
    const id = this.nextId();
    this.orders.set(id, { ref: request.orderRef, symbol: request.symbol, side: request.side, acknowledged: false, announced: false, terminal: false, modifyPending: false });
    ib.placeOrder(id, contract, toIbOrder(request, request.parentOrderId));
    return asOrderId(id);
  }

  async modifyOrder(orderId: OrderId, request: OrderRequest): Promise<void> {
    const contract = await this.contractForOrder(request);
    const ib = this.requireTradingLink(`modification of order ${orderId}`);
    const meta = this.orders.get(orderId);
    if (meta) meta.modifyPending = true;
    ib.placeOrder(orderId, contract, toIbOrder(request, request.parentOrderId));
  }

  async cancelOrder(orderId: OrderId): Promise<void> {
    this.requireTradingLink(`cancel of order ${orderId}`).cancelOrder(orderId);
  }

  async globalCancel(): Promise<void> {
    this.requireTradingLink('global cancel').reqGlobalCancel();
  }

  async positions(): Promise<BrokerPosition[]> {
    const ib = this.requireApi('positions query');
    return this.positionsSequence.request(() => this.pacer.send(() => ib.reqPositions(), true), this.options.requestTimeoutMs).then((rows) => rows.filter((p) => p.quantity !== 0));
  }

  /** Own and all open orders share one end marker (openOrderEnd): one sequence serves both. */
  async openOrders(scope: 'own' | 'all'): Promise<BrokerOrder[]> {
    const ib = this.requireApi('open orders query');
    return this.openOrdersSequence
      .request(() => this.pacer.send(() => (scope === 'own' ? ib.reqOpenOrders() : ib.reqAllOpenOrders()), true), this.options.requestTimeoutMs)
      .then((rows) => rows.filter((r) => !TERMINAL_STATUSES.has(r.status) && (scope === 'all' || r.clientId === this.clientId)));
  }

  async executions(filter: { sinceMs?: number; symbol?: string; clientId?: number } = {}): Promise<Execution[]> {
    const ib = this.requireApi('executions query');
    const reqId = this.newRequestId();
    return this.pending.track<Execution[]>(reqId, this.options.requestTimeoutMs, 'executions query', (resolve) => {
      const rows = new Map<string, Execution>();
      const commissions = new Map<string, { commission: number; realizedPnl?: number }>();
      const onExec = (id: number, contract: Contract, execution: IbExecution) => {
        if (id !== reqId) return;
        const row = this.toExecution(contract, execution);
        rows.set(row.execId, row);
      };
      const onCommission = (report: CommissionReport) => {
        if (report.execId && report.commission !== undefined) commissions.set(report.execId, { commission: report.commission, realizedPnl: report.realizedPNL });
      };
      const onEnd = (id: number) => {
        if (id !== reqId) return;
        ib.off(EventName.execDetails, onExec);
        ib.off(EventName.execDetailsEnd, onEnd);
        // Commission reports follow each execution in the same burst; give the socket one turn to deliver the last.
        setImmediate(() => {
          ib.off(EventName.commissionReport, onCommission);
          resolve(latestVersions([...rows.values()]).map((row) => ({ ...row, ...commissions.get(row.execId) })).sort((a, b) => a.timeMs - b.timeMs || a.execId.localeCompare(b.execId)));
        });
      };
      ib.on(EventName.execDetails, onExec);
      ib.on(EventName.commissionReport, onCommission);
      ib.on(EventName.execDetailsEnd, onEnd);
      const time = filter.sinceMs ? ibUtcTime(filter.sinceMs) : '';
      this.pacer.send(() => ib.reqExecutions(reqId, { clientId: filter.clientId as unknown as string, symbol: filter.symbol, time }), true);
    });
  }

  subscribeQuotes(symbol: string, listener: (quote: Quote) => void): Unsubscribe {
    return this.quotes.subscribe(symbol, listener);
  }

  async historicalBars(symbol: string, options: { barSize: BarSize; duration: string; useRth?: boolean; endMs?: number }): Promise<Bar[]> {
    const contract = stockContract(symbol, await this.resolveStock(symbol));
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
      const end = options.endMs ? ibUtcTime(options.endMs) : '';
      this.pacer.send(() => ib.reqHistoricalData(reqId, contract, end, options.duration, options.barSize as never, 'TRADES' as never, options.useRth ? 1 : 0, 2, false));
    }, () => this.pacer.send(() => this.connection.api?.cancelHistoricalData(reqId)));
  }

  async scan(scanCode: ScanCode, options: { rows?: number; abovePrice?: number; belowPrice?: number; aboveVolume?: number } = {}): Promise<string[]> {
    const ib = this.requireApi('scanner request');
    const reqId = this.newRequestId();
    return this.pending.track<string[]>(reqId, this.options.requestTimeoutMs, `scanner ${scanCode}`, (resolve) => {
      const rows: Array<{ rank: number; symbol: string }> = [];
      const onRow = (id: number, rank: number, details: ContractDetails) => {
        const contract = details.contract;
        if (id !== reqId || !contract?.symbol) return;
        rows.push({ rank, symbol: contract.symbol });
        // The scanner names the exact contract: remember it, so orders and data for it are never ambiguous.
        if (contract.conId) this.contracts.set(contract.symbol, { conId: contract.conId, primaryExchange: contract.primaryExch || undefined });
      };
      const onEnd = (id: number) => {
        if (id !== reqId) return;
        ib.off(EventName.scannerData, onRow);
        ib.off(EventName.scannerDataEnd, onEnd);
        this.pacer.send(() => ib.cancelScannerSubscription(reqId));
        resolve(rows.sort((a, b) => a.rank - b.rank).map((r) => r.symbol));
      };
      ib.on(EventName.scannerData, onRow);
      ib.on(EventName.scannerDataEnd, onEnd);
      this.pacer.send(() => ib.reqScannerSubscription(reqId, {
        numberOfRows: options.rows ?? 20, instrument: 'STK' as never, locationCode: 'STK.US.MAJOR' as never, scanCode: IbScanCode[scanCode], // the encoder sends ScanCode[value]: pass the enum number, not the name
        abovePrice: options.abovePrice, belowPrice: options.belowPrice, aboveVolume: options.aboveVolume,
      }));
    }, () => this.pacer.send(() => this.connection.api?.cancelScannerSubscription(reqId)));
  }

  async accountSummary(): Promise<AccountSummary> {
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
        this.pacer.send(() => ib.cancelAccountSummary(reqId));
        const n = (tag: string) => Number(values[tag] ?? 0);
        resolve({
          accountId, netLiquidation: n('NetLiquidation'), totalCash: n('TotalCashValue'), buyingPower: n('BuyingPower'),
          grossPositionValue: n('GrossPositionValue'), availableFunds: n('AvailableFunds'),
        });
      };
      ib.on(EventName.accountSummary, onValue);
      ib.on(EventName.accountSummaryEnd, onEnd);
      // IB's account summary has no P&L tags (RealizedPnL / UnrealizedPnL are not in its fixed list): see accountPnl().
      this.pacer.send(() => ib.reqAccountSummary(reqId, 'All', 'NetLiquidation,TotalCashValue,BuyingPower,GrossPositionValue,AvailableFunds'));
    }, () => this.pacer.send(() => this.connection.api?.cancelAccountSummary(reqId)));
  }

  async accountPnl(): Promise<AccountPnl> {
    const ib = this.requireApi('P&L request');
    const account = this.info?.accounts[0] ?? '';
    const reqId = this.newRequestId();
    return this.pending.track<AccountPnl>(reqId, this.options.requestTimeoutMs, 'account P&L', (resolve) => {
      const onPnl = (id: number, dailyPnl: number, unrealizedPnl?: number, realizedPnl?: number) => {
        if (id !== reqId) return;
        ib.off(EventName.pnl, onPnl);
        this.pacer.send(() => ib.cancelPnL(reqId));
        resolve({ dailyPnl, unrealizedPnl: unrealizedPnl ?? 0, realizedPnl: realizedPnl ?? 0 });
      };
      ib.on(EventName.pnl, onPnl);
      this.pacer.send(() => ib.reqPnL(reqId, account, ''));
    }, () => this.pacer.send(() => this.connection.api?.cancelPnL(reqId)));
  }

  async currentTime(): Promise<number> {
    const ib = this.requireApi('current time request');
    const reqId = this.newRequestId();
    return this.pending.track<number>(reqId, this.options.requestTimeoutMs, 'current time', (resolve) => {
      ib.once(EventName.currentTime, (seconds: number) => resolve(seconds * 1000));
      this.pacer.send(() => ib.reqCurrentTime());
    });
  }

  async contractOf(symbol: string): Promise<StockContract | undefined> {
    const resolved = await this.resolveStock(symbol);
    return resolved?.conId ? { conId: resolved.conId, primaryExchange: resolved.primaryExchange } : undefined;
  }

  /** The contract of an order: the conId the caller knows, else what we learned, else a lookup. */
  private async contractForOrder(request: OrderRequest): Promise<Contract> {
    if (request.conId) return stockContract(request.symbol, { conId: request.conId, primaryExchange: this.contracts.get(request.symbol)?.primaryExchange });
    return stockContract(request.symbol, await this.resolveStock(request.symbol));
  }

  /**
   * The conId of a US stock, looked up once (reqContractDetails) and cached. A failed lookup is not fatal:
   * the request goes out as SMART/USD and IB says 200 if that is ambiguous.
   */
  private async resolveStock(symbol: string): Promise<ResolvedStock | undefined> {
    const known = this.contracts.get(symbol);
    if (known) return known;
    const ib = this.requireApi(`contract lookup for ${symbol}`);
    const reqId = this.newRequestId();
    try {
      const matches: ResolvedStock[] = [];
      const onDetails = (id: number, details: ContractDetails) => {
        if (id === reqId && details.contract?.conId) matches.push({ conId: details.contract.conId, primaryExchange: details.contract.primaryExch || undefined });
      };
      const stopListening = () => {
        ib.off(EventName.contractDetails, onDetails);
        ib.off(EventName.contractDetailsEnd, onEnd);
      };
      let finish: ((value: ResolvedStock | undefined) => void) | undefined;
      const onEnd = (id: number) => {
        if (id !== reqId) return;
        stopListening();
        finish?.(matches.length === 1 ? matches[0] : undefined);
      };
      const found = await this.pending.track<ResolvedStock | undefined>(reqId, this.options.requestTimeoutMs, `contract details for ${symbol}`, (resolve) => {
        finish = resolve;
        ib.on(EventName.contractDetails, onDetails);
        ib.on(EventName.contractDetailsEnd, onEnd);
        ib.reqContractDetails(reqId, { symbol, secType: 'STK' as never, exchange: 'SMART', currency: 'USD' });
      }, stopListening);
      if (found) this.contracts.set(symbol, found);
      return found;
    } catch (error) {
      this.options.log.debug('contract_lookup_failed', { symbol, error: (error as Error).message });
      return undefined;
    }
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
      ...(contract.conId ? { conId: contract.conId } : {}),
    };
  }

  private toBrokerOrder(orderId: number, contract: Contract, order: Order, state: OrderState): BrokerOrder {
    return {
      orderId: asOrderId(orderId), clientId: order.clientId ?? this.clientId, permId: order.permId ?? 0, orderRef: order.orderRef ?? '',
      symbol: contract.symbol ?? '', side: order.action === 'SELL' ? 'SELL' : 'BUY', type: String(order.orderType ?? ''),
      quantity: Number(order.totalQuantity ?? 0), limitPrice: order.lmtPrice, stopPrice: order.auxPrice, trailingPercent: order.trailingPercent,
      trailStopPrice: order.trailStopPrice, ocaGroup: order.ocaGroup || undefined, parentOrderId: order.parentId || undefined,
      status: toOrderStatus(state.status), filledQuantity: Number(order.filledQuantity ?? 0), remainingQuantity: Number(order.totalQuantity ?? 0) - Number(order.filledQuantity ?? 0),
    };
  }

  private orderMeta(orderId: number, ref?: string, symbol?: string, side?: 'BUY' | 'SELL'): OrderMeta {
    let meta = this.orders.get(orderId);
    if (!meta) {
      meta = { ref: ref ?? '', symbol: symbol ?? '', side: side ?? 'BUY', acknowledged: false, announced: false, terminal: false, modifyPending: false };
      this.orders.set(orderId, meta);
    } else if (ref && !meta.ref) meta.ref = ref;
    return meta;
  }

  /**
   * An order reported rejected (an error before any acknowledgement) that the broker then reports working or
   * filled: the code was informational, like 10349 before IB listed it. Said loudly, once: the owner has
   * already let the order go (an entry's claim released, a protective order placed again), so its shares
   * are found by the exit manager's and the reconciler's checks, and the code belongs in ORDER_WARNING_CODES.
   */
  private contradictedRejection(meta: OrderMeta, orderId: number, status: string): void {
    if (meta.rejectedOn === undefined || DEAD_STATUSES.has(status)) return;
    this.options.log.error('order_rejection_contradicted', {
      orderId, orderRef: meta.ref, symbol: meta.symbol, code: meta.rejectedOn, status,
      what: `taken as rejected on IB ${meta.rejectedOn}, it is ${status} at the broker: that code is informational. Check the positions (npm run status); report the code so it is treated as a warning`,
    });
    this.events.emit('connection', { kind: 'rejection_contradicted', orderId: asOrderId(orderId), orderRef: meta.ref, symbol: meta.symbol, code: meta.rejectedOn, status });
    meta.rejectedOn = undefined;
  }

  /** Wires a freshly connected IBApi: order events, positions stream, snapshots, quotes, notices. */
  private onReady(ib: IBApi, info: { accounts: string[]; nextValidId: number; serverVersion: number }): void {
    this.nextOrderId = Math.max(this.nextOrderId, info.nextValidId);
    this.info = info;
    this.pacer.reset(); // nothing of an earlier client may go out on this one
    this.ibLinkLost = false;
    const emit = (event: OrderEvent) => this.events.emit('order', event);

    ib.on(EventName.openOrder, (orderId: number, contract: Contract, order: Order, state: OrderState) => {
      const row = this.toBrokerOrder(orderId, contract, order, state);
      this.openOrdersSequence.onRow(row);
      // Other clients' orders (reqAllOpenOrders) are data, not events of ours.
      if (order.clientId !== undefined && order.clientId !== this.clientId) return;
      const meta = this.orderMeta(orderId, order.orderRef, contract.symbol, row.side);
      this.contradictedRejection(meta, orderId, row.status);
      meta.acknowledged = true;
      meta.modifyPending = false;
      if (!meta.announced) {
        meta.announced = true;
        emit({ kind: 'accepted', orderId: asOrderId(orderId), ref: meta.ref, status: row.status, permId: row.permId });
      }
      emit({ kind: 'open', orderId: asOrderId(orderId), ref: meta.ref, status: row.status, permId: row.permId, quantity: row.quantity, limitPrice: row.limitPrice, stopPrice: row.stopPrice });
    });
    ib.on(EventName.orderStatus, (orderId: number, status: string, filled: number, remaining: number, avgFillPrice: number, permId?: number) => {
      const mapped = toOrderStatus(status);
      this.openOrdersSequence.updateRow((r) => (permId ? r.permId === permId : r.orderId === orderId), (r) => Object.assign(r, { status: mapped, filledQuantity: filled, remainingQuantity: remaining, avgFillPrice: avgFillPrice || undefined }));
      const meta = this.orders.get(orderId);
      if (!meta) return; // another client's order (reqAllOpenOrders answer)
      this.contradictedRejection(meta, orderId, mapped);
      meta.acknowledged = true;
      emit({ kind: 'status', orderId: asOrderId(orderId), ref: meta.ref, status: mapped, filled, remaining, avgFillPrice: avgFillPrice || undefined, permId: permId ?? 0 });
      // Only a status ends an order: Cancelled, ApiCancelled and Inactive (rejected or cancelled by the system).
      if (DEAD_STATUSES.has(mapped) && !meta.terminal) {
        meta.terminal = true;
        emit({ kind: 'cancelled', orderId: asOrderId(orderId), ref: meta.ref, filled, reason: mapped === 'Inactive' ? 'inactive' : undefined });
      }
      if (mapped === 'Filled') meta.terminal = true;
    });
    ib.on(EventName.openOrderEnd, () => this.openOrdersSequence.onEnd());
    ib.on(EventName.execDetails, (reqId: number, contract: Contract, execution: IbExecution) => {
      if (reqId !== -1) return; // answers to reqExecutions are collected by executions()
      const row = this.toExecution(contract, execution);
      this.orderMeta(row.orderId, row.orderRef, row.symbol, row.side);
      // Our own fill names the exact contract: later orders and data for the symbol are never ambiguous (200).
      if (contract.conId && contract.secType === 'STK' && (contract.currency ?? 'USD') === 'USD' && !this.contracts.has(row.symbol)) {
        this.contracts.set(row.symbol, { conId: contract.conId, primaryExchange: contract.primaryExch || undefined });
      }
      emit({ kind: 'filled', orderId: row.orderId, ref: row.orderRef, execution: row, remaining: undefined });
    });
    ib.on(EventName.commissionReport, (report: CommissionReport) => {
      if (report.execId && report.commission !== undefined) emit({ kind: 'commission', execId: report.execId, commission: report.commission, realizedPnl: report.realizedPNL });
    });
    ib.on(EventName.position, (account: string, contract: Contract, quantity: number, averageCost?: number) => {
      const position = toBrokerPosition(account, contract, quantity, averageCost);
      if (isUsdStock(position) && position.conId && !this.contracts.has(position.symbol)) this.contracts.set(position.symbol, { conId: position.conId });
      this.positionsSequence.onRow(position);
      this.events.emit('position', position);
    });
    ib.on(EventName.positionEnd, () => this.positionsSequence.onEnd());
    ib.on(EventName.error, (error: Error, code: number, reqId: number) => this.onError(error, code, reqId));
    ib.on(EventName.info, (message: string, code: number) => this.onNotice(ib, code, message));
    this.quotes.attach(ib);
    // Keeps the account-wide positions stream on for onPositionUpdate; its end marker counts like any other.
    // In the pacer's first queue like every other positions request: the sequence counts end markers in the
    // order the requests were made, so they must leave in that order (a data-queue stream request overtaken by a
    // snapshot would have handed the snapshot's marker to the stream).
    this.positionsSequence.requestUntracked(() => this.pacer.send(() => ib.reqPositions(), true));
    this.events.emit('connection', { kind: 'connected', accounts: info.accounts, nextValidId: info.nextValidId });
  }

  /**
   * Connectivity notices (id -1). 1100: the gateway lost IB but the socket stays up and answers; orders and
   * data stop: we say "disconnected" so nobody trades. 1101: restored, data lost: subscriptions are renewed.
   * 1102: restored, data kept. Both restorations read as a new connection (every bot re-reads orders,
   * positions and executions).
   */
  private onNotice(ib: IBApi, code: number, message: string): void {
    this.events.emit('connection', { kind: 'notice', code, message });
    if (code === CONNECTIVITY_LOST && !this.ibLinkLost) {
      this.ibLinkLost = true;
      this.options.log.warn('broker_ib_link_lost', { code, message, what: 'the gateway is up but not connected to IB: no orders are sent until it is restored' });
      this.events.emit('connection', { kind: 'disconnected', reason: `IB connectivity lost (${code}): ${message}` });
      return;
    }
    if ((code === CONNECTIVITY_RESTORED_DATA_LOST || code === CONNECTIVITY_RESTORED) && this.connection.isReady) {
      if (code === CONNECTIVITY_RESTORED_DATA_LOST) this.quotes.resubscribeAll();
      const wasLost = this.ibLinkLost;
      this.ibLinkLost = false;
      if (wasLost || code === CONNECTIVITY_RESTORED_DATA_LOST) {
        this.options.log.info('broker_ib_link_restored', { code, message });
        void ib;
        this.events.emit('connection', { kind: 'connected', accounts: this.info?.accounts ?? [], nextValidId: this.nextOrderId });
      }
    }
  }

  private onError(error: Error, code: number, reqId: number): void {
    if (this.pending.has(reqId)) {
      this.pending.fail(reqId, new BrokerRequestError(code, error.message, reqId));
      return;
    }
    if (this.quotes.onError(reqId, code, error.message)) return;
    const meta = reqId > 0 ? this.orders.get(reqId) : undefined;
    if (!meta) {
      this.events.emit('connection', { kind: 'error', code, message: error.message, reqId });
      return;
    }
    const orderId = asOrderId(reqId);
    const meaning = orderErrorMeaning(code);
    if (meaning === 'cancelled') {
      // 202 "Order Canceled": IB's cancel confirmation (it comes with the Cancelled status).
      if (!meta.terminal) {
        meta.terminal = true;
        this.events.emit('order', { kind: 'cancelled', orderId, ref: meta.ref, filled: 0, reason: error.message });
      }
      return;
    }
    if (meaning === 'warning') {
      this.events.emit('order', { kind: 'order_error', orderId, ref: meta.ref, code, reason: error.message, refused: 'other' });
      return;
    }
    if (meaning === 'cancel_refused') {
      this.events.emit('order', { kind: 'order_error', orderId, ref: meta.ref, code, reason: error.message, refused: 'cancel' });
      return;
    }
    if (!meta.acknowledged && !meta.terminal) {
      // Refused before the broker ever reported the order: it never existed there.
      meta.terminal = true;
      meta.rejectedOn = code;
      this.events.emit('order', { kind: 'rejected', orderId, ref: meta.ref, code, reason: error.message });
      return;
    }
    // The broker knows this order: an error is not proof it is dead (a refused modification leaves the
    // original working). Only a status ends it.
    const refused = meta.modifyPending ? 'modify' : 'other';
    meta.modifyPending = false;
    this.events.emit('order', { kind: 'order_error', orderId, ref: meta.ref, code, reason: error.message, refused });
  }
}

/** IB's UTC time format for request filters and end times: "yyyymmdd-hh:mm:ss". */
export function ibUtcTime(ms: number): string {
  return new Date(ms).toISOString().replace(/-/g, '').replace('T', '-').slice(0, 17);
}

/** One report per execution: a correction (same base, higher version) replaces the earlier one. */
function latestVersions(rows: Execution[]): Execution[] {
  const byBase = new Map<string, Execution>();
  for (const row of rows) {
    const base = executionBase(row.execId);
    const known = byBase.get(base);
    if (!known || executionVersion(row.execId) > executionVersion(known.execId)) byBase.set(base, row);
  }
  return [...byBase.values()];
}

function hashKey(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) | 0;
  return hash;
}
