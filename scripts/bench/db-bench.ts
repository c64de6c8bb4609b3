/**
 * bench:db — the coordination layer's numbers: claim transactions/s with 1 and 4 competing processes,
 * the pre-entry check (is active + was closed today) p50/p99 in µs, recordExit p99, SQLITE_BUSY count.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { createRepositories, openDatabase } from '../../shared/db';
import { round, summarize } from './stats';

const DURATION_MS = Number(process.env.BENCH_DB_DURATION_MS ?? 3_000);

/** The supervisor's part, in its own process: the WAL checkpointer the bots' connections defer to. */
async function withCheckpointer<T>(dbPath: string, run: () => Promise<T> | T): Promise<T & { checkpoints: number }> {
  const child = fork(path.join(__dirname, 'db-bench-checkpointer.js'), [dbPath]);
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  const result = await run();
  const { checkpoints } = await new Promise<{ checkpoints: number }>((resolve) => {
    child.once('message', (m: { checkpoints: number }) => resolve(m));
    child.send('stop');
  });
  return { ...result, checkpoints };
}

async function claimThroughput(dbPath: string, processes: number): Promise<{ claimsPerSecond: number; busy: number; claimMicros: ReturnType<typeof summarize> }> {
  const workers = await Promise.all(Array.from({ length: processes }, (_, i) => new Promise<ReturnType<typeof fork>>((resolve) => {
    const child = fork(path.join(__dirname, 'db-bench-worker.js'), [dbPath, String(DURATION_MS), String(i)]);
    child.once('message', () => resolve(child));
  })));
  const results = await Promise.all(workers.map((w) => new Promise<{ claims: number; busy: number; claimMicros: number[] }>((resolve) => {
    w.once('message', (m: { claims: number; busy: number; claimMicros: number[] }) => resolve(m));
    w.send('go');
  })));
  return {
    claimsPerSecond: Math.round(results.reduce((n, r) => n + r.claims, 0) / (DURATION_MS / 1000)),
    busy: results.reduce((n, r) => n + r.busy, 0),
    claimMicros: summarize(results.flatMap((r) => r.claimMicros)),
  };
}

function preEntryCheckAndRecordExit(dbPath: string) {
  const db = openDatabase(dbPath, { deferCheckpoints: true });
  const clock = new ManualClock(newYorkTime('2026-11-23', '10:00'));
  const repos = createRepositories(db, clock, 'bench');
  // A realistic day: a few active positions, a few hundred closed rows over earlier days.
  const ids: Array<{ id: string; symbol: string }> = [];
  for (let i = 0; i < 2_000; i++) {
    const claim = repos.positions.claimSymbol({ symbol: `X${i}`, tradingDay: '2026-11-23', agentName: 'bench', maxOpenPositions: 10_000 });
    if (!claim.ok) throw new Error(claim.reason);
    repos.ledger.recordEntryFill(claim.position.id, { execId: `be-${i}`, symbol: `X${i}`, side: 'BUY', quantity: 100, price: 50, commission: 1, executedAtMs: clock.now() });
    ids.push({ id: claim.position.id, symbol: `X${i}` });
  }
  const checkMicros: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const symbol = `X${i % 4_000}`;
    const start = process.hrtime.bigint();
    const blocked = repos.positions.isPositionActive(symbol) || repos.closed.wasClosedToday(symbol, '2026-11-23');
    checkMicros.push(Number(process.hrtime.bigint() - start) / 1_000);
    if (blocked === undefined) throw new Error('unreachable');
  }
  const exitMicros: number[] = [];
  for (const [i, p] of ids.entries()) {
    const start = process.hrtime.bigint();
    repos.ledger.recordExit(p.id, { execId: `bx-${i}`, symbol: p.symbol, side: 'SELL', quantity: 100, price: 51, commission: 1, executedAtMs: clock.now() }, 'PROFIT_TARGET');
    exitMicros.push(Number(process.hrtime.bigint() - start) / 1_000);
  }
  db.close();
  return { check: summarize(checkMicros), recordExit: summarize(exitMicros) };
}

export async function runDbBench(): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-db-'));
  try {
    const one = await withCheckpointer(path.join(dir, 'one.db'), () => claimThroughput(path.join(dir, 'one.db'), 1));
    const four = await withCheckpointer(path.join(dir, 'four.db'), () => claimThroughput(path.join(dir, 'four.db'), 4));
    const latencies = await withCheckpointer(path.join(dir, 'latency.db'), () => preEntryCheckAndRecordExit(path.join(dir, 'latency.db')));
    return {
      claimsPerSecond1Process: one.claimsPerSecond,
      claimsPerSecond4Processes: four.claimsPerSecond,
      // One claimSymbol call (its BEGIN IMMEDIATE transaction, waiting for the lock included), every process's claims.
      claimMicros1Process: one.claimMicros,
      claimMicros4Processes: four.claimMicros,
      preEntryCheckMicros: latencies.check,
      recordExitMicros: latencies.recordExit,
      recordExitP99Micros: latencies.recordExit.p99,
      sqliteBusyErrors: one.busy + four.busy,
      // Checkpoints done by the separate checkpointer process (the supervisor's job in the system) in each part.
      walCheckpoints: { claims1Process: one.checkpoints, claims4Processes: four.checkpoints, latencies: latencies.checkpoints },
      durationMsPerThroughputRun: DURATION_MS,
      targets: { preEntryCheckP99Micros: 50, claimsPerSecond4Processes: 30_000, recordExitP99Micros: 1_000, sqliteBusyErrors: 0 },
      cpus: os.cpus().length,
      note: `check = isPositionActive + wasClosedToday on 2,000 active rows; ${round(DURATION_MS / 1000, 1)} s per throughput run; a claim counts once decided (claimed or refused by the rules), each claimed symbol is released again; latencies in µs as p50/p99/max/n; the connections defer WAL checkpoints to a separate checkpointer process, as the bots do to the supervisor`,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void runDbBench().then((result) => console.log(JSON.stringify({ db: result }, null, 2)));
}
