/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * A SimGateway in this process, on a loopback port, on a ManualClock the test moves, with the unmodified
 * @stoqey/ib IBApi as its client: what a real program sees, with market time under the test's control.
 * Every event the client emits is recorded; tests wait for events (never sleep) and use `sync()` (a
 * reqCurrentTime round trip) to know that everything answered before it has arrived.
 */
import { EventName, IBApi, SecType, type Contract } from '@stoqey/ib';
import type { MarketSnapshot } from '../../../../apps/sim-gateway/engine/types';
import { SimGateway } from '../../../../apps/sim-gateway/gateway';
import { createSyntheticMarket, type MarketModel } from '../../../../apps/sim-gateway/market';
import { applyRealismPatch, realismFor, type RealismSettings } from '../../../../apps/sim-gateway/realism/realism-settings';
import { memoryLogger } from '../../../../shared/log/logger';
import { ManualClock } from '../../../../shared/time/clock';
import { newYorkTime } from '../../../../shared/time/trading-calendar';
import { makeTempDir } from '../../../helpers/temp-dir';

export const DAY = '2026-11-23';

export interface InProcessOptions {
  /** Market time to start at (default 10:00 New York on DAY). */
  atMs?: number;
  /** Realism switches over the ideal profile. */
  realism?: Partial<RealismSettings>;
  seed?: number;
  /** Real ms between scanner/account refreshes (default: a minute, i.e. not during a test). */
  refreshIntervalMs?: number;
  /** The market (default: a synthetic market of 30 symbols with the seed). */
  model?: MarketModel;
}

export interface RecordedEvent {
  readonly name: string;
  readonly args: any[];
}

const RECORDED = [
  EventName.tickPrice, EventName.tickSize, EventName.tickString, EventName.tickGeneric, EventName.tickReqParams, EventName.marketDataType,
  EventName.tickSnapshotEnd, EventName.error, EventName.historicalData, EventName.scannerData, EventName.scannerDataEnd, EventName.contractDetails,
  EventName.contractDetailsEnd, EventName.openOrder, EventName.orderStatus, EventName.currentTime,
];

export class TestClient {
  readonly events: RecordedEvent[] = [];
  private waiters: Array<{ test: (event: RecordedEvent) => boolean; resolve: (event: RecordedEvent) => void }> = [];
  nextOrderId = 0;

  constructor(readonly ib: IBApi) {
    for (const name of RECORDED) {
      (ib as any).on(name, (...args: any[]) => this.record({ name, args }));
    }
  }

  private record(event: RecordedEvent): void {
    this.events.push(event);
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (waiter.test(event)) waiter.resolve(event);
      else this.waiters.push(waiter);
    }
  }

  /** The first event from now on that matches. */
  next(name: EventName, test: (...args: any[]) => boolean = () => true): Promise<RecordedEvent> {
    return new Promise((resolve) => this.waiters.push({ test: (event) => event.name === name && test(...event.args), resolve }));
  }

  /** Everything the client received before this returns: the gateway answers in order on one connection. */
  async sync(): Promise<void> {
    const marker = this.next(EventName.currentTime);
    this.ib.reqCurrentTime();
    await marker;
  }

  /** Recorded events of one request id (market data, history, scanner, contract details, errors). */
  of(reqId: number): RecordedEvent[] {
    return this.events.filter((event) => (event.name === EventName.error ? event.args[2] === reqId : event.args[0] === reqId));
  }

  errorsOf(reqId: number): Array<{ code: number; message: string }> {
    return this.of(reqId).filter((e) => e.name === EventName.error).map((e) => ({ code: e.args[1], message: (e.args[0] as Error).message }));
  }

  /** Last value per tick type of a market data request (prices from tickPrice, sizes from tickSize). */
  ticks(reqId: number): Map<number, number> {
    const values = new Map<number, number>();
    for (const event of this.of(reqId)) {
      if (event.name === EventName.tickPrice || event.name === EventName.tickSize) values.set(event.args[1], Number(event.args[2]));
    }
    return values;
  }

  tickTypes(reqId: number): Set<number> {
    return new Set(this.of(reqId).filter((e) => e.name === EventName.tickPrice || e.name === EventName.tickSize).map((e) => e.args[1] as number));
  }

  marketDataTypes(reqId: number): number[] {
    return this.of(reqId).filter((e) => e.name === EventName.marketDataType).map((e) => e.args[1] as number);
  }

  /** Requests the history and resolves with its error code, or 0 when bars came. */
  async history(reqId: number, contract: Contract, endDateTime = '', duration = '1 D', barSize = '5 mins', whatToShow = 'TRADES'): Promise<number> {
    const answer = Promise.race([
      this.next(EventName.historicalData, (id: number, time: string) => id === reqId && time.startsWith('finished')).then(() => 0),
      this.next(EventName.error, (_e: Error, _code: number, id: number) => id === reqId).then((event) => event.args[1] as number),
    ]);
    this.ib.reqHistoricalData(reqId, contract, endDateTime, duration, barSize as never, whatToShow as never, 0, 2, false);
    return answer;
  }
}

