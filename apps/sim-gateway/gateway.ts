import net from 'node:net';
import type { Clock } from '../../shared/time/clock';
import type { Logger } from '../../shared/log/logger';
import { BrokerEngine } from './engine/broker-engine';
import type { MarketSnapshot, SimExecution, SimOrder, SimPosition } from './engine/types';
import { MarketFeed } from './feed/market-feed';
import { positionMessage, sendAccountSummary, sendAccountUpdates, sendPnl } from './handlers/account-requests';
import { liveTicks } from './handlers/market-data-requests';
import { nextValidIdFor } from './handlers/order-requests';
import { sendScan } from './handlers/reference-requests';
import type { MarketModel, SymbolInfo } from './market';
import type { ClientRequest } from './protocol/client-request-types';
import { errorMessageFields, managedAccountsFields, nextValidIdFields, type ServerContract, type WireField } from './protocol/server-messages';
import { BrokerStore } from './state/broker-store';
import { ClientSession } from './tcp/client-session';
import { contractFor } from './tcp/contracts';
import type { FaultState, GatewayContext } from './tcp/gateway-context';
import { executionMessages, ibTime, openOrderMessage, orderStatusMessage } from './tcp/order-messages';
import { routeRequest } from './tcp/request-router';
import { SeededRandom } from './market/seeded-random';
import { realismFor, type RealismSettings } from './realism/realism-settings';

export interface SimGatewayOptions {
  host: string;
  port: number;
  stateDir: string;
  accountId: string;
  startingCash: number;
  model: MarketModel;
  clock: Clock;
  log: Logger;
  speed: number;
  /** Real ms between account/P&L/scanner refreshes sent to subscribers. */
  refreshIntervalMs?: number;
  /** How hostile the simulator is (default: the ideal profile, for code that constructs a gateway directly). */
  realism?: RealismSettings;
  /** Seed of the realism decisions (delays, corrections). */
  realismSeed?: number;
}

const MAX_CLIENTS = 32;
const MESSAGES_PER_SECOND_LIMIT = 100;

/**
 * A simulated IB Gateway: the TWS wire protocol on a TCP port, a simulated account persisted on disk, a
 * market played on the shared compressed clock, and faults on demand. Clients cannot tell it from IB at
 * the protocol level; they reach it only over TCP.
 */
export class SimGateway implements GatewayContext {
  readonly faults: FaultState = {
    silent: false, refuseConnections: false, positionsTimeouts: 0, historicalPacingViolations: 0,
    idsBackwardsOnRestart: false, idsBackwardsActive: false, replayExecutionsOnRestart: false, replayExecutionsActive: false,
  };
  readonly feed: MarketFeed;
  readonly model: MarketModel;
  readonly clock: Clock;
  readonly log: Logger;
  readonly accountId: string;
  realism: RealismSettings;
  private readonly realismRandom: SeededRandom;
  engine: BrokerEngine;
  private store: BrokerStore;
  private readonly allSessions = new Set<ClientSession>();
  private readonly byClientId = new Map<number, ClientSession>();
  private readonly infos: Map<string, SymbolInfo>;
  private readonly contracts = new Map<string, ServerContract>();
  private readonly priceFactors: Map<string, number>;
  private server: net.Server | undefined;
  private timers: NodeJS.Timeout[] = [];
  private boundPort = 0;

  constructor(private readonly options: SimGatewayOptions) {
    this.model = options.model;
    this.clock = options.clock;
    this.log = options.log;
    this.accountId = options.accountId;
    this.realism = options.realism ?? realismFor('ideal');
    this.realismRandom = SeededRandom.from(options.realismSeed ?? 1, 'realism');
    this.infos = new Map(options.model.universe.map((i) => [i.symbol, i]));
    this.store = new BrokerStore(options.stateDir);
    this.priceFactors = new Map(Object.entries(this.store.getMeta<Record<string, number>>('priceFactors', {})));
    this.feed = new MarketFeed(options.model, options.clock, MarketFeed.ticksPerBarFor(options.speed), this.priceFactors);
    this.engine = this.createEngine();
    this.feed.on('trade', (symbol, snapshot, live) => this.onTrade(symbol, snapshot, live));
  }

  get port(): number {
    return this.boundPort;
  }

  get silent(): boolean {
    return this.faults.silent;
  }

  async start(): Promise<number> {
    this.feed.start();
    const refreshMs = this.options.refreshIntervalMs ?? 2_000;
    this.timers.push(setInterval(() => this.engine.onSessionBoundary(), 500));
    this.timers.push(setInterval(() => this.refreshSubscribers(), refreshMs));
    await this.listen();
    return this.boundPort;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.feed.stop();
    this.dropConnections('gateway stopping');
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
    this.store.close();
  }

