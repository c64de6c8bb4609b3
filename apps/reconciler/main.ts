import { createBroker } from '../../shared/broker/create-broker';
import { DailySummaryRepository } from '../../shared/history';
import { PortfolioSnapshotTaker } from '../../shared/portfolio/snapshot-taker';
import { ScheduleRepository } from '../../shared/schedule';
import { runApp } from '../../shared/process/run-app';
import { runPeriodically } from '../../shared/process/periodic';
import { realDelayMs } from '../../shared/time/clock';
import { marketPhase, tradingDayOf } from '../../shared/time/trading-calendar';
import { isBusyError } from '../../shared/db';
import { errorMessage } from '../../shared/errors/errors';
import { Reconciler, type RunResult } from './reconciler';

/**
 * reconciler: DB against broker on start, every RECONCILE_INTERVAL_S of market time and after the close
 * (scheduled by the supervisor), then the day's summary with the account's equity. It also takes the
 * portfolio snapshots (NAV, cash, positions: IB's figures beside ours) every SNAPSHOT_INTERVAL_S of market
 * time in the regular session and once after the close, marked to the quotes it already follows.
 */
runApp({
  app: 'reconciler',
  main: async (ctx) => {
    const { config, log, repos, clock, heartbeat, db } = ctx;
    const broker = createBroker({ config, clientId: config.ib.clientIds.reconciler, log, orderIds: repos.orderIds, heartbeat, alerts: repos.alerts, app: ctx.app });
    const reconciler = new Reconciler({ app: ctx.app, broker, db, repos, clock, log, config });
    const schedule = new ScheduleRepository(db, clock);
    const summaries = new DailySummaryRepository(db, clock);
    const snapshots = new PortfolioSnapshotTaker({
      broker, db, clock, log, positions: repos.positions, closed: repos.closed, quotes: reconciler, account: config.ib.account,
      answerTimeoutMs: Math.min(config.ib.requestTimeoutMs, 3_000), intradayRetentionDays: config.snapshots.intradayRetentionDays,
    });
    const snapshot = async (kind: 'interval' | 'close') => {
      if (!broker.isConnected()) return;
      await snapshots.take(kind);
    };
    ctx.onShutdown('broker', () => broker.disconnect(), 50);
    try {
      await broker.connect();
    } catch (error) {
      if ((error as { kind?: string }).kind !== 'transient') throw error;
      log.error('broker_unavailable_at_start', { error: (error as Error).message, what: 'retrying in the background' });
    }

    const reconcile = async (trigger: string): Promise<RunResult | undefined> => {
      if (!broker.isConnected()) return undefined;
      const result = await reconciler.run(trigger);
      const day = tradingDayOf(clock.now());
      if (result.status !== 'FAILED') {
        const account = await broker.accountSummary().catch(() => undefined);
        const existing = summaries.get(day);
        if (account && existing?.startEquity == null) summaries.recomputeDay(day, { startEquity: account.netLiquidation });
        if (account && trigger.startsWith('schedule:')) summaries.recomputeDay(day, { endEquity: account.netLiquidation });
        // After the close: the day's closing snapshot (the daily equity history keeps it when intraday rows age out).
        if (trigger.startsWith('schedule:')) await snapshot('close');
      }
      return result;
    };
    if (broker.isConnected()) await reconcile('startup');
    // A reconnect's run is awaited by nobody: a write of the day's equity refused by another process's DB
    // lock is made by the next interval run (it checks startEquity again), not left to the process runner's
    // unhandled-rejection handler. Anything else still is (a bug).
    broker.onConnectionEvent((event) => event.kind === 'connected' && void reconcile('reconnected').catch((error: unknown) => {
      if (!isBusyError(error)) throw error;
      log.warn('reconciliation_db_locked', { trigger: 'reconnected', error: errorMessage(error), what: 'another process holds the DB write lock: the day\'s equity is written by the next run' });
    }));
    // At least 5 real seconds apart: on a fast compressed clock a reconciliation every market minute would
    // be several per second, pure write load on the shared DB.
    const periodic = runPeriodically('reconcile', () => realDelayMs(clock, config.intervals.reconcileSeconds * 1000, 5_000), async () => {
      await reconcile('interval');
    }, log);
    // Every SNAPSHOT_INTERVAL_S of market time while the market is open, never more than once a real second.
    const snapshotLoop = runPeriodically('portfolio_snapshot', () => realDelayMs(clock, config.intervals.snapshotSeconds * 1000, 1_000), async () => {
      if (marketPhase(clock.now()) === 'REGULAR') await snapshot('interval');
    }, log);
    const loop = runPeriodically('reconciler_loop', 1_000, async () => {
      const trigger = schedule.consumeNext('RECONCILE_AFTER_CLOSE', 'reconciler', tradingDayOf(clock.now()));
      if (trigger) {
        try {
          const result = await reconcile(`schedule:${trigger.key}`);
          // A run that failed (the broker's snapshot, a DB lock: Reconciler.run returns FAILED) is recorded as such.
          schedule.complete(trigger.key, result?.status === 'FAILED' ? 'FAILED' : 'DONE', result?.status === 'FAILED' ? { error: 'reconciliation FAILED' } : {});
        } catch (error) {
          schedule.complete(trigger.key, 'FAILED', { error: (error as Error).message });
        }
      }
      heartbeat.progress();
    }, log);
    ctx.onShutdown('loops', () => {
      periodic.stop();
      snapshotLoop.stop();
      loop.stop();
    }, 0);
  },
});