export class InProcessGateway {
  readonly log = memoryLogger();
  readonly clock: ManualClock;
  readonly gateway: SimGateway;
  private readonly temp = makeTempDir('realism');
  private readonly clients: IBApi[] = [];
  /** Copies of every snapshot the feed produced since start, in order (what the market looked like when). */
  readonly history = new Map<string, MarketSnapshot[]>();

  constructor(options: InProcessOptions = {}) {
    this.clock = new ManualClock(options.atMs ?? newYorkTime(DAY, '10:00'), 60);
    const realism = applyRealismPatch(realismFor('ideal'), (options.realism ?? {}) as Record<string, unknown>);
    this.gateway = new SimGateway({
      host: '127.0.0.1', port: 0, stateDir: this.temp.dir, accountId: 'DU7654321', startingCash: 1_000_000,
      model: options.model ?? createSyntheticMarket({ seed: options.seed ?? 7, universeSize: 30 }), clock: this.clock, log: this.log, speed: 60,
      refreshIntervalMs: options.refreshIntervalMs ?? 60_000, realism, realismSeed: 7,
    });
    this.gateway.feed.on('trade', (symbol, snapshot) => {
      const list = this.history.get(symbol) ?? [];
      list.push({ ...snapshot });
      this.history.set(symbol, list);
    });
  }

  async start(): Promise<this> {
    await this.gateway.start();
    return this;
  }

  setRealism(patch: Partial<RealismSettings>): void {
    this.gateway.realism = applyRealismPatch(this.gateway.realism, patch as Record<string, unknown>);
  }

  /** Moves market time forward in steps, playing the feed at each (as its timer would). */
  advance(ms: number, stepMs = 5_000): void {
    for (let done = 0; done < ms; done += stepMs) {
      this.clock.advance(Math.min(stepMs, ms - done));
      this.gateway.feed.step();
    }
  }

  /**
   * A trade of the symbol at the current market time (a price "jump" of 0 %), so every subscriber gets an
   * update computed now: the last update of `advance` was computed at the last step the symbol traded in.
   */
  touch(symbol: string): void {
    this.gateway.feed.jump(symbol, 0);
  }

  /** The symbol's state as of market time t (the last trade at or before it), from the feed's own events. */
  stateAt(symbol: string, timeMs: number): MarketSnapshot | undefined {
    const list = this.history.get(symbol) ?? [];
    let found: MarketSnapshot | undefined;
    for (const s of list) if (s.timeMs <= timeMs) found = s;
    return found;
  }

  async connect(clientId: number): Promise<TestClient> {
    const ib = new IBApi({ host: '127.0.0.1', port: this.gateway.port, clientId });
    this.clients.push(ib);
    const client = new TestClient(ib);
    const ready = new Promise<void>((resolve) => ib.once(EventName.nextValidId, (id: number) => {
      client.nextOrderId = id;
      resolve();
    }));
    ib.connect();
    await ready;
    return client;
  }

  async stop(): Promise<void> {
    for (const ib of this.clients) ib.disconnect();
    await this.gateway.stop();
    this.temp.cleanup();
  }
}

export const stock = (symbol: string, extra: Partial<Contract> = {}): Contract => ({ symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD', ...extra });