  // ---- GatewayContext ----
  random(): number {
    return this.realismRandom.unit();
  }
  sessions(): Iterable<ClientSession> {
    return this.allSessions;
  }
  sessionFor(clientId: number): ClientSession | undefined {
    return this.byClientId.get(clientId);
  }
  info(symbol: string): SymbolInfo | undefined {
    return this.infos.get(symbol);
  }
  contract(symbol: string): ServerContract {
    let contract = this.contracts.get(symbol);
    if (!contract) {
      const info = this.infos.get(symbol);
      contract = info ? contractFor(info) : { conId: 0, symbol, secType: 'STK', exchange: 'SMART', currency: 'USD' };
      this.contracts.set(symbol, contract);
    }
    return contract;
  }

  // ---- SessionHost ----
  connectionTime(): string {
    return ibTime(this.clock.now());
  }

  onRequest(session: ClientSession, request: ClientRequest): void {
    if (session.countMessage(MESSAGES_PER_SECOND_LIMIT)) {
      session.sendError(-1, 100, 'Max rate of messages per second has been exceeded.');
    }
    if (request.kind === 'startApi') return this.startApi(session, request.clientId);
    if (session.clientId === undefined) return; // TWS ignores requests before START_API
    try {
      routeRequest(this, session, request);
    } catch (error) {
      this.log.error('request_failed', { clientId: session.clientId, kind: request.kind, error: (error as Error).message, stack: (error as Error).stack });
      session.sendError(-1, 320, `Error processing request: ${(error as Error).message}`);
    }
  }

  onClosed(session: ClientSession): void {
    this.allSessions.delete(session);
    if (session.clientId !== undefined && this.byClientId.get(session.clientId) === session) this.byClientId.delete(session.clientId);
    this.log.info('client_disconnected', { clientId: session.clientId, remote: session.remote });
  }

  // ---- faults (admin) ----
  dropConnections(reason: string): number {
    const sessions = [...this.allSessions];
    for (const session of sessions) session.close();
    if (sessions.length) this.log.warn('connections_dropped', { count: sessions.length, reason });
    return sessions.length;
  }

  setSilent(silent: boolean): void {
    this.faults.silent = silent;
    this.log.warn(silent ? 'gateway_silent' : 'gateway_answering', {});
    if (!silent) for (const session of [...this.allSessions]) session.thaw();
  }

  /**
   * A gateway restart as IB does daily: every connection drops, new ones are refused for `downMs`, the
   * account is reloaded from disk (nothing is lost), then the armed quirks apply.
   */
  async restart(downMs: number): Promise<void> {
    this.log.warn('gateway_restarting', { downMs });
    this.faults.refuseConnections = true;
    this.dropConnections('restart');
    this.store.close();
    this.store = new BrokerStore(this.options.stateDir);
    this.engine = this.createEngine();
    this.faults.idsBackwardsActive = this.faults.idsBackwardsOnRestart;
    this.faults.replayExecutionsActive = this.faults.replayExecutionsOnRestart;
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.faults.refuseConnections = false;
    this.faults.silent = false;
    this.log.warn('gateway_restarted', {});
  }

  broadcastNotice(code: number, message: string): void {
    for (const session of this.allSessions) if (session.clientId !== undefined) session.send(errorMessageFields({ id: -1, code, message }));
    this.log.warn('notice_broadcast', { code, message });
  }

  jump(symbol: string, pct: number): MarketSnapshot {
    const snapshot = this.feed.jump(symbol, pct);
    this.store.setMeta('priceFactors', Object.fromEntries(this.priceFactors));
    return snapshot;
  }

  manualTrade(symbol: string, quantity: number, price?: number): SimExecution {
    return this.engine.manualTrade(symbol, quantity, price);
  }

  dumpState(refPrefix?: string): Record<string, unknown> {
    const matches = (o: { orderRef: string }) => refPrefix === undefined || o.orderRef.startsWith(refPrefix);
    return {
      accountId: this.accountId,
      marketTime: new Date(this.clock.now()).toISOString(),
      account: this.engine.accountValues(),
      positions: this.engine.getPositions(),
      orders: this.engine.getOrders().filter(matches),
      executions: this.engine.getExecutions().filter(matches),
      clients: [...this.allSessions].map((s) => ({ clientId: s.clientId, remote: s.remote })),
      faults: this.faults,
      ticksEmitted: this.feed.ticksEmitted,
    };
  }

