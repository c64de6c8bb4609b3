import { createBroker } from '../../shared/broker/create-broker';
import type { BrokerPort, Quote } from '../../shared/broker/types';
import type { ResolvedConfig } from '../../shared/config/schema';
import { AccountMismatchError, errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import type { BrokerSnapshot } from './status-model';

export interface StatusBrokerOptions {
  config: ResolvedConfig;
  log: Logger;
  /** The console must not hang on a dead gateway: about 2 s to connect, 3 s per query. */
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  lastPriceTimeoutMs: number;
}

/**
 * The console's own broker connection (client id `ib.clientIds.status`): read-only queries, never an order.
 * Kept open between refreshes of --watch; a gateway that did not answer is tried again on the next refresh.
 */
export class StatusBrokerLink {
  private broker: BrokerPort | undefined;
  private readonly endpoint: string;
  private readonly clientId: number;

  constructor(private readonly options: StatusBrokerOptions) {
    this.endpoint = `${options.config.ib.host}:${options.config.ib.port}`;
    this.clientId = options.config.ib.clientIds.status;
  }

  async snapshot(dbSymbols: readonly string[]): Promise<BrokerSnapshot> {
    const unreachable = (error: unknown): BrokerSnapshot => brokerUnreachable(this.endpoint, this.clientId, error);
    if (!this.broker?.isConnected()) {
      await this.close();
      const { config } = this.options;
      const broker = createBroker({
        config: { ...config, ib: { ...config.ib, connectTimeoutMs: this.options.connectTimeoutMs, requestTimeoutMs: this.options.requestTimeoutMs } },
        clientId: this.clientId,
        log: this.options.log,
        // The console never places orders; the adapter still wants an allocator.
        orderIds: { reserve: (_clientId, brokerNextValidId) => brokerNextValidId },
      });
      this.broker = broker;
      try {
        await broker.connect();
      } catch (error) {
        // Stop the adapter's background reconnect loop: the next refresh tries again from scratch.
        await this.close();
        return unreachable(error);
      }
    }
    return this.query(this.broker!, dbSymbols).catch((error: unknown) => unreachable(error));
  }

  async close(): Promise<void> {
    const broker = this.broker;
    this.broker = undefined;
    await broker?.disconnect();
  }

  private async query(broker: BrokerPort, dbSymbols: readonly string[]): Promise<BrokerSnapshot> {
    const problems: string[] = [];
    const failed = (what: string) => (error: unknown) => {
      problems.push(`${what} failed: ${errorMessage(error)}`);
      return undefined;
    };
    const [summary, positions, openOrders] = await Promise.all([
      broker.accountSummary().catch(failed('account summary')),
      broker.positions().catch(failed('positions query (quantities unknown, not zero)')),
      broker.openOrders('all').catch(failed('open orders query (protection not verified)')),
    ]);
    const symbols = [...new Set([...dbSymbols, ...(positions ?? []).map((p) => p.symbol)])];
    const prices = await Promise.all(symbols.map(async (symbol) => [symbol, await lastPrice(broker, symbol, this.options.lastPriceTimeoutMs)] as const));
    const lastPrices: Record<string, number> = {};
    for (const [symbol, price] of prices) if (price !== undefined) lastPrices[symbol] = price;
    return {
      reachable: true, endpoint: this.endpoint, clientId: this.clientId, accountId: summary?.accountId || null,
      netLiquidation: summary?.netLiquidation ?? null, buyingPower: summary?.buyingPower ?? null, positions, openOrders, lastPrices, problems,
    };
  }
}

/** The broker section of a report when the gateway did not answer (or answered for the wrong account). */
export function brokerUnreachable(endpoint: string, clientId: number, error: unknown): BrokerSnapshot {
  return {
    reachable: false, endpoint, clientId,
    problem: error instanceof AccountMismatchError
      ? `gateway at ${endpoint} answered, for the wrong account: ${errorMessage(error)}`
      : `gateway at ${endpoint} is not answering: ${errorMessage(error)}`,
  };
}

/** The last trade price (or, failing that within the timeout, the bid/ask midpoint); undefined when no quote came. */
export function lastPrice(broker: BrokerPort, symbol: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    let latest: Quote | undefined;
    let unsubscribe: (() => void) | undefined;
    let settled = false;
    const finish = (price: number | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe?.();
      resolve(price);
    };
    const timer = setTimeout(() => {
      const bid = latest?.bid;
      const ask = latest?.ask;
      finish(bid !== undefined && ask !== undefined && bid > 0 && ask > 0 ? (bid + ask) / 2 : undefined);
    }, timeoutMs);
    unsubscribe = broker.subscribeQuotes(symbol, (quote) => {
      latest = { ...quote };
      if (quote.last !== undefined && quote.last > 0) finish(quote.last);
    });
    if (settled) unsubscribe();
  });
}
