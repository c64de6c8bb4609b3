import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../shared/db';
import { HeartbeatsRepository } from '../../shared/db/repositories/heartbeats-repository';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';

function start(env: Record<string, string>): { child: ChildProcess; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = fork(distFile('test/fixtures/runner-app.ts'), [], { env: testEnv({ LOG_CONSOLE: 'false', ...env }), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, exit };
}

const ready = (child: ChildProcess) => new Promise<void>((resolve) => child.on('message', (m) => m === 'ready' && resolve()));

describe('the shared process runner', () => {
  const temp = makeTempDir('runner');
  const env = { DB_PATH: path.join(temp.dir, 't.db'), LOG_DIR: path.join(temp.dir, 'logs'), SIM_SPEED: '1', HEARTBEAT_INTERVAL_MS: '100' };
  afterAll(() => temp.cleanup());

  it('signals ready to PM2, beats every interval, and shuts down gracefully on SIGTERM', async () => {
    const { child, exit } = start(env);
    await ready(child);
    const db = openDatabase(env.DB_PATH);
    const heartbeats = new HeartbeatsRepository(db);
    expect(heartbeats.get('reconciler')).toMatchObject({ pid: child.pid, state: 'ready' });
    const firstBeat = heartbeats.get('reconciler')!.beatAtMs;
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (heartbeats.get('reconciler')!.beatAtMs > firstBeat) { clearInterval(poll); resolve(); }
      }, 20);
    });
    child.kill('SIGTERM');
    expect((await exit).code).toBe(0);
    expect(heartbeats.get('reconciler')!.state).toBe('stopped');
    db.close();
    const log = fs.readFileSync(path.join(env.LOG_DIR, 'reconciler.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; app: string; pid: number });
    const events = log.map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['starting', 'ready', 'shutdown_started', 'cleanup_ran', 'shutdown_completed']));
    expect(events.indexOf('cleanup_ran')).toBeLessThan(events.indexOf('shutdown_completed'));
    expect(log.every((l) => l.app === 'reconciler' && l.pid === child.pid)).toBe(true);
  });

  it('runs the exit path (day-trader, exit manager) at EXIT_PATH_NICE and the others as they were, or says why it could not', async () => {
    const parentNice = os.getPriority();
    const dayTrader = start({ ...env, TEST_APP_NAME: 'day-trader', EXIT_PATH_NICE: '-3' });
    await ready(dayTrader.child);
    const canRaise = process.getuid?.() === 0;
    const dayTraderNice = os.getPriority(dayTrader.child.pid);
    dayTrader.child.kill('SIGTERM');
    await dayTrader.exit;
    expect(dayTraderNice).toBe(canRaise ? Math.min(parentNice, -3) : parentNice);
    const lines = fs.readFileSync(path.join(env.LOG_DIR, 'day-trader.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; nice?: number });
    expect(lines.some((l) => l.event === (canRaise ? 'priority_raised' : 'priority_unchanged') && l.nice === -3)).toBe(true);
    const reconciler = start({ ...env, EXIT_PATH_NICE: '-3' });
    await ready(reconciler.child);
    const reconcilerNice = os.getPriority(reconciler.child.pid);
    reconciler.child.kill('SIGTERM');
    await reconciler.exit;
    expect(reconcilerNice).toBe(parentNice);
  });

  it('forces the exit when a shutdown hook hangs past the grace period', async () => {
    const { child, exit } = start({ ...env, TEST_HANG_ON_SHUTDOWN: '1', SHUTDOWN_GRACE_MS: '300' });
    await ready(child);
    child.kill('SIGINT');
    expect((await exit).code).toBe(1);
  });

  it('exits 78 listing every config problem', async () => {
    const { exit } = start({ ...env, IB_PORT: 'x', STOP_LOSS_PCT: '0' });
    const result = await exit;
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/invalid configuration \(2 problems\)/);
    expect(result.stderr).toMatch(/IB_PORT/);
    expect(result.stderr).toMatch(/STOP_LOSS_PCT/);
  });

  it('exits non-zero with the reason when startup fails', async () => {
    const { exit } = start({ ...env, TEST_FAIL_START: '1' });
    const result = await exit;
    expect(result.code).toBe(70);
    expect(result.stderr).toMatch(/startup failed: cannot start: test asked for it/);
  });

  it('refuses a corrupt DB at start with the fix in the message', async () => {
    const corrupt = path.join(temp.dir, 'corrupt.db');
    fs.writeFileSync(corrupt, 'garbage'.repeat(1000));
    const { exit } = start({ ...env, DB_PATH: corrupt });
    const result = await exit;
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/corrupt or not a SQLite file.*move the file aside/);
  });
});
