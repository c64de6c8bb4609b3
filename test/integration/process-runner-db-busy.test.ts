import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';
import { waitUntil } from '../helpers/wait-until';

interface LogLine { event: string; kind?: string; pid: number }

/**
 * A write refused by another process's lock (SQLITE_BUSY after the bots' short busy timeout) that no caller
 * handled reaches the runner as an unhandled rejection or an uncaught exception. It is transient, so the
 * process says so and keeps running (a restart would meet the same lock); a real bug still ends it.
 */
describe('the process runner and a DB write refused by a lock', () => {
  const temp = makeTempDir('runner-busy');
  const env = { DB_PATH: path.join(temp.dir, 'busy.db'), LOG_DIR: path.join(temp.dir, 'logs'), SIM_SPEED: '1', LOG_CONSOLE: 'false' };
  let child: ChildProcess;
  let exit: Promise<number | null>;
  let holder: Database.Database | undefined;
  const log = (): LogLine[] => {
    const file = path.join(env.LOG_DIR, 'reconciler.log');
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine).filter((l) => l.pid === child.pid);
  };
  /** Resolves once sent; rejects (instead of an 'error' event) when the process is gone. */
  const send = (message: string) => new Promise<void>((resolve, reject) => child.send(message, (error) => (error ? reject(error) : resolve())));
  const rows = () => {
    const db = new Database(env.DB_PATH, { readonly: true });
    try {
      return db.prepare("SELECT data FROM events WHERE event = 'test_write'").all().length;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    child = fork(distFile('test/fixtures/db-busy-app.ts'), [], { env: testEnv(env), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr!.resume();
    exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.on('message', (m) => m === 'ready' && resolve()));
  });
  afterAll(() => {
    if (holder?.inTransaction) holder.exec('ROLLBACK');
    holder?.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    temp.cleanup();
  });

  it('logs an unhandled SQLITE_BUSY and keeps running; writes work again once the lock is gone', async () => {
    holder = new Database(env.DB_PATH);
    holder.exec('BEGIN IMMEDIATE');
    await send('write-async');
    await send('write-sync');
    await waitUntil(() => log().filter((l) => l.event === 'db_busy_unhandled').length === 2, 10_000, 'both refused writes reported');
    expect(log().filter((l) => l.event === 'db_busy_unhandled').map((l) => l.kind).sort()).toEqual(['uncaught_exception', 'unhandled_rejection']);
    holder.exec('ROLLBACK');

    await send('write-async');
    await waitUntil(() => rows() === 1, 10_000, 'the write after the lock');
    expect(child.exitCode).toBeNull();
    expect(log().filter((l) => l.event === 'crashed' || l.event === 'shutdown_started')).toEqual([]);
  });

  it('still ends the process on a real bug', async () => {
    await send('bug');
    expect(await exit).toBe(70);
    expect(log().map((l) => l.event)).toContain('crashed');
  });
});
