import os from 'node:os';
import { loadConfig } from '../config/load-config';
import type { ResolvedConfig } from '../config/schema';
import { createRepositories, isBusyError, openDatabase, type Db, type DbLockChange, type Repositories } from '../db';
import { AppError, ConfigError, EXIT_SOFTWARE, errorMessage } from '../errors/errors';
import { createLogger, type Logger } from '../log/logger';
import { ProcessMetrics } from '../metrics/process-metrics';
import { clockForConfig } from '../time/clock-for-config';
import type { Clock } from '../time/clock';
import { noteUncleanRestart, recordCrash } from '../alerts/process-restart';
import { HeartbeatPublisher } from './heartbeat-publisher';
import { LivenessFiles, livenessDirFor } from './liveness-file';

export type AppName = 'day-trader' | 'exit-manager' | 'reconciler' | 'supervisor' | 'sim-gateway' | 'dashboard' | 'notifier';

export interface AppContext {
  app: AppName;
  config: ResolvedConfig;
  log: Logger;
  clock: Clock;
  /** Absent for apps that run without the shared DB (sim-gateway). */
  db: Db;
  repos: Repositories;
  heartbeat: HeartbeatPublisher;
  /** Aborted when shutdown starts: long waits should listen to it. */
  shutdownSignal: AbortSignal;
  /** Register cleanup; lower priority runs first (e.g. stop taking new work at 0, disconnect at 50). */
  onShutdown(name: string, hook: () => Promise<void> | void, priority?: number): void;
}

export interface RunAppOptions {
  app: AppName;
  /** Starts the app's work; resolve when it is REALLY ready (connected, state loaded). */
  main: (ctx: AppContext) => Promise<void>;
  useDatabase?: boolean;
  /** Config values to force (CLI flags). */
  configOverrides?: Record<string, unknown>;
}

interface ShutdownHook {
  name: string;
  hook: () => Promise<void> | void;
  priority: number;
}

/**
 * The one way every app runs (n8n's base command): validated config (exit 78 listing every problem), a
 * logger, the shared DB (with a short busy timeout once open), a heartbeat every second (DB row and liveness
 * file), SIGINT/SIGTERM handled once with a graceful shutdown that finishes before PM2's kill_timeout, a
 * crash journal, and `process.send('ready')` for PM2 wait_ready.
 */
/** The processes a fill's protection goes through: the broker's report is booked by one, the stop placed by the other. */
const EXIT_PATH_APPS = new Set(['exit-manager', 'day-trader']);

/**
 * Runs this process at `nice` (when lower than now). Not allowed (not root, no CAP_SYS_NICE): said once,
 * and the process runs as before; a scheduling priority is an optimisation, never a reason not to start.
 */
function raisePriority(nice: number, log: Logger): void {
  if (nice >= os.getPriority()) return;
  try {
    os.setPriority(nice);
    log.info('priority_raised', { nice });
  } catch (error) {
    log.info('priority_unchanged', { nice, error: errorMessage(error), what: 'runs at normal priority; to let it raise its own, run as root or grant CAP_SYS_NICE to node (or set EXIT_PATH_NICE=0)' });
  }
}