  // ---- internals ----
  private createEngine(): BrokerEngine {
    const engine = new BrokerEngine(this.store, { hasSymbol: (s) => this.infos.has(s), snapshot: (s) => this.feed.snapshot(s) }, this.clock, {
      accountId: this.accountId, startingCash: this.options.startingCash, buyingPowerMultiple: 4,
    });
    engine.on('order', (order) => this.onOrder(order));
    engine.on('execution', (execution) => this.onExecution(execution));
    engine.on('position', (position) => this.onPosition(position));
    engine.on('orderError', (e) => this.sessionFor(e.clientId)?.sendError(e.orderId, e.code, e.message));
    return engine;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.onConnection(socket));
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        server.on('error', (error) => this.log.error('server_error', { error: error.message }));
        this.boundPort = (server.address() as net.AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  private onConnection(socket: net.Socket): void {
    if (this.faults.refuseConnections || this.allSessions.size >= MAX_CLIENTS) {
      socket.destroy();
      return;
    }
    const session = new ClientSession(socket, this);
    this.allSessions.add(session);
  }

  private startApi(session: ClientSession, clientId: number): void {
    const existing = this.byClientId.get(clientId);
    if (existing && existing !== session && existing.isOpen) {
      // IB sends 326 with id -1 (so @stoqey/ib reports it as info) and drops the connection.
      session.sendError(-1, 326, 'Unable to connect as the client id is already in use. Retry with a unique client id.');
      this.log.warn('duplicate_client_id', { clientId, remote: session.remote });
      setImmediate(() => session.close());
      return;
    }
    session.clientId = clientId;
    this.byClientId.set(clientId, session);
    const messages: WireField[][] = [
      managedAccountsFields([this.accountId]),
      nextValidIdFields(nextValidIdFor(this, clientId)),
      errorMessageFields({ id: -1, code: 2104, message: 'Market data farm connection is OK:usfarm' }),
      errorMessageFields({ id: -1, code: 2106, message: 'HMDS data farm connection is OK:ushmds' }),
      errorMessageFields({ id: -1, code: 2158, message: 'Sec-def data farm connection is OK:secdefnj' }),
    ];
    // TWS binds a client's open orders to it on connect.
    for (const order of this.engine.workingOrders(clientId)) messages.push(openOrderMessage(order, this.contract(order.symbol)), orderStatusMessage(order));
    if (this.faults.replayExecutionsActive) {
      for (const execution of this.engine.getExecutions()) {
        if (execution.clientId === clientId) messages.push(...executionMessages(execution, this.contract(execution.symbol), this.accountId));
      }
    }
    session.sendAll(messages);
    this.log.info('client_connected', { clientId, remote: session.remote });
  }

  private onOrder(order: SimOrder): void {
    this.sessionFor(order.clientId)?.sendAll([openOrderMessage(order, this.contract(order.symbol)), orderStatusMessage(order)]);
  }

  private onExecution(execution: SimExecution): void {
    this.sessionFor(execution.clientId)?.sendAll(executionMessages(execution, this.contract(execution.symbol), this.accountId));
    // Logged after the reply is queued: a log line costs more than the rest of the fill path.
    setImmediate(() => this.log.info('execution', { clientId: execution.clientId, orderId: execution.orderId, symbol: execution.symbol, side: execution.side, shares: execution.shares, price: execution.price, orderRef: execution.orderRef, execId: execution.execId }));
  }

  private onPosition(position: SimPosition): void {
    const message = positionMessage(this, position);
    for (const session of this.allSessions) if (session.subscriptions.positions) session.send(message);
  }

  private onTrade(symbol: string, snapshot: MarketSnapshot, live: boolean): void {
    this.engine.onMarketUpdate(symbol);
    if (!live) return;
    for (const session of this.allSessions) {
      for (const [reqId, subscription] of session.subscriptions.marketData) {
        if (subscription.symbol === symbol) session.sendAll(liveTicks(reqId, snapshot, subscription.rtVolume));
      }
    }
  }

  private refreshSubscribers(): void {
    for (const session of this.allSessions) {
      if (session.clientId === undefined) continue;
      if (session.subscriptions.accountUpdates) sendAccountUpdates(this, session);
      for (const reqId of session.subscriptions.accountSummary) sendAccountSummary(this, session, reqId);
      if (session.subscriptions.pnl.size || session.subscriptions.pnlSingle.size) sendPnl(this, session);
      for (const reqId of session.subscriptions.scanners.keys()) sendScan(this, session, reqId);
    }
  }
}
