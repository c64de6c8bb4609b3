import path from 'node:path';
import Database from 'better-sqlite3';
import type { ProcessView, Pm2Status } from '../../../apps/supervisor/health';
import type { Pm2Api } from '../../../apps/supervisor/pm2-client';
import { DbWriteLockProbe } from '../../../apps/supervisor/db-lock-probe';
import { Supervisor, type SupervisorDeps } from '../../../apps/supervisor/supervisor';
import { loadConfig } from '../../../shared/config/load-config';
import type { ResolvedConfig } from '../../../shared/config/schema';
import { createRepositories, openDatabase, type Db, type Heartbeat, type Repositories } from '../../../shared/db';
import { memoryLogger } from '../../../shared/log/logger';
import { LivenessFiles } from '../../../shared/process/liveness-file';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

const DAY = '2026-11-23'; // a Monday
const PIDS = { 'exit-manager': 100, 'day-trader': 200, reconciler: 300 } as const;
type Bot = keyof typeof PIDS;

/** PM2 as the supervisor sees it: a list it can change between calls, restarts recorded, errors on demand. */
class FakePm2 implements Pm2Api {
  readonly views = new Map<string, ProcessView>();
  readonly restarted: string[] = [];
  listCalls = 0;
  restartError: Error | undefined;

  set(name: Bot, status: Pm2Status, pid: number | undefined = PIDS[name]): void {
    this.views.set(name, { name, status, pid, uptimeMs: 60_000, restarts: 0 });
  }

  async list(): Promise<ProcessView[]> {
    this.listCalls += 1;
    return [...this.views.values()].map((v) => ({ ...v }));
  }

  async restart(name: string): Promise<void> {
    this.restarted.push(name);
    if (this.restartError) throw this.restartError;
  }
}

/**
 * The supervisor against a fake PM2, a real SQLite file, real liveness files, an injected real-time clock
 * and an injected kill: what it kills, restarts, archives and says, decision by decision.
 */
