import { createBroker } from '../../shared/broker/create-broker';
import { runApp } from '../../shared/process/run-app';
import { runPeriodically } from '../../shared/process/periodic';
import { ScheduleRepository } from '../../shared/schedule';
import { realDelayMs } from '../../shared/time/clock';
import { marketPhase, tradingDayOf } from '../../shared/time/trading-calendar';
import { CandidateMetricsSource } from './candidate-metrics';
import { EntryExecutor } from './entry-executor';
import { runScanPipeline } from './scan-pipeline';
import { loadStrategies } from '../../shared/strategy/registry';

/**
 * day-trader: scans, scores, sizes and places entries. Never enters unless the exit manager is alive and
 * protecting, never enters a symbol that is active or closed this trading day (claimSymbol decides), and
 * after a restart settles its in-flight entries from the broker before anything new.
 */
runApp({
  app: 'day-trader',
  main: async (ctx) => {
    const { config, log, repos, clock, heartbeat } = ctx;
    // The strategies to run, by name, each with its parameters validated (a bad one exits 78 naming it).
    const strategies = loadStrategies(config);
    log.info('strategies_loaded', { strategies: strategies.map((s) => ({ agent: s.name, strategy: s.type })) });
    const broker = createBroker({ config, clientId: config.ib.clientIds.dayTrader, log, orderIds: repos.orderIds, heartbeat, alerts: repos.alerts, app: ctx.app });
    const entries = new EntryExecutor({ app: ctx.app, broker, repos, clock, log, config, agentNames: strategies.map((s) => s.name) });
    const metrics = new CandidateMetricsSource(broker, 3_000, () => clock.now());
    const schedule = new ScheduleRepository(ctx.db, clock);
    entries.start();
    heartbeat.setDetail({ marketData: { type: broker.marketDataState() } });
    broker.onConnectionEvent((event) => {
      if (event.kind === 'connected') void entries.resolveInFlight().catch((error) => log.error('entry_resolution_failed', { error: (error as Error).message, what: 'retried every few seconds; no new entry until it succeeds' }));
    });
    ctx.onShutdown('broker', () => broker.disconnect(), 50);
    try {
      await broker.connect();
    } catch (error) {
      if ((error as { kind?: string }).kind !== 'transient') throw error;
      log.error('broker_unavailable_at_start', { error: (error as Error).message, what: 'retrying in the background; no entries until connected' });
    }

    let scanning: Promise<unknown> | undefined;
    const scan = (trigger: string) => {
      if (scanning || !broker.isConnected() || !entries.ready || marketPhase(clock.now()) !== 'REGULAR') return;
      scanning = runScanPipeline({ broker, repos, clock, log, config, metrics, entries, strategies }, trigger).finally(() => (scanning = undefined));
    };
    const scans = runPeriodically('scan', () => realDelayMs(clock, config.intervals.scannerRefreshSeconds * 1000, 1_000), () => scan('interval'), log);
    // Every second: deadlines, scheduled scans from the supervisor's scheduler, and proof of life.
    const loop = runPeriodically('entry_loop', 1_000, async () => {
      // A start-up query that timed out must not block entries for the rest of the day: try again.
      await entries.ensureResolved();
      await entries.enforceDeadlines();
      const trigger = schedule.consumeNext('SCAN', 'day-trader', tradingDayOf(clock.now()));
      if (trigger) {
        scan(`schedule:${trigger.key}`);
        schedule.complete(trigger.key, 'DONE', {});
      }
      heartbeat.progress();
    }, log);
    ctx.onShutdown('loops', async () => {
      scans.stop();
      loop.stop();
      await scanning;
    }, 0);
  },
});
