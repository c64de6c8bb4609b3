import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime, nextTradingDay } from '../../shared/time/trading-calendar';
import { ActivePositionsRepository, openDatabase, PositionLedger, type Db } from '../../shared/db';
import { distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';

const WORKERS = 8;
const SYMBOLS = Array.from({ length: 50 }, (_, i) => `SYM${String(i).padStart(2, '0')}`);
const DAY = '2026-11-23';

interface ClaimResultMessage {
  kind: 'claim-result';
  workerId: string;
  wins: Array<{ symbol: string; id: string }>;
  refusals: Record<string, number>;
  busyErrors: number;
  otherErrors: number;
}

function startWorkers(dbPath: string): Promise<ChildProcess[]> {
  const workerJs = distFile('test/fixtures/db-worker.ts');
  return Promise.all(
    Array.from({ length: WORKERS }, (_, i) => new Promise<ChildProcess>((resolve, reject) => {
      const child = fork(workerJs, [dbPath, String(i)], { env: testEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.once('error', reject);
      child.once('message', () => resolve(child)); // 'ready'
    })),
  );
}

/** Sends the same claim command to all workers at once and collects every result. */
function race(workers: ChildProcess[], tradingDay: string, rounds: number): Promise<ClaimResultMessage[]> {
  return Promise.all(workers.map((worker, i) => new Promise<ClaimResultMessage>((resolve) => {
    worker.once('message', (message: ClaimResultMessage) => resolve(message));
    worker.send({ kind: 'claim', symbols: SYMBOLS, rounds, tradingDay, seed: 1000 + i * 7919 });
  })));
}

function closeAll(db: Db, tradingDay: string): void {
  const clock = new ManualClock(newYorkTime(tradingDay, '10:30'));
  const positions = new ActivePositionsRepository(db, clock);
  const ledger = new PositionLedger(db, clock, 'test');
  for (const position of positions.getActivePositions()) {
    ledger.recordEntryFill(position.id, { execId: `e-${position.id}`, symbol: position.symbol, side: 'BUY', quantity: 10, price: 100, commission: 1, executedAtMs: clock.now() });
    ledger.recordExit(position.id, { execId: `x-${position.id}`, symbol: position.symbol, side: 'SELL', quantity: 10, price: 99, commission: 1, executedAtMs: clock.now() + 60_000 }, 'STOP_LOSS');
  }
}

describe('claimSymbol raced by 8 real processes', () => {
  const temp = makeTempDir('race');
  const dbPath = path.join(temp.dir, 'race.db');
  let db: Db;
  let workers: ChildProcess[] = [];

  beforeAll(async () => {
    db = openDatabase(dbPath);
    workers = await startWorkers(dbPath);
  });
  afterAll(() => {
    for (const worker of workers) worker.send({ kind: 'quit' });
    db.close();
    temp.cleanup();
  });

  it('gives each of 50 symbols exactly one winner, blocks same-day re-entry, allows it the next trading day', async () => {
    const firstRace = await race(workers, DAY, 5);
    const winsBySymbol = new Map<string, number>();
    for (const result of firstRace) for (const win of result.wins) winsBySymbol.set(win.symbol, (winsBySymbol.get(win.symbol) ?? 0) + 1);
    expect(firstRace.reduce((n, r) => n + r.busyErrors + r.otherErrors, 0)).toBe(0);
    expect([...winsBySymbol.keys()].sort()).toEqual(SYMBOLS);
    expect([...winsBySymbol.values()].every((n) => n === 1)).toBe(true);
    // 8 workers x 5 rounds x 50 symbols attempts, 50 wins, all the rest refused as already active.
    expect(firstRace.reduce((n, r) => n + (r.refusals.ALREADY_ACTIVE ?? 0), 0)).toBe(WORKERS * 5 * 50 - 50);

    closeAll(db, DAY);
    const sameDay = await race(workers, DAY, 2);
    expect(sameDay.flatMap((r) => r.wins)).toEqual([]);
    expect(sameDay.reduce((n, r) => n + (r.refusals.CLOSED_TODAY ?? 0), 0)).toBe(WORKERS * 2 * 50);
    expect(sameDay.reduce((n, r) => n + r.busyErrors + r.otherErrors, 0)).toBe(0);

    const nextDay = nextTradingDay(DAY);
    const nextRace = await race(workers, nextDay, 3);
    const nextWins = nextRace.flatMap((r) => r.wins.map((w) => w.symbol));
    expect(nextWins.sort()).toEqual(SYMBOLS);
    expect(nextRace.reduce((n, r) => n + r.busyErrors + r.otherErrors, 0)).toBe(0);
  });
});
