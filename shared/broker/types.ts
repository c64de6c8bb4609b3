/**
 * The broker port: what the bots need from a broker, in our own types. `@stoqey/ib` appears only in the
 * adapter (shared/broker/ib); the bots' tests run against the in-memory fake, which passes the same
 * contract suite as the adapter against sim-gateway.
 */

export type OrderId = number & { readonly __brand: 'OrderId' };
/** IB's contract id: THE key of an instrument (a symbol is not unique: an option has its underlying's symbol). */
export type ConId = number;
export const asOrderId = (n: number) => n as OrderId;

export type OrderSide = 'BUY' | 'SELL';
export type OrderType = 'MKT' | 'LMT' | 'STP' | 'STP LMT' | 'TRAIL';
/** IOC: whatever can fill at once fills, the rest is cancelled by the broker (entries use it). */
export type TimeInForce = 'DAY' | 'GTC' | 'IOC';

export interface OrderRequest {
  /** Our idempotency key, echoed by the broker everywhere (openOrder, executions). */
  orderRef: string;
  symbol: string;
  /** The instrument's IB contract id when known: avoids SMART ambiguity (IB 200) and a lookup. */
  conId?: ConId;
  side: OrderSide;
  quantity: number;
  type: OrderType;
  limitPrice?: number;
  /** Stop price of STP / STP LMT. */
  stopPrice?: number;
  /** TRAIL: trailing distance in percent. */
  trailingPercent?: number;
  /** TRAIL: initial stop level. */
  trailStopPrice?: number;
  tif: TimeInForce;
  ocaGroup?: string;
  /** 1 cancel the others on a fill; 2 reduce them with block; 3 reduce without block. */
  ocaType?: 1 | 2 | 3;
  /** Bracket child: the parent's order id. */
  parentOrderId?: OrderId;
  /** false stages the order (bracket parent) until a later order is sent with transmit true. */
  transmit?: boolean;
  outsideRth?: boolean;
}

export type BrokerOrderStatus = 'PendingSubmit' | 'PreSubmitted' | 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive' | 'ApiCancelled' | 'PendingCancel' | 'Unknown';

export interface BrokerOrder {
  orderId: OrderId;
  clientId: number;
  permId: number;
  orderRef: string;
  symbol: string;
  side: OrderSide;
  type: string;
  quantity: number;
  limitPrice?: number;
  stopPrice?: number;
  trailingPercent?: number;
  trailStopPrice?: number;
  ocaGroup?: string;
  parentOrderId?: number;
  status: BrokerOrderStatus;
  filledQuantity: number;
  remainingQuantity: number;
  avgFillPrice?: number;
}

export interface Execution {
  execId: string;
  orderId: OrderId;
  clientId: number;
  permId: number;
  orderRef: string;
  symbol: string;
  side: OrderSide;
  quantity: number;
  price: number;
  /** Cumulative quantity of the order after this fill. */
  cumulativeQuantity: number;
  avgPrice: number;
  /** Market time of the execution, epoch ms. */
  timeMs: number;
  /** Known once IB's commission report arrived. */
  commission?: number;
  realizedPnl?: number;
  /** The instrument's contract id (execDetails carries the contract): what later orders for it must name. */
  conId?: ConId;
}

/** What addresses a US stock unambiguously at IB: its conId (and its primary exchange when known). */
export interface StockContract {
  conId: ConId;
  primaryExchange?: string;
}

/** Order life cycle as a tagged union: callers switch on `kind`. */
export type OrderEvent =
  | { kind: 'accepted'; orderId: OrderId; ref: string; status: BrokerOrderStatus; permId: number }
  /** Every openOrder report: the order as the broker holds it now (a modification shows up here once applied). */
  | { kind: 'open'; orderId: OrderId; ref: string; status: BrokerOrderStatus; permId: number; quantity: number; limitPrice?: number; stopPrice?: number }
  | { kind: 'status'; orderId: OrderId; ref: string; status: BrokerOrderStatus; filled: number; remaining: number; avgFillPrice?: number; permId: number }
  | { kind: 'filled'; orderId: OrderId; ref: string; execution: Execution; remaining: number | undefined }
  | { kind: 'commission'; execId: string; commission: number; realizedPnl?: number }
  /** A NEW order the broker refused before acknowledging it (it never worked). */
  | { kind: 'rejected'; orderId: OrderId; ref: string; code: number; reason: string }
  | { kind: 'cancelled'; orderId: OrderId; ref: string; filled: number; reason?: string }
  /**
   * The broker refused something about an order it had acknowledged (a modification, a cancel) or warned
   * about it. The order's state is UNCHANGED: it is dead only when a status says so (a rejected modify
   * leaves the original order working).
   */
  | { kind: 'order_error'; orderId: OrderId; ref: string; code: number; reason: string; refused: 'modify' | 'cancel' | 'other' };

export type ConnectionEvent =
  | { kind: 'connected'; accounts: string[]; nextValidId: number }
  | { kind: 'disconnected'; reason: string }
  /** IB notices with id -1: 1100 lost, 1101/1102 restored, 2103/2105 farm broken, 2104/2106/2158 OK. */
  | { kind: 'notice'; code: number; message: string }
  | { kind: 'error'; code: number; message: string; reqId?: number }
  /** What market data the account really gives (live, delayed after 354/10089, or none at all after 10168). */
  | { kind: 'market_data'; state: MarketDataState; code?: number; message?: string }
  /**
   * An order reported `rejected` (an error before any acknowledgement) that the broker then reports working or
   * filled: the code was informational. Its owner already let the order go.
   */
  | { kind: 'rejection_contradicted'; orderId: OrderId; orderRef: string; symbol: string; code: number; status: string };

