import { fork } from 'node:child_process';
import path from 'node:path';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { ActivePositionsRepository, integrityCheck, openDatabase, PositionLedger, type Db } from '../../shared/db';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';

const DAY = '2026-11-23';
const POSITIONS = 600;

function seedOpenPositions(db: Db): Array<{ id: string; symbol: string; quantity: number }> {
  const clock = new ManualClock(newYorkTime(DAY, '09:45'));
  const positions = new ActivePositionsRepository(db, clock);
  const ledger = new PositionLedger(db, clock, 'seed');
  const out: Array<{ id: string; symbol: string; quantity: number }> = [];
  for (let i = 0; i < POSITIONS; i++) {
    const symbol = `S${i}`;
    const claim = positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'seed', maxOpenPositions: 10_000 });
    if (!claim.ok) throw new Error(claim.reason);
    ledger.recordEntryFill(claim.position.id, { execId: `entry-${i}`, symbol, side: 'BUY', quantity: 100, price: 100, commission: 1, executedAtMs: clock.now() });
    out.push({ id: claim.position.id, symbol, quantity: 100 });
  }
  return out;
}

/** Runs the exit loop in a real child; kills it with SIGKILL once `killAfter` exits were reported (or lets it finish). */
function runExitLoop(dbPath: string, positions: Array<{ id: string; symbol: string; quantity: number }>, killAfter?: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = fork(distFile('test/fixtures/db-worker.ts'), [dbPath, 'crash'], { env: testEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('error', reject);
    child.on('message', (message: { kind: string; done?: number }) => {
      if (message.kind === 'ready') child.send({ kind: 'exit-loop', positions, tradingDay: DAY });
      if (message.kind === 'progress' && killAfter !== undefined && (message.done ?? 0) >= killAfter) child.kill('SIGKILL');
      if (message.kind === 'exit-done') child.send({ kind: 'quit' });
    });
    child.on('exit', (_code, signal) => resolve(signal === 'SIGKILL' ? 'killed' : 'finished'));
  });
}

function assertConsistent(db: Db): { active: number; closed: number; exitTrades: number } {
  expect(integrityCheck(db)).toBe('ok');
  const both = db.prepare(`SELECT COUNT(*) FROM active_positions a JOIN closed_positions_today c ON c.position_id = a.id`).pluck().get();
  expect(both).toBe(0);
  const active = db.prepare('SELECT COUNT(*) FROM active_positions').pluck().get() as number;
  const closed = db.prepare('SELECT COUNT(*) FROM closed_positions_today').pluck().get() as number;
  const exitTrades = db.prepare("SELECT COUNT(*) FROM trades WHERE purpose = 'EXIT'").pluck().get() as number;
  const closedTrips = db.prepare("SELECT COUNT(*) FROM round_trips WHERE status = 'CLOSED'").pluck().get() as number;
  // Every exit trade belongs to exactly one closed row and one closed round trip: all or nothing per transaction.
  expect(exitTrades).toBe(closed);
  expect(closedTrips).toBe(closed);
  expect(active + closed).toBe(POSITIONS);
  return { active, closed, exitTrades };
}

describe('SIGKILL in the middle of a recordExit loop', () => {
  const temp = makeTempDir('crash');
  const dbPath = path.join(temp.dir, 'crash.db');
  afterAll(() => temp.cleanup());

  it('leaves an intact DB with no position both active and closed, and a rerun records each exit once', async () => {
    const db = openDatabase(dbPath);
    const positions = seedOpenPositions(db);
    db.close();

    expect(await runExitLoop(dbPath, positions, 150)).toBe('killed');
    const afterKill = openDatabase(dbPath);
    const partial = assertConsistent(afterKill);
    expect(partial.closed).toBeGreaterThanOrEqual(150);
    expect(partial.closed).toBeLessThan(POSITIONS);
    afterKill.close();

    // The next start replays every exit, including the ones already booked: duplicates are no-ops.
    expect(await runExitLoop(dbPath, positions)).toBe('finished');
    const final = openDatabase(dbPath);
    expect(assertConsistent(final)).toEqual({ active: 0, closed: POSITIONS, exitTrades: POSITIONS });
    final.close();
  });
});
