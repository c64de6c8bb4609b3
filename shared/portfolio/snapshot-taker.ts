import { isUsdStock, type BrokerPort, type BrokerPosition } from '../broker/types';
import type { ActivePositionsRepository } from '../db/repositories/active-positions-repository';
import type { ClosedPositionsRepository } from '../db/repositories/closed-positions-repository';
import { PortfolioSnapshotsRepository, type PortfolioSnapshot } from '../db/repositories/portfolio-snapshots-repository';
import type { Db } from '../db/open-database';
import { errorMessage } from '../errors/errors';
import type { Logger } from '../log/logger';
import type { Clock } from '../time/clock';
import { previousTradingDay, tradingDayOf, type TradingDay } from '../time/trading-calendar';
import { computeSnapshot, type SnapshotKind } from './snapshot-model';

/** The quotes the snapshot marks positions to: the reconciler's subscriptions, shared so none is doubled. */
export interface QuoteSource {
  followQuotes(symbols: string[]): void;
  lastPrice(symbol: string): number | undefined;
}

export interface SnapshotTakerDeps {
  broker: BrokerPort;
  db: Db;
  clock: Clock;
  log: Logger;
  positions: ActivePositionsRepository;
  closed: ClosedPositionsRepository;
  quotes: QuoteSource;
  /** The configured account (IB_ACCOUNT); undefined: whatever account the gateway reports. */
  account: string | undefined;
  /** Real ms each of IB's answers may take before the snapshot goes on without it. */
  answerTimeoutMs: number;
  /** Trading days of intraday snapshots kept; older days keep only their last snapshot. */
  intradayRetentionDays: number;
}

/**
 * Takes portfolio snapshots for the reconciler: IB's account summary, P&L and positions (each may fail on
 * its own: the snapshot records what IB said and says what it did not), our rows and closed trades, marked
 * to IB's last prices. One immediate transaction per snapshot moves the NAV high-water mark with it.
 */
export class PortfolioSnapshotTaker {
  private readonly snapshots: PortfolioSnapshotsRepository;
  private lastPrunedDay: TradingDay | undefined;

  constructor(private readonly d: SnapshotTakerDeps) {
    this.snapshots = new PortfolioSnapshotsRepository(d.db, d.clock);
  }

  async take(kind: SnapshotKind): Promise<PortfolioSnapshot | undefined> {
    const { broker, clock, log } = this.d;
    const [summary, pnl, allPositions] = await Promise.all([
      this.answer('account summary', broker.accountSummary()),
      this.answer('account P&L', broker.accountPnl()),
      this.answer('positions', broker.positions()),
    ]);
    const account = this.d.account ?? summary?.accountId ?? '';
    const ibPositions = allPositions?.filter((p) => !this.d.account || p.account === this.d.account);
    if (ibPositions) this.d.quotes.followQuotes(usdStockSymbols(ibPositions));
    const nowMs = clock.now();
    const tradingDay = tradingDayOf(nowMs);
    const ourRows = this.d.positions.getActivePositions();
    const prices = new Map<string, number>();
    for (const symbol of new Set([...ourRows.map((r) => r.symbol), ...usdStockSymbols(ibPositions ?? [])])) {
      const price = this.d.quotes.lastPrice(symbol);
      if (price !== undefined && price > 0) prices.set(symbol, price);
    }
    const computed = computeSnapshot({
      takenAtMs: nowMs, takenAtRealMs: Date.now(), tradingDay, kind, account,
      ibSummary: summary, ibPnl: pnl, ibPositions, ourRows, closedToday: this.d.closed.getClosedToday(tradingDay), prices,
      previousCloseNav: this.snapshots.lastBefore(tradingDay)?.nav,
    });
    if (!computed) {
      log.warn('portfolio_snapshot_skipped', { kind, what: 'IB gave no net liquidation and our own figures have no opening NAV yet' });
      return undefined;
    }
    const stored = this.snapshots.record(computed);
    const level = kind === 'interval' ? 'debug' : 'info';
    log[level]('portfolio_snapshot', {
      kind, nav: stored.nav, navSource: stored.navSource, peakNav: stored.peakNav, drawdownPct: stored.drawdownPct,
      navDifference: stored.navDifference, dailyPnlDifference: stored.dailyPnlDifference, positions: stored.positions,
    });
    if (kind === 'close') this.prune(tradingDay);
    return stored;
  }

  /** Once per trading day, after its close: intraday rows older than the retention keep only each day's last. */
  private prune(tradingDay: TradingDay): void {
    if (this.lastPrunedDay === tradingDay) return;
    let cutoff = tradingDay;
    // N days kept: this one and the N - 1 before it.
    for (let i = 1; i < this.d.intradayRetentionDays; i++) cutoff = previousTradingDay(cutoff);
    const removed = this.snapshots.pruneIntradayBefore(cutoff);
    this.lastPrunedDay = tradingDay;
    if (removed > 0) this.d.log.info('portfolio_snapshots_pruned', { before: cutoff, removed });
  }

  /** IB's answer, or undefined (said in the log) when it fails or takes longer than the snapshot can wait. */
  private async answer<T>(what: string, request: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.d.answerTimeoutMs);
    });
    try {
      const value = await Promise.race([request.catch((error: unknown) => {
        this.d.log.debug('portfolio_snapshot_answer_failed', { what, error: errorMessage(error) });
        return undefined;
      }), timeout]);
      if (value === undefined) this.d.log.debug('portfolio_snapshot_without', { what });
      return value;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The symbols the reconciler follows too (its run() subscribes the same set), so nothing is subscribed twice or churned. */
function usdStockSymbols(positions: readonly BrokerPosition[]): string[] {
  return [...new Set(positions.filter((p) => isUsdStock(p)).map((p) => p.symbol))];
}