/** unknown until the first answer to a market-data request says what the account really gets. */
export type MarketDataState = 'unknown' | 'live' | 'delayed' | 'unavailable';

export interface BrokerPosition {
  account: string;
  conId: ConId;
  symbol: string;
  /** STK, OPT, FUT, CASH, ... The bots trade only STK in USD. */
  secType: string;
  currency: string;
  /** Human-readable instrument: "NOVA", "NOVA 20270115 50 C (OPT)", "SAP (STK EUR)". */
  description: string;
  /** Signed units (shares, contracts). */
  quantity: number;
  averageCost: number;
}

/** The only instruments the bots may act on: stocks in USD (of the configured account). */
export function isUsdStock(position: Pick<BrokerPosition, 'secType' | 'currency'>): boolean {
  return position.secType === 'STK' && position.currency === 'USD';
}

export interface Quote {
  symbol: string;
  bid?: number;
  ask?: number;
  last?: number;
  bidSize?: number;
  askSize?: number;
  lastSize?: number;
  volume?: number;
  high?: number;
  low?: number;
  open?: number;
  previousClose?: number;
  /** RT_VOLUME trade time as the gateway stamped it (market ms; real ms when the simulator is asked to). */
  tradeStamp?: number;
  /** Local receive time (real ms), for staleness checks. */
  receivedAtMs: number;
  /** The values are IB's 15-minute delayed data (tick types 66-76), not real time. */
  delayed?: boolean;
}

export type BarSize = '1 min' | '5 mins' | '15 mins' | '1 hour' | '1 day';

export interface Bar {
  /** Bar start, epoch ms (daily bars: the session's date at 00:00 New York). */
  timeMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export type ScanCode = 'MOST_ACTIVE' | 'TOP_PERC_GAIN' | 'TOP_PERC_LOSE' | 'HOT_BY_VOLUME';

export interface AccountSummary {
  accountId: string;
  netLiquidation: number;
  totalCash: number;
  buyingPower: number;
  grossPositionValue: number;
  availableFunds: number;
}

/** The account's P&L of the day (IB reqPnL; reqAccountSummary has no P&L tags). */
export interface AccountPnl {
  dailyPnl: number;
  unrealizedPnl: number;
  realizedPnl: number;
}

export interface ConnectInfo {
  accounts: string[];
  nextValidId: number;
  serverVersion: number;
}

export type Unsubscribe = () => void;

export interface BrokerPort {
  readonly clientId: number;
  /** Resolves once the handshake completed and nextValidId arrived; rejects with BrokerUnavailable. */
  connect(): Promise<ConnectInfo>;
  disconnect(): Promise<void>;
  /**
   * The gateway is connected AND linked to IB: false during 1100 ("connectivity between IB and TWS lost"),
   * when the socket still answers but nothing reaches the exchange.
   */
  isConnected(): boolean;
  onOrderEvent(listener: (event: OrderEvent) => void): Unsubscribe;
  onConnectionEvent(listener: (event: ConnectionEvent) => void): Unsubscribe;
  /**
   * Account-wide position updates as they stream. They LAG the executions that caused them (hundreds of ms,
   * sometimes seconds): never derive "how many shares do I hold" from the last one alone.
   */
  onPositionUpdate(listener: (position: BrokerPosition) => void): Unsubscribe;

  /** A COMPLETE snapshot (end marker received) or a BrokerTimeout: never a partial list. */
  positions(): Promise<BrokerPosition[]>;
  /** Working orders: this client's ('own') or every client's ('all'). */
  openOrders(scope: 'own' | 'all'): Promise<BrokerOrder[]>;
  /** Executions of the day (optionally since a market time), with commissions where reported. */
  executions(filter?: { sinceMs?: number; symbol?: string; clientId?: number }): Promise<Execution[]>;

  /** Sends an order now or throws BrokerUnavailable; never queues it for later. */
  placeOrder(request: OrderRequest): Promise<OrderId>;
  /**
   * The contract of a US stock (SMART, USD): from what this connection has seen (scanner rows, executions,
   * positions) or one contract-details lookup. Undefined when IB does not name exactly one: an order for
   * it would then be refused as ambiguous (200).
   */
  contractOf(symbol: string): Promise<StockContract | undefined>;
  modifyOrder(orderId: OrderId, request: OrderRequest): Promise<void>;
  cancelOrder(orderId: OrderId): Promise<void>;
  globalCancel(): Promise<void>;

  subscribeQuotes(symbol: string, listener: (quote: Quote) => void): Unsubscribe;
  historicalBars(symbol: string, options: { barSize: BarSize; duration: string; useRth?: boolean; endMs?: number }): Promise<Bar[]>;
  scan(scanCode: ScanCode, options?: { rows?: number; abovePrice?: number; belowPrice?: number; aboveVolume?: number }): Promise<string[]>;
  accountSummary(): Promise<AccountSummary>;
  /** Today's P&L from IB (reqPnL); rejects with BrokerTimeout when IB does not say. */
  accountPnl(): Promise<AccountPnl>;
  /** What market data this connection gets now (live, delayed or unavailable), as far as it knows. */
  marketDataState(): MarketDataState;
  /** The broker's clock (market time), epoch ms at second resolution. */
  currentTime(): Promise<number>;
}
