import { createBroker } from '../../../shared/broker/create-broker';
import { isUsdStock, type BrokerOrder, type BrokerPort, type BrokerPosition, type Quote } from '../../../shared/broker/types';
import type { ResolvedConfig } from '../../../shared/config/schema';
import { errorMessage } from '../../../shared/errors/errors';
import type { Logger } from '../../../shared/log/logger';
import { brokerUnreachable } from '../../../scripts/status/broker-snapshot';
import type { BrokerSnapshot } from '../../../scripts/status/status-model';

export interface BrokerViewState {
  snapshot: BrokerSnapshot;
  /** Real time of the last complete refresh (account, positions, orders), null before the first. */
  refreshedAtMs: number | null;
}

const IDLE_AFTER_MS = 60_000;

/**
 * The dashboard's own read-only view of the gateway, with its own client id (CLIENT_ID_DASHBOARD): what
 * `npm run status` asks (account, every position, every client's working orders, last prices), kept warm
 * instead of asked per request. The account, positions and orders are refreshed every
 * DASHBOARD_BROKER_REFRESH_MS while someone looks (a browser listens, or a request came in the last
 * minute); prices stream from quote subscriptions of the symbols held. It never places an order.
 */
export class BrokerView {
  private broker: BrokerPort | undefined;
  private state: BrokerViewState;
  private readonly quotes = new Map<string, { unsubscribe: () => void; price?: number }>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private lastInterestMs = 0;
  private connecting: Promise<void> | undefined;
  private stopped = false;
  private readonly endpoint: string;
  private readonly clientId: number;
  private onPrices: (() => void) | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly config: ResolvedConfig, private readonly log: Logger) {
    this.endpoint = `${config.ib.host}:${config.ib.port}`;
    this.clientId = config.ib.clientIds.dashboard;
    this.state = {
      refreshedAtMs: null,
      snapshot: config.dashboard.brokerLink
        ? brokerUnreachable(this.endpoint, this.clientId, new Error('not asked yet'))
        : { reachable: false, endpoint: this.endpoint, clientId: this.clientId, problem: 'the dashboard does not query the gateway (DASHBOARD_BROKER=false): no live prices, protection not verified at the broker' },
    };
  }

  get enabled(): boolean {
    return this.config.dashboard.brokerLink;
  }

  /** Called on new prices and after each refresh (at most as often as quotes come; the caller throttles). */
  onChange(listener: () => void): void {
    this.onPrices = listener;
  }

  /**
   * The DB says something traded: ask the broker again shortly (coalesced), so its positions and working
   * orders catch up with the fill instead of waiting for the next periodic refresh.
   */
  refreshSoon(): void {
    if (!this.enabled || this.stopped) return;
    if (!this.soonTimer) {
      this.soonTimer = setTimeout(() => {
        this.soonTimer = undefined;
        void this.refreshNow();
      }, 250);
      this.soonTimer.unref();
    }
    // And once IB's position reports can show it (they trail the fill by up to BROKER_SETTLE_MS).
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      void this.refreshNow();
    }, this.config.exits.brokerSettleMs + 100);
    this.settleTimer.unref();
  }

  start(): void {
    if (!this.enabled) return;
    this.interest();
    this.schedule(0);
  }

  /** Someone looks: keep refreshing for another minute. */
  interest(): void {
    const wasIdle = Date.now() - this.lastInterestMs > IDLE_AFTER_MS;
    this.lastInterestMs = Date.now();
    if (wasIdle && this.enabled && !this.stopped && !this.refreshing) this.schedule(0);
  }

  current(): BrokerViewState {
    if (!this.state.snapshot.reachable) return this.state;
    // Prices move between refreshes: the snapshot carries the latest of each.
    const lastPrices: Record<string, number> = {};
    for (const [symbol, q] of this.quotes) if (q.price !== undefined) lastPrices[symbol] = q.price;
    return { ...this.state, snapshot: { ...this.state.snapshot, lastPrices } };
  }

  /** A refresh now (the first page load waits for it, bounded by the request timeout). */
  refreshNow(): Promise<void> {
    if (!this.enabled || this.stopped) return Promise.resolve();
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    for (const q of this.quotes.values()) q.unsubscribe();
    this.quotes.clear();
    const broker = this.broker;
    this.broker = undefined;
    await broker?.disconnect();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (Date.now() - this.lastInterestMs > IDLE_AFTER_MS) return; // nobody looks: stop asking the gateway
      void this.refreshNow().finally(() => this.schedule(this.config.dashboard.brokerRefreshMs));
    }, delayMs);
    this.timer.unref();
  }

  private async ensureConnected(): Promise<BrokerPort> {
    if (this.broker?.isConnected()) return this.broker;
    this.connecting ??= (async () => {
      const previous = this.broker;
      this.broker = undefined;
      await previous?.disconnect();
      const { config } = this;
      const broker = createBroker({
        config: { ...config, ib: { ...config.ib, connectTimeoutMs: Math.min(config.ib.connectTimeoutMs, 3_000), requestTimeoutMs: Math.min(config.ib.requestTimeoutMs, 4_000) } },
        clientId: this.clientId,
        log: this.log.child({ component: 'broker-view' }),
        // The dashboard never places orders; the adapter still wants an allocator.
        orderIds: { reserve: (_clientId, brokerNextValidId) => brokerNextValidId },
      });
      try {
        await broker.connect();
      } catch (error) {
        await broker.disconnect();
        throw error;
      }
      this.broker = broker;
      for (const q of this.quotes.values()) q.unsubscribe();
      this.quotes.clear();
    })().finally(() => (this.connecting = undefined));
    await this.connecting;
    return this.broker!;
  }

  private async refresh(): Promise<void> {
    let broker: BrokerPort;
    try {
      broker = await this.ensureConnected();
    } catch (error) {
      this.state = { refreshedAtMs: this.state.refreshedAtMs, snapshot: brokerUnreachable(this.endpoint, this.clientId, error) };
      return;
    }
    const problems: string[] = [];
    const failed = (what: string) => (error: unknown) => {
      problems.push(`${what} failed: ${errorMessage(error)}`);
      return undefined;
    };
    const [summary, positions, openOrders] = await Promise.all([
      broker.accountSummary().catch(failed('account summary')),
      broker.positions().catch(failed('positions query (quantities unknown, not zero)')),
      broker.openOrders('all').catch(failed('open orders query (protection not verified)')) as Promise<BrokerOrder[] | undefined>,
    ]);
    this.follow(broker, positions);
    this.state = {
      refreshedAtMs: Date.now(),
      snapshot: {
        reachable: true, endpoint: this.endpoint, clientId: this.clientId, accountId: summary?.accountId || null,
        netLiquidation: summary?.netLiquidation ?? null, buyingPower: summary?.buyingPower ?? null, positions, openOrders, lastPrices: {}, problems,
      },
    };
    this.onPrices?.();
  }

  /**
   * Quote subscriptions for exactly the US stocks the broker holds. Their position reports gave the adapter
   * their conId, so a SMART request is never ambiguous (IB 200: a tenth of the realistic simulator's symbols,
   * and real share classes, are); a symbol only the DB names (an entry not filled yet) has nothing to price.
   * Positions unknown (the query failed): the subscriptions stay as they are.
   */
  private follow(broker: BrokerPort, positions: BrokerPosition[] | undefined): void {
    if (positions === undefined) return;
    const wanted = new Set(positions.filter((p) => isUsdStock(p) && p.quantity !== 0).map((p) => p.symbol));
    for (const symbol of wanted) {
      if (this.quotes.has(symbol)) continue;
      const entry: { unsubscribe: () => void; price?: number } = { unsubscribe: () => undefined };
      this.quotes.set(symbol, entry);
      entry.unsubscribe = broker.subscribeQuotes(symbol, (quote) => {
        const price = priceOf(quote);
        if (price === undefined || price === entry.price) return;
        entry.price = price;
        this.onPrices?.();
      });
    }
    for (const [symbol, entry] of this.quotes) {
      if (wanted.has(symbol)) continue;
      entry.unsubscribe();
      this.quotes.delete(symbol);
    }
  }
}

/** The last trade, else the bid/ask midpoint (what the status console shows as the last price). */
function priceOf(quote: Quote): number | undefined {
  if (quote.last !== undefined && quote.last > 0) return quote.last;
  if (quote.bid !== undefined && quote.ask !== undefined && quote.bid > 0 && quote.ask > 0) return (quote.bid + quote.ask) / 2;
  return undefined;
}
