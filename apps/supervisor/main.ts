import { WalCheckpointer } from '../../shared/db';
import { LivenessFiles, livenessDirFor } from '../../shared/process/liveness-file';
import { runApp } from '../../shared/process/run-app';
import { runPeriodically } from '../../shared/process/periodic';
import { Scheduler } from '../../shared/schedule';
import { realDelayMs } from '../../shared/time/clock';
import { runBackupProcess } from './backup-job';
import type { AlertDraft } from '../../shared/alerts/alert-types';
import { sampleGatewayClock } from './gateway-clock';
import { DbWriteLockProbe } from './db-lock-probe';
import { ClockWatch, DiskWatch } from './host-checks';
import { LogHousekeeper } from './log-housekeeping';
import { Pm2Client } from './pm2-client';
import { Supervisor } from './supervisor';

/**
 * supervisor: runs under PM2 beside the bots; PM2 restarts it. Each second: health of the bots (exit manager
 * first, and every 250 ms on its own), the trading-day roll and the daily schedule; a status line every
 * SUPERVISOR_STATUS_S market seconds.
 */
runApp({
  app: 'supervisor',
  main: async (ctx) => {
    const { config, log, repos, clock, heartbeat } = ctx;
    const pm2 = new Pm2Client();
    await pm2.connect();
    ctx.onShutdown('pm2', () => pm2.disconnect(), 50);
    // Liveness files tell a hung bot (no beat anywhere) from one whose heartbeat row is blocked by a DB lock.
    const liveness = new LivenessFiles(livenessDirFor(config.paths.db));
    // A late beat is excused for a while only when the lock is really held now (a probe that never waits).
    const lockProbe = new DbWriteLockProbe(config.paths.db, config.db.busyTimeoutMs);
    ctx.onShutdown('db-lock-probe', () => lockProbe.close(), 60);
    const supervisor = new Supervisor({ pm2, repos, clock, log, config, liveness, dbLockHeldElsewhere: () => lockProbe.heldElsewhere() });
    const scheduler = new Scheduler({ db: ctx.db, clock, config, log, app: 'supervisor', reportFormats: ['md', 'html'], runBackup: (trigger) => runBackupProcess(trigger) });
    supervisor.rollTradingDay();
    // The system's WAL checkpoints happen here, never inside a bot's commit (the bots defer theirs: run-app.ts).
    const checkpointer = new WalCheckpointer(ctx.db, config.paths.db, { onError: (error) => log.warn('wal_checkpoint_failed', { error: error.message, what: 'the bots checkpoint themselves past 4,000 WAL pages meanwhile' }) });
    checkpointer.start();
    ctx.onShutdown('wal-checkpointer', () => checkpointer.stop(), 0);

    const health = runPeriodically('health_check', config.supervisor.healthCheckIntervalMs, async () => {
      await supervisor.check();
      scheduler.tick();
      heartbeat.progress();
    }, log);
    const exitManagerWatch = runPeriodically('exit_manager_watch', 250, () => supervisor.checkExitManagerFast(), log);
    const status = runPeriodically('status_line', () => realDelayMs(clock, config.intervals.supervisorStatusSeconds * 1000, 5_000), async () => {
      log.info('status', supervisor.statusLine(await pm2.list()));
    }, log, { runImmediately: true });
    // PM2's own out/err logs rotate here, and LOG_DIR is kept within its budget (log-housekeeping.ts).
    const housekeeper = new LogHousekeeper({
      logDir: config.paths.logs, pm2Home: process.env.PM2_HOME, pm2FileMaxBytes: config.log.pm2FileMaxMb * 1_048_576, pm2FilesKept: config.log.pm2FilesKept,
      budgetBytes: config.log.dirBudgetMb * 1_048_576, reopenPm2Logs: () => pm2.reloadLogs(), log,
    });
    // Disk space where the DB, backups and logs live; the clock against the gateway's (host-checks.ts).
    const hostDeps = { config, clock, log, record: (event: string, fields: Record<string, unknown>, level: 'info' | 'warn' | 'error', alert?: AlertDraft) => supervisor.record(event, fields, level, alert) };
    const disk = new DiskWatch(hostDeps);
    const housekeeping = runPeriodically('host_checks', config.supervisor.hostCheckIntervalSeconds * 1000, async () => {
      const result = await housekeeper.run();
      heartbeat.setDetail({ logs: { bytes: result.totalBytes, budgetBytes: result.budgetBytes, overBudget: result.overBudget }, disk: disk.check() });
    }, log, { runImmediately: true });
    const clockWatch = new ClockWatch(hostDeps, () => sampleGatewayClock(config, clock, log));
    const clockChecks = config.supervisor.clockCheckIntervalSeconds > 0
      ? runPeriodically('clock_check', config.supervisor.clockCheckIntervalSeconds * 1000, async () => {
        heartbeat.setDetail({ clock: await clockWatch.check() });
      }, log, { runImmediately: true })
      : undefined;
    ctx.onShutdown('loops', () => {
      housekeeping.stop();
      clockChecks?.stop();
      health.stop();
      exitManagerWatch.stop();
      status.stop();
    }, 0);
  },
});
