import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DbWriteLockProbe } from '../../apps/supervisor/db-lock-probe';
import type { ProcessView } from '../../apps/supervisor/health';
import type { Pm2Api } from '../../apps/supervisor/pm2-client';
import { Supervisor } from '../../apps/supervisor/supervisor';
import { loadConfig } from '../../shared/config/load-config';
import { createRepositories, openDatabase, type Db } from '../../shared/db';
import { memoryLogger } from '../../shared/log/logger';
import { LivenessFiles, livenessDirFor } from '../../shared/process/liveness-file';
import { SystemClock } from '../../shared/time/clock';
import { PROJECT_ROOT, distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';
import { waitUntil } from '../helpers/wait-until';

interface LogLine { event: string; pid: number; [field: string]: unknown }
interface BurstResult { written: number; refused: number }

/** Another process holding the DB's write lock (BEGIN IMMEDIATE) until told to let go, like a sqlite3 shell or a backup. */
async function holdWriteLock(dbPath: string): Promise<{ release(): Promise<void> }> {
  const script = `const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(process.argv[1]);
    db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
    process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', script, dbPath], { cwd: PROJECT_ROOT, env: testEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitUntil(() => output.includes('locked') || child.exitCode !== null, 10_000, 'the lock holder holding the lock');
  if (!output.includes('locked')) throw new Error(`the lock holder failed: ${output}`);
  return {
    release: async () => {
      child.stdin.write('release\n');
      expect(await exited).toBe(0);
    },
  };
}

/**
 * What the chaos run found (seeds 12-14): during a 3.5-4 s lock held by another process, the exit manager met
 * a burst of writes (broker events, protection checks), each waiting the 50 ms busy timeout on the event
 * loop; the loop stopped for more than a second, its liveness file went stale and the supervisor killed it
 * as hung. Here a real process on the real runner (named exit-manager, beating every 250 ms) makes 80 writes
 * in one pass during a lock held by another real process, while the real Supervisor, with a fake PM2 that
 * lists that process and a kill that is only recorded, watches its real liveness file and heartbeat row.
 *
 * Without the lock breaker the burst stops the bot's loop for 80 × 50 ms, longer than even the lock grace the
 * supervisor gives (2 s), and the supervisor kills it; with it, one write waits and the other 79 fail at once.
 * And a bot that really hangs during a lock (SIGSTOP) is still killed.
 */
describe('a burst of DB writes during another process\'s lock', () => {
  const temp = makeTempDir('db-lock-burst');
  const env = { DB_PATH: path.join(temp.dir, 'trading.db'), LOG_DIR: path.join(temp.dir, 'logs'), SIM_SPEED: '1', LOG_CONSOLE: 'false' };
  const config = loadConfig({ env: {} }); // the exit manager: beat every 250 ms, stale after 1000 ms; bots' busy timeout 50 ms
  let bot: ChildProcess;
  let exited: Promise<void>;
  let db: Db;
  let probe: DbWriteLockProbe;
  const kills: Array<{ pid: number; signal: string }> = [];
  const supervisorLog = memoryLogger();
  let watcher: NodeJS.Timeout | undefined;
  let watchRounds = 0;

  const botLog = (): LogLine[] => {
    const file = path.join(env.LOG_DIR, 'exit-manager.log');
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine).filter((l) => l.pid === bot.pid);
  };
  const liveness = new LivenessFiles(livenessDirFor(env.DB_PATH));
  // The fake PM2 lists only the exit manager: the full check's restarts of the other two are not the subject.
  const unhealthyExitManager = () => supervisorLog.lines.filter((l) => l.event === 'bot_unhealthy' && l.fields.target === 'exit-manager');
  const burst = (count: number) => new Promise<BurstResult>((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const done = (message as { burstDone?: BurstResult } | null)?.burstDone;
      if (!done) return;
      bot.off('message', onMessage);
      resolve(done);
    };
    bot.on('message', onMessage);
    bot.send({ burst: count }, (error) => error && reject(error));
  });
  /** The supervisor's rhythm: the exit manager's fast check every 100 ms (production: 250 ms), the full check every second. */
  const startWatching = (supervisor: Supervisor) => {
    let busy = false;
    watcher = setInterval(() => {
      if (busy) return;
      busy = true;
      const full = watchRounds % 10 === 0;
      void (full ? supervisor.check() : supervisor.checkExitManagerFast()).finally(() => {
        watchRounds += 1;
        busy = false;
      });
    }, 100);
  };
  const stopWatching = () => {
    if (watcher) clearInterval(watcher);
    watcher = undefined;
  };
  const roundsLater = async (rounds: number) => {
    const target = watchRounds + rounds;
    await waitUntil(() => watchRounds >= target, 30_000, `${rounds} more supervisor checks`);
  };

  beforeAll(async () => {
    bot = fork(distFile('test/fixtures/db-lock-burst-app.ts'), [], { env: testEnv(env), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    bot.stderr!.resume();
    exited = new Promise((resolve) => bot.on('exit', () => resolve()));
    await new Promise<void>((resolve) => bot.on('message', (m) => m === 'ready' && resolve()));
    // The supervisor's own connection, as run-app.ts opens it, and its probe.
    db = openDatabase(env.DB_PATH, { busyTimeoutMs: config.db.botBusyTimeoutMs, lockBreaker: {} });
    probe = new DbWriteLockProbe(env.DB_PATH, config.db.busyTimeoutMs);
  }, 60_000);
  afterAll(async () => {
    stopWatching();
    if (bot.exitCode === null && bot.signalCode === null) {
      bot.kill('SIGCONT');
      bot.kill('SIGKILL');
      await exited;
    }
    probe?.close();
    db?.close();
    temp.cleanup();
  });

  const supervisorFor = () => {
    kills.length = 0;
    supervisorLog.lines.length = 0;
    const pm2: Pm2Api = {
      list: async (): Promise<ProcessView[]> => [{ name: 'exit-manager', status: 'online', pid: bot.pid, uptimeMs: 600_000, restarts: 0 }],
      restart: async () => undefined,
    } as unknown as Pm2Api;
    return new Supervisor({
      pm2, repos: createRepositories(db, new SystemClock(), 'supervisor'), clock: new SystemClock(), log: supervisorLog, config, liveness,
      kill: (pid, signal) => void kills.push({ pid, signal }),
      dbLockHeldElsewhere: () => probe.heldElsewhere(),
    });
  };

  it('costs the bot\'s event loop one busy timeout, not one per write: the supervisor sees a live bot and kills nothing', async () => {
    const supervisor = supervisorFor();
    await supervisor.check();
    startWatching(supervisor);
    const lock = await holdWriteLock(env.DB_PATH);
    try {
      // The bot has met the lock (its heartbeat row was refused): from now on its writes fail fast.
      await waitUntil(() => liveness.read('exit-manager')?.waitingForDbLockSinceMs != null, 10_000, 'the bot reporting the lock in its liveness file');
      const result = await burst(80);
      expect(result).toEqual({ written: 0, refused: 80 }); // the lock was real for every write of the burst
      await roundsLater(3); // the supervisor judged the bot after the burst too
    } finally {
      await lock.release();
    }
    stopWatching();
    expect(kills).toEqual([]);
    expect(unhealthyExitManager()).toEqual([]);
    expect(bot.exitCode).toBeNull();

    await waitUntil(() => botLog().some((l) => l.event === 'db_writes_restored'), 10_000, 'the bot writing again after the lock');
    const lockLines = botLog().filter((l) => l.event === 'db_writes_failing_fast' || l.event === 'db_writes_restored');
    expect(lockLines.map((l) => l.event)).toEqual(['db_writes_failing_fast', 'db_writes_restored']);
    expect(lockLines[1]!.refusedFast as number).toBeGreaterThanOrEqual(79 - 4); // all but the probes of the burst
  }, 120_000);

  it('still kills a bot that hangs during the lock', async () => {
    const supervisor = supervisorFor();
    await supervisor.check();
    startWatching(supervisor);
    const lock = await holdWriteLock(env.DB_PATH);
    try {
      await waitUntil(() => liveness.read('exit-manager')?.waitingForDbLockSinceMs != null, 10_000, 'the bot reporting the lock in its liveness file');
      bot.kill('SIGSTOP');
      await waitUntil(() => kills.length > 0, 30_000, 'the supervisor killing the stopped bot');
    } finally {
      stopWatching();
      await lock.release();
    }
    expect(kills).toEqual([{ pid: bot.pid, signal: 'SIGKILL' }]);
    expect(unhealthyExitManager().map((l) => l.fields.reason)).toEqual([expect.stringMatching(/event loop hung; its last beat waits for the DB lock, but no lock wait lasts past 2000 ms/)]);
  }, 120_000);
});