export function runApp(options: RunAppOptions): void {
  let config: ResolvedConfig;
  try {
    config = loadConfig({ overrides: options.configOverrides });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.app}: ${error.message}\nFix the values above (environment or CONFIG_FILE) and start again.\n`);
      process.exit(error.exitCode);
    }
    throw error;
  }
  let clock: Clock;
  try {
    clock = clockForConfig(config);
  } catch (error) {
    process.stderr.write(`${options.app}: ${errorMessage(error)}\n`);
    process.exit(error instanceof AppError ? error.exitCode : EXIT_SOFTWARE);
  }
  // The process's own figures, counted from its log events and published with every heartbeat (shared/metrics).
  const metrics = new ProcessMetrics(options.app);
  const log = createLogger({
    app: options.app, logDir: config.paths.logs, level: config.log.level, console: config.log.console, marketNow: () => clock.now(),
    onEvent: (level, event, fields) => metrics.observeLogEvent(level, event, fields),
    maxFileBytes: Math.round(config.log.fileMaxMb * 1_048_576), maxFiles: config.log.filesKept,
  });
  void start(options, config, clock, log, metrics);
}

async function start(options: RunAppOptions, config: ResolvedConfig, clock: Clock, log: Logger, metrics: ProcessMetrics): Promise<void> {
  const hooks: ShutdownHook[] = [];
  const abort = new AbortController();
  let shuttingDown = false;
  let db: Db | undefined;
  let heartbeat: HeartbeatPublisher | undefined;

  const exit = async (code: number) => {
    await log.flush();
    process.exit(code);
  };

  const shutdown = async (reason: string, exitCode: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    abort.abort();
    const deadlineMs = config.process.shutdownGraceMs;
    log.info('shutdown_started', { reason, deadlineMs });
    const force = setTimeout(() => {
      log.error('shutdown_deadline_exceeded', { deadlineMs });
      void exit(exitCode === 0 ? 1 : exitCode);
    }, deadlineMs);
    force.unref();
    heartbeat?.setState('stopping');
    for (const { name, hook } of [...hooks].sort((a, b) => a.priority - b.priority)) {
      try {
        await hook();
      } catch (error) {
        log.error('shutdown_hook_failed', { hook: name, error: errorMessage(error) });
      }
    }
    heartbeat?.stop('stopped');
    try {
      db?.close();
    } catch (error) {
      log.warn('db_close_failed', { error: errorMessage(error) });
    }
    clearTimeout(force);
    log.info('shutdown_completed', { reason });
    await exit(exitCode);
  };

  // Handled once: the first signal starts a graceful shutdown, a second one forces the exit.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (shuttingDown) {
        log.warn('shutdown_forced', { signal });
        process.exit(1);
      }
      void shutdown(signal, 0);
    });
  }
  process.on('uncaughtException', (error) => crash('uncaught_exception', error));
  process.on('unhandledRejection', (error) => crash('unhandled_rejection', error));

  function crash(kind: string, error: unknown): void {
    if (isBusyError(error)) {
      // A write refused because another process holds the DB's write lock (the bots wait only
      // db.botBusyTimeoutMs) that no caller caught. It is transient, not a bug: the statement did nothing and
      // the work is redone from the broker at the next check or resync, while a restart would meet the same
      // lock. Said loudly, with the stack of the caller that should have handled it; the process keeps running.
      log.error('db_busy_unhandled', { kind, error: errorMessage(error), stack: (error as Error)?.stack, what: 'a DB write blocked by another process\'s lock was not handled by its caller; not restarting for it' });
      return;
    }
    // Crash journal: the stack in the log and, when the DB is usable, an audit event the status console shows.
    log.error('crashed', { kind, error: errorMessage(error), stack: (error as Error)?.stack });
    try {
      db && recordCrash(createRepositories(db, clock, options.app), options.app, clock, kind, errorMessage(error));
    } catch {
      /* the DB may be what failed; the log line above already holds the journal */
    }
    const code = error instanceof AppError ? error.exitCode : EXIT_SOFTWARE;
    void shutdown(`crash: ${kind}`, code);
  }

  try {
    log.info('starting', { mode: config.mode, pid: process.pid, clock: clock.description, db: config.paths.db });
    if (EXIT_PATH_APPS.has(options.app)) raisePriority(config.process.exitPathNice, log);
    if (options.useDatabase !== false) {
      // better-sqlite3 waits for a lock synchronously, stopping the whole event loop. At start (before any
      // broker traffic) a migration may wait the long timeout; from then on a write blocked by someone else's
      // lock fails with SQLITE_BUSY after a few tens of ms and is retried by its caller, and once one has,
      // the next ones fail at once (one probe per interval waits): a burst of writes during a lock costs the
      // loop one busy timeout, not one per write (db-lock-breaker.ts).
      db = openDatabase(config.paths.db, {
        busyTimeoutMs: config.db.botBusyTimeoutMs, openBusyTimeoutMs: config.db.busyTimeoutMs,
        // The supervisor checkpoints the WAL for everyone (wal-checkpointer.ts): no fill or exit pays for it.
        deferCheckpoints: options.app !== 'supervisor',
        lockBreaker: { onChange: (change) => logDbLockChange(log, change) },
      });
    }
    const repos = db ? createRepositories(db, clock, options.app, { alertThresholds: config.alerts.thresholds }) : (undefined as unknown as Repositories);
    if (db) {
      // Before the first beat overwrites it: a predecessor that never said "stopped" died (an alert, once).
      noteUncleanRestart(repos, options.app, clock, log);
      const beatEveryMs = options.app === 'exit-manager' ? config.process.exitManagerHeartbeatIntervalMs : config.process.heartbeatIntervalMs;
      heartbeat = new HeartbeatPublisher(options.app, repos.heartbeats, log, beatEveryMs, new LivenessFiles(livenessDirFor(config.paths.db)));
      // A live object: each beat serializes its current values (toJSON), so publishing costs no extra write.
      heartbeat.setDetail({ metrics });
      heartbeat.start();
    }
    const ctx: AppContext = {
      app: options.app,
      config,
      log,
      clock,
      db: db as Db,
      repos,
      heartbeat: heartbeat ?? (nullHeartbeat() as unknown as HeartbeatPublisher),
      shutdownSignal: abort.signal,
      onShutdown: (name, hook, priority = 10) => hooks.push({ name, hook, priority }),
    };
    await options.main(ctx);
    if (shuttingDown) return;
    ctx.heartbeat.setState('ready');
    ctx.heartbeat.progress();
    log.info('ready', {});
    process.send?.('ready');
  } catch (error) {
    const code = error instanceof AppError ? error.exitCode : EXIT_SOFTWARE;
    log.error('startup_failed', { error: errorMessage(error), kind: error instanceof AppError ? error.kind : 'bug', stack: error instanceof AppError ? undefined : (error as Error)?.stack });
    process.stderr.write(`${options.app}: startup failed: ${errorMessage(error)}\n`);
    await shutdown('startup_failed', code);
  }
}

/** Once per lock each way: the writes refused meanwhile are logged by their callers, who retry them. */
function logDbLockChange(log: Logger, change: DbLockChange): void {
  if (change.kind === 'failing_fast') {
    log.warn('db_writes_failing_fast', { busyTimeoutMs: change.busyTimeoutMs, probeEveryMs: change.probeEveryMs, what: 'another process holds the DB write lock: writes fail at once (one waits per probe interval) so the event loop keeps running; callers retry' });
  } else {
    log.info('db_writes_restored', { lockedForMs: change.lockedForMs, refusedFast: change.refusedFast });
  }
}

function nullHeartbeat() {
  const noop = () => undefined;
  return { start: noop, setState: noop, getState: () => 'ready', progress: noop, setBrokerConnected: noop, setDetail: noop, publishDetail: noop, stop: noop };
}
