import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { openDatabase, type Db } from '../../../shared/db';
import { ScheduleRepository, triggersForDay } from '../../../shared/schedule';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { distFile, makeTempDir } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';

const SCHEDULE = { scanTimes: ['09:35', '10:00', '10:30', '11:00', '11:30', '12:00'], reconcileAfterCloseMinutes: 5, reportAfterCloseMinutes: 10 };

/**
 * A real process that opens the DB, says `ready`, waits for `go` on stdin (so all of them race at once,
 * whatever the machine's load), then takes every SCAN trigger it can plus one contested key, and prints
 * what it got.
 */
const WORKER = `
const { openDatabase } = require(process.env.OPEN_DB);
const { ScheduleRepository } = require(process.env.SCHEDULE_REPO);
const { ManualClock } = require(process.env.CLOCK);
const db = openDatabase(process.env.DB_FILE);
const repo = new ScheduleRepository(db, new ManualClock(Date.parse('2026-11-23T20:00:00Z')));
process.stdin.once('data', () => {
  const won = repo.markConsumed('2026-11-23:reconcile-after-close', process.env.WORKER);
  const taken = [];
  for (let t; (t = repo.consumeNext('SCAN', process.env.WORKER, '2026-11-23'));) taken.push(t.key);
  db.close();
  process.stdout.write(JSON.stringify({ won, taken }));
  process.stdin.destroy();
});
process.stdout.write('ready\\n');
`;

interface Worker {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  result: Promise<{ won: boolean; taken: string[] }>;
}

function startWorker(dbFile: string, name: string): Worker {
  const child = spawn(process.execPath, ['-e', WORKER], {
    env: testEnv({
      DB_FILE: dbFile, WORKER: name,
      OPEN_DB: distFile('shared/db/open-database.ts'), SCHEDULE_REPO: distFile('shared/schedule/schedule-repository.ts'), CLOCK: distFile('shared/time/clock.ts'),
    }),
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  // 'close', not 'exit': only then has everything the worker wrote been read.
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.startsWith('ready\n')) resolve();
    });
    void exited.then((code) => reject(new Error(`worker ${name} exited ${code} before ready: ${err}`)));
  });
  ready.catch(() => undefined);
  const result = exited.then((code) => {
    if (code !== 0) throw new Error(`worker ${name} exited ${code}: ${err}`);
    return JSON.parse(out.slice('ready\n'.length)) as { won: boolean; taken: string[] };
  });
  return { child, ready, result };
}

describe('scheduled triggers on a real SQLite file', () => {
  const temp = makeTempDir('triggers');
  let db: Db;
  let clock: ManualClock;
  let repo: ScheduleRepository;
  let dbFile: string;
  let n = 0;

  beforeEach(() => {
    dbFile = path.join(temp.dir, `triggers-${n++}.db`);
    db = openDatabase(dbFile);
    clock = new ManualClock(newYorkTime('2026-11-23', '16:30'));
    repo = new ScheduleRepository(db, clock);
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  it('fires a trigger once, is consumed once, and records who did what', () => {
    const [scan] = triggersForDay('2026-11-23', SCHEDULE);
    expect(repo.fire(scan!)).toBe(true);
    expect(repo.fire(scan!)).toBe(false);
    expect(repo.firedKeys('2026-11-23')).toEqual(new Set([scan!.key]));
    expect(repo.get(scan!.key)).toMatchObject({ kind: 'SCAN', status: 'FIRED', dueAt: '2026-11-23T14:35:00.000Z', firedAt: '2026-11-23T21:30:00.000Z', detail: { scanTime: '09:35' } });
    expect(repo.pending('SCAN').map((t) => t.key)).toEqual([scan!.key]);
    expect(repo.pending('SCAN', '2026-11-24')).toEqual([]);
    expect(repo.markConsumed(scan!.key, 'day-trader')).toBe(true);
    expect(repo.markConsumed(scan!.key, 'day-trader')).toBe(false);
    expect(repo.pending('SCAN')).toEqual([]);
    expect(repo.complete(scan!.key, 'DONE', { candidates: 3 })).toBe(true);
    expect(repo.get(scan!.key)).toMatchObject({ status: 'DONE', detail: { scanTime: '09:35', consumedBy: 'day-trader', candidates: 3, consumedAt: '2026-11-23T21:30:00.000Z' } });
    expect(repo.complete(scan!.key, 'FAILED')).toBe(false);
    expect(repo.markConsumed('unknown', 'x')).toBe(false);
  });

  it('consumes the oldest pending trigger of a day, and expires the ones left from earlier days', () => {
    for (const t of triggersForDay('2026-11-20', SCHEDULE).slice(0, 2)) repo.fire(t);
    for (const t of triggersForDay('2026-11-23', SCHEDULE).slice(0, 2)) repo.fire(t);
    expect(repo.consumeNext('SCAN', 'day-trader', '2026-11-23')?.key).toBe('2026-11-23:scan:09:35');
    expect(repo.consumeNext('RECONCILE_AFTER_CLOSE', 'reconciler', '2026-11-23')).toBeUndefined();
    expect(repo.expireBefore('2026-11-23')).toBe(2);
    expect(repo.pending('SCAN').map((t) => t.key)).toEqual(['2026-11-23:scan:10:00']);
    expect(repo.get('2026-11-20:scan:09:35')!.status).toBe('EXPIRED');
    expect(repo.recent(2).map((t) => t.tradingDay)).toEqual(['2026-11-23', '2026-11-23']);
  });

  it('hands each trigger to exactly one of several competing processes', async () => {
    for (const t of triggersForDay('2026-11-23', SCHEDULE)) repo.fire(t);
    const workers = ['w1', 'w2', 'w3', 'w4'].map((w) => startWorker(dbFile, w));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.write('go\n');
    const results = await Promise.all(workers.map((w) => w.result));
    expect(results.filter((r) => r.won)).toHaveLength(1);
    const taken = results.flatMap((r) => r.taken);
    expect(taken.sort()).toEqual(triggersForDay('2026-11-23', SCHEDULE).filter((t) => t.kind === 'SCAN').map((t) => t.key).sort());
    expect(new Set(taken).size).toBe(taken.length);
    const winner = ['w1', 'w2', 'w3', 'w4'][results.findIndex((r) => r.won)];
    expect(repo.get('2026-11-23:reconcile-after-close')!.detail.consumedBy).toBe(winner);
  });
});