describe('supervisor', () => {
  const temp = makeTempDir('supervisor');
  let n = 0;
  let dbPath: string;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  let realNowMs: number;
  let pm2: FakePm2;
  let liveness: LivenessFiles;
  let kills: Array<{ pid: number; signal: string }>;
  let killError: NodeJS.ErrnoException | undefined;
  let log: ReturnType<typeof memoryLogger>;
  let holder: Database.Database | undefined;
  const baseConfig = loadConfig({ env: {} }); // stale after 3000 ms (exit manager 1000 ms), startup grace 8000 ms

  const supervisor = (config: ResolvedConfig = baseConfig, deps: Partial<SupervisorDeps> = {}) => new Supervisor({
    pm2, repos, clock, log, config, liveness, ...deps,
    realNowMs: () => realNowMs,
    kill: (pid, signal) => {
      if (killError) throw killError;
      kills.push({ pid, signal });
    },
  });

  const heartbeat = (app: Bot, beatAgoMs: number, extra: Partial<Heartbeat> = {}): Heartbeat => ({
    app, pid: PIDS[app], state: 'ready', beatAtMs: realNowMs - beatAgoMs, startedAtMs: realNowMs - 600_000, readyAtMs: realNowMs - 590_000,
    progressAtMs: realNowMs - beatAgoMs, loopLagMs: 1, brokerConnected: true, brokerDownSinceMs: null, detail: {}, ...extra,
  });
  /** The bot's heartbeat row, written `beatAgoMs` ago. */
  const rowBeat = (app: Bot, beatAgoMs: number, extra: Partial<Heartbeat> = {}) => repos.heartbeats.beat(heartbeat(app, beatAgoMs, extra));
  /** The bot's liveness file, written `beatAgoMs` ago. */
  const fileBeat = (app: Bot, beatAgoMs: number, extra: Partial<Heartbeat> & { waitingForDbLockSinceMs?: number | null } = {}) =>
    liveness.write({ waitingForDbLockSinceMs: null, ...heartbeat(app, beatAgoMs, extra) });
  const allOnline = () => (Object.keys(PIDS) as Bot[]).forEach((app) => pm2.set(app, 'online'));
  const allFresh = () => (Object.keys(PIDS) as Bot[]).forEach((app) => {
    rowBeat(app, 100);
    fileBeat(app, 100);
  });
  /** Another process's write lock on the DB, as a backup tool or a forgotten sqlite3 shell holds it. */
  const holdWriteLock = () => {
    holder = new Database(dbPath);
    holder.exec('BEGIN IMMEDIATE');
  };
  const events = (name: string) => log.lines.filter((l) => l.event === name);

  beforeEach(() => {
    dbPath = path.join(temp.dir, `sup-${n}.db`);
    // The supervisor runs with a bot's short busy timeout (run-app.ts).
    db = openDatabase(dbPath, { busyTimeoutMs: 50 });
    clock = new ManualClock(newYorkTime(DAY, '10:00'));
    realNowMs = 1_800_000_000_000;
    repos = createRepositories(db, clock, 'supervisor');
    pm2 = new FakePm2();
    liveness = new LivenessFiles(path.join(temp.dir, `sup-${n++}.db-liveness`));
    kills = [];
    killError = undefined;
    log = memoryLogger();
  });
  afterEach(() => {
    if (holder?.inTransaction) holder.exec('ROLLBACK');
    holder?.close();
    holder = undefined;
    db.close();
  });
  afterAll(() => temp.cleanup());

  it('leaves healthy bots alone', async () => {
    allOnline();
    allFresh();
    await supervisor().check();
    expect(kills).toEqual([]);
    expect(pm2.restarted).toEqual([]);
  });

  it('checks and recovers the exit manager first', async () => {
    for (const app of ['reconciler', 'day-trader', 'exit-manager'] as const) pm2.set(app, 'stopped');
    await supervisor().check();
    expect(pm2.restarted).toEqual(['exit-manager', 'day-trader', 'reconciler']);

    pm2.restarted.length = 0;
    allOnline();
    for (const app of Object.keys(PIDS) as Bot[]) {
      rowBeat(app, 10_000);
      fileBeat(app, 10_000);
    }
    await supervisor().check();
    expect(kills).toEqual([{ pid: 100, signal: 'SIGKILL' }, { pid: 200, signal: 'SIGKILL' }, { pid: 300, signal: 'SIGKILL' }]);
  });

  it('SIGKILLs a bot whose row and liveness file both stopped beating (hung), and only that one', async () => {
    allOnline();
    allFresh();
    rowBeat('day-trader', 3_500);
    fileBeat('day-trader', 3_500);
    await supervisor().check();
    expect(kills).toEqual([{ pid: 200, signal: 'SIGKILL' }]);
    expect(pm2.restarted).toEqual([]);
    expect(events('bot_unhealthy')).toEqual([expect.objectContaining({ fields: expect.objectContaining({ target: 'day-trader', action: 'kill', reason: expect.stringMatching(/heartbeat stale for 3500 ms/) }) })]);
    expect(repos.events.byName('bot_restarted')).toHaveLength(1);
  });

  it('restarts a dead exit manager at every check and the other bots with a doubling back-off', async () => {
    // Start-up grace 500 ms: a restarted app is left alone for 250 ms; back-off 1 s, 2 s, 4 s.
    const config = loadConfig({ env: { STARTUP_GRACE_MS: '500', RESTART_BACKOFF_BASE_MS: '1000', RESTART_BACKOFF_MAX_MS: '30000' } });
    pm2.set('exit-manager', 'errored');
    pm2.set('day-trader', 'stopped');
    pm2.set('reconciler', 'online');
    rowBeat('reconciler', 100);
    const s = supervisor(config);
    const start = realNowMs;
    const restartsAt: Record<string, number[]> = { 'exit-manager': [], 'day-trader': [] };
    for (const atMs of [0, 300, 600, 1_000, 2_000, 2_700, 3_000, 6_700, 7_000]) {
      realNowMs = start + atMs;
      rowBeat('reconciler', 100);
      pm2.restarted.length = 0;
      await s.check();
      for (const app of pm2.restarted) restartsAt[app]!.push(atMs);
    }
    expect(restartsAt['exit-manager']).toEqual([0, 300, 600, 1_000, 2_000, 2_700, 3_000, 6_700, 7_000]);
    expect(restartsAt['day-trader']).toEqual([0, 1_000, 3_000, 7_000]);
  });

  it('does not kill live bots whose heartbeat rows are blocked by another connection\'s write lock, and says so once', async () => {
    allOnline();
    // The rows stopped 5 s ago, when the lock was taken; the work loops cannot finish without the DB either.
    for (const app of Object.keys(PIDS) as Bot[]) rowBeat(app, 5_000);
    const lockedSinceMs = realNowMs - 5_000;
    holdWriteLock();
    const s = supervisor();
    for (let i = 0; i < 3; i++) {
      for (const app of Object.keys(PIDS) as Bot[]) fileBeat(app, 100, { progressAtMs: lockedSinceMs - 15_000, waitingForDbLockSinceMs: lockedSinceMs });
      await s.check();
      await s.checkExitManagerFast();
      realNowMs += 1_000;
    }
    expect(kills).toEqual([]);
    expect(pm2.restarted).toEqual([]);
    expect(events('bot_unhealthy')).toEqual([]);
    expect(events('db_write_blocked')).toEqual([expect.objectContaining({ fields: expect.objectContaining({ heldForS: 5, targets: ['exit-manager', 'day-trader', 'reconciler'] }) })]);
    expect(events('trading_day_roll_deferred')).not.toEqual([]); // its own write waited 50 ms, not 5 s, and is retried

    holder!.exec('ROLLBACK');
    allFresh();
    await s.check();
    expect(events('db_write_unblocked')).toHaveLength(1);
    expect(events('trading_day_rolled')).toHaveLength(1);
    expect(kills).toEqual([]);
  });

  it('kills a hung bot while the DB is locked: its liveness file is stale too, past the lock grace', async () => {
    allOnline();
    allFresh();
    rowBeat('exit-manager', 2_100);
    fileBeat('exit-manager', 2_100, { waitingForDbLockSinceMs: realNowMs - 2_500 });
    holdWriteLock();
    await supervisor().check();
    expect(kills).toEqual([{ pid: 100, signal: 'SIGKILL' }]);
    // The audit row could not be written (the lock): the kill happened anyway and the log says why the row is missing.
    expect(events('event_not_recorded')).toHaveLength(1);
  });

  it('detects a hung exit manager between full checks, and not one that is only blocked by a lock', async () => {
    allOnline();
    allFresh();
    const s = supervisor();
    await s.check();
    holdWriteLock();
    realNowMs += 1_200;
    fileBeat('exit-manager', 100, { waitingForDbLockSinceMs: realNowMs - 1_200 });
    await s.checkExitManagerFast();
    expect(kills).toEqual([]);

    // No beat for 1.3 s, the last one waiting for the lock: a lock can explain a late beat, for a while.
    realNowMs += 1_200;
    await s.checkExitManagerFast();
    await s.check(); // the full check judges it the same way
    expect(kills).toEqual([]);
    expect(events('bot_late_during_db_lock')).toEqual([expect.objectContaining({ fields: expect.objectContaining({ target: 'exit-manager', reason: expect.stringMatching(/1300 ms old, its last beat waits for the DB lock: waiting, up to 2000 ms/) }) })]);

    realNowMs += 800; // 2.1 s: longer than any lock wait of a live loop: hung
    await s.checkExitManagerFast();
    expect(kills).toEqual([{ pid: 100, signal: 'SIGKILL' }]);
    expect(events('bot_unhealthy')).toEqual([expect.objectContaining({ fields: expect.objectContaining({ target: 'exit-manager', reason: 'heartbeat stale for 2100 ms (event loop hung; its last beat waits for the DB lock, but no lock wait lasts past 2000 ms)' }) })]);
  });

  it('excuses a late exit-manager beat while its own probe finds the DB locked, and only then', async () => {
    const probe = new DbWriteLockProbe(dbPath, 1_000);
    try {
      allOnline();
      allFresh();
      const s = supervisor(baseConfig, { dbLockHeldElsewhere: () => probe.heldElsewhere() });
      await s.check();
      // The last beat said nothing about a lock (the lock came after it): without the lock this age is a hang.
      fileBeat('exit-manager', 1_300);
      rowBeat('exit-manager', 1_300);
      holdWriteLock();
      await s.checkExitManagerFast();
      await s.check();
      expect(kills).toEqual([]);
      expect(events('bot_late_during_db_lock')).toEqual([expect.objectContaining({ fields: expect.objectContaining({ target: 'exit-manager', reason: expect.stringMatching(/the DB write lock is held/) }) })]);

      holder!.exec('ROLLBACK'); // the probe finds no lock: the same beat is a hang now
      await s.checkExitManagerFast();
      expect(kills).toEqual([{ pid: 100, signal: 'SIGKILL' }]);
      expect(events('bot_unhealthy')).toEqual([expect.objectContaining({ fields: expect.objectContaining({ target: 'exit-manager', reason: 'heartbeat stale for 1300 ms (event loop hung)' }) })]);
    } finally {
      probe.close();
    }
  });

  it('does not kill or restart an exit manager PM2 has already replaced since the last full check', async () => {
    allOnline();
    allFresh();
    const s = supervisor();
    await s.check();
    // Killed by someone else: PM2 is booting a new one; the old pid's beats go stale.
    pm2.set('exit-manager', 'launching', 101);
    realNowMs += 1_500;
    await s.checkExitManagerFast();
    expect(kills).toEqual([]);
    expect(pm2.restarted).toEqual([]);
  });

  it('treats a pid that is already gone as being restarted by PM2: no second restart', async () => {
    allOnline();
    allFresh();
    rowBeat('reconciler', 4_000);
    fileBeat('reconciler', 4_000);
    killError = Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    await supervisor().check();
    expect(pm2.restarted).toEqual([]);
    expect(events('bot_already_gone')).toHaveLength(1);
    expect(events('restart_failed')).toEqual([]);
  });

  it('treats PM2\'s "process already started" as success and does not restart again', async () => {
    allOnline();
    allFresh();
    pm2.set('day-trader', 'stopped');
    pm2.restartError = new Error('process already started');
    const s = supervisor();
    await s.check();
    realNowMs += 1_000;
    allFresh();
    await s.check();
    expect(pm2.restarted).toEqual(['day-trader']);
    expect(events('restart_failed')).toEqual([]);
    expect(events('restart_already_in_progress')).toHaveLength(1);
    expect(repos.events.byName('bot_restarted')[0]?.data).toMatchObject({ target: 'day-trader', outcome: 'already-starting' });
  });

  it('rolls the trading day once per day and archives only earlier days\' closed rows', () => {
    const closed = (symbol: string, closeDate: string) => repos.closed.addClosedPosition({
      symbol, closeDate, positionId: `P-${closeDate}-${symbol}`, quantity: 10, entryPrice: 10, exitPrice: 11, exitReason: 'PROFIT_TARGET',
      profitLossPct: 10, realizedPnl: 10, commission: 2, agentName: 'gap-momentum', entryTimestamp: null, timestamp: `${closeDate}T15:00:00.000Z`,
    });
    closed('OLD', '2026-11-20');
    closed('NOW', DAY);
    const s = supervisor();
    s.rollTradingDay();
    expect(repos.closed.getClosedToday('2026-11-20')).toEqual([]);
    expect(repos.closed.getClosedOn('2026-11-20').map((r) => r.symbol)).toEqual(['OLD']);
    expect(repos.closed.getClosedToday(DAY).map((r) => r.symbol)).toEqual(['NOW']);

    closed('LATE', '2026-11-20'); // written after today's roll: stays until the next day's
    s.rollTradingDay();
    expect(repos.closed.getClosedToday('2026-11-20').map((r) => r.symbol)).toEqual(['LATE']);

    clock.set(newYorkTime('2026-11-24', '09:00'));
    s.rollTradingDay();
    expect(repos.closed.getClosedToday('2026-11-20')).toEqual([]);
    expect(repos.closed.getClosedToday(DAY)).toEqual([]);
    expect(repos.closed.getClosedOn(DAY).map((r) => r.symbol)).toEqual(['NOW']);
    expect(events('trading_day_rolled').map((l) => l.fields)).toEqual([{ tradingDay: DAY, archived: 1 }, { tradingDay: '2026-11-24', archived: 2 }]);
  });

  it('alerts a broker outage longer than BROKER_DOWN_ALERT_S during market hours only', async () => {
    allOnline();
    allFresh();
    const down = { brokerConnected: false, brokerDownSinceMs: realNowMs - 45_000 };
    rowBeat('day-trader', 100, down);
    fileBeat('day-trader', 100, down);
    clock.set(newYorkTime(DAY, '08:00'));
    await supervisor().check();
    expect(events('broker_down_alert')).toEqual([]);

    clock.set(newYorkTime(DAY, '10:00'));
    await supervisor().check();
    expect(events('broker_down_alert')).toEqual([expect.objectContaining({ fields: expect.objectContaining({ target: 'day-trader', downSeconds: 45 }) })]);
    expect(repos.events.byName('broker_down_alert')).toHaveLength(1);

    clock.set(newYorkTime(DAY, '16:30'));
    await supervisor().check();
    expect(events('broker_down_alert')).toHaveLength(1);
  });
});
