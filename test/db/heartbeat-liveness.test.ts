import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, type Db } from '../../shared/db';
import { HeartbeatsRepository } from '../../shared/db/repositories/heartbeats-repository';
import { memoryLogger } from '../../shared/log/logger';
import { HeartbeatPublisher } from '../../shared/process/heartbeat-publisher';
import { LivenessFiles, livenessDirFor } from '../../shared/process/liveness-file';
import { makeTempDir } from '../helpers/temp-dir';

/**
 * A bot's heartbeat goes to its DB row and to its liveness file. While another connection holds the write
 * lock the row is refused within the bot's short busy timeout and the file still gets the beat, saying
 * since when the row is blocked: the supervisor can tell "alive, DB locked" from "hung".
 */
describe('heartbeat row and liveness file', () => {
  const temp = makeTempDir('heartbeat-liveness');
  let n = 0;
  let dbPath: string;
  let db: Db;
  let rows: HeartbeatsRepository;
  let liveness: LivenessFiles;
  let log: ReturnType<typeof memoryLogger>;
  let holder: Database.Database | undefined;

  beforeEach(() => {
    dbPath = path.join(temp.dir, `hb-${n++}.db`);
    db = openDatabase(dbPath, { busyTimeoutMs: 50 }); // a bot's connection (run-app.ts)
    rows = new HeartbeatsRepository(db);
    liveness = new LivenessFiles(livenessDirFor(dbPath));
    log = memoryLogger();
  });
  afterEach(() => {
    if (holder?.inTransaction) holder.exec('ROLLBACK');
    holder?.close();
    holder = undefined;
    db.close();
  });
  afterAll(() => temp.cleanup());

  it('writes every beat to the row and, atomically, to the liveness file beside the DB', () => {
    const publisher = new HeartbeatPublisher('day-trader', rows, log, 1_000, liveness);
    publisher.setDetail({ protecting: true });
    publisher.setState('ready');
    const row = rows.get('day-trader')!;
    const file = liveness.read('day-trader')!;
    expect(liveness.fileOf('day-trader')).toBe(`${path.resolve(dbPath)}-liveness/day-trader.json`);
    expect(file).toEqual({ ...row, waitingForDbLockSinceMs: null });
    expect(file).toMatchObject({ pid: process.pid, state: 'ready', detail: { protecting: true } });
    expect(fs.readdirSync(liveness.dir)).toEqual(['day-trader.json']); // no temp file left behind
  });

  it('publishes a changed detail at once (the exit manager protecting again), not at the next interval', () => {
    const publisher = new HeartbeatPublisher('exit-manager', rows, log, 60_000, liveness);
    publisher.setDetail({ protecting: false });
    publisher.start(); // one beat now, the next in a minute
    expect(rows.get('exit-manager')!.detail).toMatchObject({ protecting: false });
    publisher.publishDetail({ protecting: true });
    expect(rows.get('exit-manager')!.detail).toMatchObject({ protecting: true });
    expect(liveness.read('exit-manager')!.detail).toMatchObject({ protecting: true });
    publisher.stop();
  });

  it('keeps beating to the file while another connection holds the write lock, says since when, and recovers', () => {
    const publisher = new HeartbeatPublisher('exit-manager', rows, log, 250, liveness);
    publisher.setState('starting');
    const before = rows.get('exit-manager')!;

    holder = new Database(dbPath);
    holder.exec('BEGIN IMMEDIATE');
    publisher.setState('ready');
    const firstBlocked = liveness.read('exit-manager')!;
    expect(rows.get('exit-manager')).toEqual(before); // the row was refused
    expect(firstBlocked).toMatchObject({ state: 'ready', waitingForDbLockSinceMs: firstBlocked.beatAtMs });
    publisher.progress();
    publisher.setState('ready');
    const stillBlocked = liveness.read('exit-manager')!;
    expect(stillBlocked.waitingForDbLockSinceMs).toBe(firstBlocked.beatAtMs); // since the FIRST refused beat
    expect(stillBlocked.progressAtMs).not.toBeNull();
    expect(log.lines.filter((l) => l.event === 'heartbeat_write_failed').map((l) => l.fields)).toEqual([expect.objectContaining({ dbLocked: true, failures: 1 })]);

    holder.exec('ROLLBACK');
    publisher.setState('ready');
    expect(liveness.read('exit-manager')!.waitingForDbLockSinceMs).toBeNull();
    expect(rows.get('exit-manager')).toEqual({ ...liveness.read('exit-manager'), waitingForDbLockSinceMs: undefined });
    expect(log.lines.filter((l) => l.event === 'heartbeat_restored')).toHaveLength(1);
  });

  it('reads no beat from a missing, foreign or garbled file', () => {
    expect(liveness.read('reconciler')).toBeUndefined();
    fs.mkdirSync(liveness.dir, { recursive: true });
    fs.writeFileSync(liveness.fileOf('reconciler'), JSON.stringify({ app: 'day-trader', pid: 1, beatAtMs: 1 }));
    expect(liveness.read('reconciler')).toBeUndefined();
    fs.writeFileSync(liveness.fileOf('reconciler'), '{"app":"reconc');
    expect(liveness.read('reconciler')).toBeUndefined();
  });
});
