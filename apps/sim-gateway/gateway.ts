import net from 'node:net';
import type { Clock } from '../../shared/time/clock';
import { sessionHours, tradingDayOf } from '../../shared/time/trading-calendar';
import { warmAverageVolumes } from './feed/scanner';
import type { Logger } from '../../shared/log/logger';
import { BrokerEngine } from './engine/broker-engine';
import type { MarketSnapshot, SimExecution, SimOrder, SimPosition } from './engine/types';
import { MarketFeed } from './feed/market-feed';
import { positionMessage, sendAccountSummary, sendAccountUpdates, sendPnl } from './handlers/account-requests';
import { liveTicks } from './handlers/market-data-requests';
import { delayedMarketData } from './handlers/delayed-market-data';
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
import { DelayedDelivery } from './realism/delayed-delivery';
import { foreignHoldingsPlan, optionContract, type StaticHolding } from './realism/foreign-holdings';
import { ReportedPositions, type PositionView } from './realism/reported-positions';
import { ExposureMonitor } from './realism/exposure-monitor';
import { IB_ERRORS } from './engine/order-errors';

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
    silent: false, refuseConnections: false, positionsTimeouts: 0, openOrdersTimeouts: 0, lateAnswerMs: 10_000, ibLinkLost: false, historicalPacingViolations: 0,
    idsBackwardsOnRestart: false, idsBackwardsActive: false, replayExecutionsOnRestart: false, replayExecutionsActive: false, presetWarnings: 0,
    presetWarning: { ...IB_ERRORS.TIF_FROM_PRESET },
  };
  readonly feed: MarketFeed;
  readonly model: MarketModel;
  readonly clock: Clock;
  readonly log: Logger;
  readonly accountId: string;
  realism: RealismSettings;
  private readonly realismRandom: SeededRandom;
  private readonly delivery: DelayedDelivery;
  private readonly reported: ReportedPositions;
  readonly exposure: ExposureMonitor;
  /** Shares per symbol the account held before any bot traded (seeded foreign holdings). */
  private foreignFloor: Record<string, number> = {};
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
  private scannerWarmDay: string | undefined;

  constructor(private readonly options: SimGatewayOptions) {
    this.model = options.model;
    this.clock = options.clock;
    this.log = options.log;
    this.accountId = options.accountId;
    this.realism = options.realism ?? realismFor('ideal');
    this.realismRandom = SeededRandom.from(options.realismSeed ?? 1, 'realism');
    this.delivery = new DelayedDelivery(() => this.realismRandom.unit());
    this.reported = new ReportedPositions(this.delivery, () => this.realism, (view) => this.broadcastPosition(view));
    this.exposure = new ExposureMonitor(
      (symbol) => this.engine.positionOf(symbol),
      (symbol) => this.foreignFloor[symbol] ?? 0,
      (symbol) => this.engine.tradableOrders(symbol),
    );
    this.infos = new Map(options.model.universe.map((i) => [i.symbol, i]));
    this.store = new BrokerStore(options.stateDir);
    this.priceFactors = new Map(Object.entries(this.store.getMeta<Record<string, number>>('priceFactors', {})));
    this.feed = new MarketFeed(options.model, options.clock, MarketFeed.ticksPerBarFor(options.speed), this.priceFactors);
    this.engine = this.createEngine();
    this.feed.on('trade', (symbol, snapshot, live) => this.onTrade(symbol, snapshot, live));
    // An account without live data records the tape from the start, so delayed quotes reach 15 minutes back.
    if (this.realism.marketData !== 'live') delayedMarketData(this);
    this.resetReportedPositions();
  }

  /** The scanners' usual volumes of the market day, computed a symbol at a time before a scan needs them. */
  private warmScanner(): void {
    const day = tradingDayOf(this.clock.now());
    if (this.scannerWarmDay === day || !sessionHours(day)) return;
    this.scannerWarmDay = day;
    const startedMs = Date.now();
    void warmAverageVolumes(this.model, day).then((computed) => this.log.debug('scanner_warmed', { day, computed, ms: Date.now() - startedMs }));
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
    this.timers.push(setInterval(() => this.warmScanner(), 1_000));
    this.warmScanner();
    await this.listen();
    return this.boundPort;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.delivery.stop();
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
  positionRows(): PositionView[] {
    return this.reported.rows();
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
    this.resetReportedPositions();
    this.faults.ibLinkLost = false;
    this.faults.idsBackwardsActive = this.faults.idsBackwardsOnRestart;
    this.faults.replayExecutionsActive = this.faults.replayExecutionsOnRestart;
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.faults.refuseConnections = false;
    this.faults.silent = false;
    this.log.warn('gateway_restarted', {});
  }

  /**
   * Connectivity notices as IB sends them. 1100: the gateway lost IB: it keeps answering API requests, but
   * no data flows and nothing executes. 1101: restored, data lost: market-data subscriptions are gone and
   * must be renewed by the clients. 1102: restored, data kept.
   */
  broadcastNotice(code: number, message: string): void {
    if (code === 1100) this.faults.ibLinkLost = true;
    if (code === 1101 || code === 1102) {
      this.faults.ibLinkLost = false;
      if (code === 1101) {
        for (const session of this.allSessions) {
          session.subscriptions.marketData.clear();
          session.subscriptions.delayedMarketData.clear();
        }
      }
    }
    this.engine.frozen = this.faults.ibLinkLost;
    for (const session of this.allSessions) if (session.clientId !== undefined) session.send(errorMessageFields({ id: -1, code, message }));
    this.log.warn('notice_broadcast', { code, message });
    if (code === 1101 || code === 1102) for (const info of this.model.universe) this.engine.onMarketUpdate(info.symbol);
  }

  jump(symbol: string, pct: number): MarketSnapshot {
    const snapshot = this.feed.jump(symbol, pct);
    this.store.setMeta('priceFactors', Object.fromEntries(this.priceFactors));
    return snapshot;
  }

  manualTrade(symbol: string, quantity: number, price?: number): SimExecution {
    this.exposure.onManualTrade(symbol);
    return this.engine.manualTrade(symbol, quantity, price);
  }

  dumpState(refPrefix?: string): Record<string, unknown> {
    const matches = (o: { orderRef: string }) => refPrefix === undefined || o.orderRef.startsWith(refPrefix);
    return {
      accountId: this.accountId,
      marketTime: new Date(this.clock.now()).toISOString(),
      account: this.engine.accountValues(),
      positions: this.engine.getPositions(),
      exposure: this.exposure.report(),
      reportedPositions: this.reported.rows().map((v) => ({ conId: v.contract.conId, symbol: v.contract.symbol, secType: v.contract.secType, currency: v.contract.currency, quantity: v.quantity, averageCost: v.averageCost })),
      pendingDeliveries: this.delivery.pending(),
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
      accountId: this.accountId, startingCash: this.options.startingCash, buyingPowerMultiple: 4, strictPrices: () => this.realism.strictModifications,
      lateOcaJoinRules: () => this.realism.lateOcaJoinRules,
    });
    engine.on('order', (order) => {
      this.exposure.touch(order.symbol);
      this.onOrder(order);
    });
    engine.on('execution', (execution) => this.onExecution(execution));
    engine.on('position', (position) => {
      this.exposure.touch(position.symbol);
      this.onPosition(position);
    });
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
    // Real gateways send these two in either order; a client must wait for both.
    const handshake = [managedAccountsFields([this.accountId]), nextValidIdFields(nextValidIdFor(this, clientId))];
    if (this.realism.managedAccountsAfterNextValidId) handshake.reverse();
    const messages: WireField[][] = [
      ...handshake,
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

  /**
   * Executions go to the client that placed the order. On the realistic profile they trail the order status
   * of the same fill (so Filled, or Cancelled with filled > 0, is seen first), and a few are corrected later:
   * a new report with the next execId suffix replaces the first (see BrokerEngine.correctExecution).
   */
  private onExecution(execution: SimExecution): void {
    const key = `executions:${execution.clientId}`;
    const send = (report: SimExecution) => this.sessionFor(report.clientId)?.sendAll(executionMessages(report, this.contract(report.symbol), this.accountId));
    this.delivery.schedule(key, this.delivery.draw(this.realism.executionLag), () => send(execution));
    if (execution.clientId !== 0 && this.realism.correctionProbability > 0 && this.random() < this.realism.correctionProbability) {
      const delta = this.random() < 0.5 ? -0.01 : 0.01;
      this.delivery.schedule(key, this.delivery.draw(this.realism.correctionDelay), () => {
        const corrected = this.engine.correctExecution(execution.execId, delta);
        if (!corrected) return;
        this.log.warn('execution_corrected', { clientId: corrected.clientId, execId: execution.execId, correctedExecId: corrected.execId, from: execution.price, to: corrected.price, orderRef: corrected.orderRef });
        send(corrected);
      });
    }
    // Logged after the reply is queued: a log line costs more than the rest of the fill path.
    setImmediate(() => this.log.info('execution', { clientId: execution.clientId, orderId: execution.orderId, symbol: execution.symbol, side: execution.side, shares: execution.shares, price: execution.price, orderRef: execution.orderRef, execId: execution.execId }));
  }

  private onPosition(position: SimPosition): void {
    this.reported.onChange({ contract: this.contract(position.symbol), quantity: position.quantity, averageCost: position.averageCost });
  }

  private broadcastPosition(view: PositionView): void {
    const message = positionMessage(this, view);
    for (const session of this.allSessions) if (session.subscriptions.positions) session.send(message);
  }

  /**
   * The reported book starts from the truth. A fresh realistic account first gets what people hold besides
   * the bots' trades: a long-held stock, the share-class symbol, call options and a EUR stock.
   */
  private resetReportedPositions(): void {
    let statics: StaticHolding[] = this.store.getMeta<StaticHolding[]>('staticHoldings', []);
    if (this.realism.foreignHoldings && !this.store.getMeta('foreignHoldingsSeeded', false)) {
      const plan = foreignHoldingsPlan(this.options.realismSeed ?? 1, this.model.universe);
      const costOf = (symbol: string) => Math.round(this.feed.snapshot(symbol).previousClose * 0.8 * 100) / 100 || 50;
      this.engine.seedPosition(plan.stock.symbol, plan.stock.quantity, costOf(plan.stock.symbol));
      if (this.infos.has(plan.shareClass.symbol)) this.engine.seedPosition(plan.shareClass.symbol, plan.shareClass.quantity, costOf(plan.shareClass.symbol));
      const expiry = '20270115';
      statics = [
        ...plan.options.map((o) => {
          const price = this.feed.snapshot(o.underlying).previousClose || 50;
          return { contract: optionContract(o.underlying, Math.round(price), expiry), quantity: o.quantity, averageCost: Math.round(price * 0.06 * 100 * 100) / 100, marketPrice: Math.round(price * 0.05 * 100) / 100 };
        }),
        plan.euroStock,
      ];
      this.store.setMeta('staticHoldings', statics);
      // Shares the user held before any bot traded: never the bots' to sell (the exposure monitor's floor).
      const floor: Record<string, number> = { [plan.stock.symbol]: plan.stock.quantity };
      if (this.infos.has(plan.shareClass.symbol)) floor[plan.shareClass.symbol] = plan.shareClass.quantity;
      this.store.setMeta('foreignFloor', floor);
      this.store.setMeta('foreignHoldingsSeeded', true);
      this.log.info('foreign_holdings_seeded', { stock: plan.stock, shareClass: plan.shareClass, statics: statics.map((h) => `${h.contract.symbol} ${h.contract.secType} ${h.contract.currency} ${h.quantity}`) });
    }
    this.foreignFloor = this.store.getMeta<Record<string, number>>('foreignFloor', {});
    const truth = this.engine.getPositions().map((p) => ({ contract: this.contract(p.symbol), quantity: p.quantity, averageCost: p.averageCost }));
    this.reported.reset(truth, statics);
  }

  private onTrade(symbol: string, snapshot: MarketSnapshot, live: boolean): void {
    this.engine.onMarketUpdate(symbol);
    if (!live || this.faults.ibLinkLost) return;
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
