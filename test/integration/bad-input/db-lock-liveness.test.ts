import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { assessBot, latestBeat, type Health, type ProcessView } from '../../../apps/supervisor/health';
import { createSyntheticMarket } from '../../../apps/sim-gateway/market';
import { loadConfig } from '../../../shared/config/load-config';
import { createRepositories, openDatabase } from '../../../shared/db';
import { HeartbeatsRepository } from '../../../shared/db/repositories/heartbeats-repository';
import { LivenessFiles, livenessDirFor } from '../../../shared/process/liveness-file';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { freePort } from '../../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../../helpers/sim-gateway-process';
import { PROJECT_ROOT, makeTempDir } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';
import { waitUntil } from '../../helpers/wait-until';
import { query, startBot, systemEnv, type BotProcess } from './bot-process';

interface SimOrder { clientId: number; orderRef: string; symbol: string; status: string; orderType: string; auxPrice?: number }
interface SimState { orders: SimOrder[]; positions: Array<{ symbol: string; quantity: number }> }

const DAY = '2026-11-23';
const working = (o: SimOrder) => o.status === 'Submitted' || o.status === 'PreSubmitted';

/** Another process holding the DB's write lock (BEGIN IMMEDIATE) until told to let go, like a sqlite3 shell. */
async function holdWriteLock(dbPath: string): Promise<{ release(): Promise<void> }> {
  const script = `const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(process.argv[1]);
    db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
    process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); process.exit(0); });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script, dbPath], { cwd: PROJECT_ROOT, env: testEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitUntil(() => output.includes('locked') || child.exitCode !== null, 10_000, 'the lock holder holding the lock');
  if (!output.includes('locked')) throw new Error(`the lock holder failed: ${output}`);
  return {
    release: async () => {
      child.stdin!.write('release\n');
      expect(await exited).toBe(0);
    },
  };
}

/**
 * The exit manager as a real process while another process holds the DB's write lock for longer than the
 * supervisor's staleness limits (1 s for the exit manager, 3 s for the others). better-sqlite3 waits for a
 * lock synchronously: with the old 5 s busy timeout a write stopped the whole event loop, the heartbeat
 * went stale and the supervisor killed a live bot. Now: writes fail fast, the liveness file keeps beating,
 * the supervisor's verdict (computed here from the real row and file, as the supervisor does) stays
 * "healthy" throughout, the bot keeps handling broker events (a stop filling during the lock), and what it
 * could not write during the lock (the exit) it books once the lock is gone, as the same process.
 */
describe('a bot while another process holds the DB write lock', () => {
  const temp = makeTempDir('bad-db-lock');
  const config = loadConfig({ env: {} });
  let gateway: SimGatewayProcess;
  let env: Record<string, string>;
  let exitManager: BotProcess;
  let reader: Database.Database;
  let rows: HeartbeatsRepository;
  let liveness: LivenessFiles;
  const state = () => gateway.admin<SimState>('GET /state');

  beforeAll(async () => {
    env = systemEnv(temp.dir, { ib: await freePort(), admin: await freePort() });
    gateway = await startSimGateway({ dir: temp.dir, port: Number(env.IB_PORT), adminPort: Number(env.SIM_ADMIN_PORT), speed: 60, dayStart: env.SIM_DAY_START, startDay: env.SIM_START_DAY, seed: 7, startingCash: 100_000 });
    exitManager = startBot('exit-manager', env);
    await exitManager.ready;
    reader = new Database(env.DB_PATH!, { readonly: true });
    rows = new HeartbeatsRepository(reader);
    liveness = new LivenessFiles(livenessDirFor(env.DB_PATH!));
  }, 60_000);

  afterAll(async () => {
    reader?.close();
    await exitManager?.stop();
    await gateway?.kill();
    temp.cleanup();
  });

  /** A position of the bots, as the day-trader leaves it: bought at the broker, its entry fill booked. */
  async function openPosition(symbol: string, quantity: number): Promise<string> {
    const { execution } = await gateway.admin<{ execution: { execId: string; price: number } }>('POST /quirks/manual-trade', { symbol, quantity });
    const db = openDatabase(env.DB_PATH!);
    try {
      const repos = createRepositories(db, new ManualClock(newYorkTime(DAY, '09:45')), 'test');
      const claim = repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: config.strategy.agentName, maxOpenPositions: 10, requestedQuantity: quantity });
      if (!claim.ok) throw new Error(`claim refused: ${claim.reason}`);
      repos.ledger.recordEntryFill(claim.position.id, { execId: execution.execId, symbol, side: 'BUY', quantity, price: execution.price, commission: 1, executedAtMs: Date.now(), orderRef: claim.position.id });
      repos.ledger.recordEntryStatus(claim.position.id, quantity, false);
      return claim.position.id;
    } finally {
      db.close();
    }
  }

  it('keeps beating and handling broker events through the lock, and books what it could not write once the lock is gone', async () => {
    const pid = exitManager.pid;
    const view: ProcessView = { name: 'exit-manager', status: 'online', pid, uptimeMs: 600_000, restarts: 0 };
    const { ambiguousSymbols } = await gateway.admin<{ ambiguousSymbols: string[] }>('GET /realism');
    const held = new Set((await state()).positions.map((p) => p.symbol));
    const symbol = createSyntheticMarket({ seed: 7 }).universe.map((s) => s.symbol).find((s) => !held.has(s) && !ambiguousSymbols.includes(s))!;
    const positionId = await openPosition(symbol, 30);
    const stop = await waitUntil(async () => (await state()).orders.find((o) => o.orderRef.startsWith(`${positionId}:SL:`) && working(o)), 30_000, `protection of ${symbol}`);
    await waitUntil(() => query<{ status: string }>(env.DB_PATH!, 'SELECT status FROM active_positions WHERE id = ?', positionId)[0]?.status === 'PROTECTED', 10_000, 'the row marked protected');

    // The supervisor's verdict at every look during the lock, from the real row and liveness file.
    const verdicts: Health[] = [];
    let rowOnly: Health | undefined;
    const look = () => {
      const nowMs = Date.now();
      const row = rows.get('exit-manager');
      const file = liveness.read('exit-manager');
      verdicts.push(assessBot(view, latestBeat(pid, row, file), nowMs, config));
      rowOnly = assessBot(view, row, nowMs, config);
      return { nowMs, row, file };
    };
    const lockedAtMs = Date.now();
    const lock = await holdWriteLock(env.DB_PATH!);
    try {
      // Held past the general staleness limit: the row stops, the file goes on (and says why the row stopped).
      await waitUntil(() => {
        const { nowMs, row, file } = look();
        return row !== undefined && file !== undefined && nowMs - row.beatAtMs > config.supervisor.heartbeatStaleMs
          && file.beatAtMs > row.beatAtMs + config.supervisor.heartbeatStaleMs && file.waitingForDbLockSinceMs !== null;
      }, 60_000, 'a heartbeat row stale past the limit and a liveness file still beating');

      // A broker event that needs the DB: the stop fills (price gapped through it). The bot handles it at
      // once; its write is refused in milliseconds instead of stopping the event loop.
      const jumpedAtMs = Date.now();
      const { snapshot } = await gateway.admin<{ snapshot: { last: number } }>('POST /faults/jump', { symbol, pct: 0 });
      await gateway.admin('POST /faults/jump', { symbol, pct: Math.round(((stop.auxPrice! * 0.98) / snapshot.last - 1) * 10_000) / 100 });
      await waitUntil(async () => {
        look();
        const flat = !(await state()).positions.some((p) => p.symbol === symbol && p.quantity !== 0);
        const handled = exitManager.log().some((l) => l.event === 'order_event_failed' && Date.parse(l.timestamp) >= jumpedAtMs && /locked/.test(String(l.error)));
        return flat && handled;
      }, 30_000, 'the stop filled at the broker and its events handled by the exit manager during the lock');
      look();
      expect(query(env.DB_PATH!, 'SELECT 1 FROM closed_positions_today WHERE position_id = ?', positionId)).toEqual([]); // it really needed the DB
    } finally {
      await lock.release();
    }

    // The supervisor never had a reason to kill it; by its row alone it would have.
    expect(verdicts.filter((v) => !v.healthy)).toEqual([]);
    expect(rowOnly).toMatchObject({ healthy: false, action: 'kill', reason: expect.stringMatching(/heartbeat stale/) });

    // What the lock refused is written once it is gone: the exit booked once, from the broker's executions.
    const closed = await waitUntil(() => query<{ exit_reason: string; quantity: number }>(env.DB_PATH!, 'SELECT exit_reason, quantity FROM closed_positions_today WHERE position_id = ?', positionId)[0], 30_000, 'the exit booked after the lock');
    expect(closed).toEqual({ exit_reason: 'STOP_LOSS', quantity: 30 });
    const ours = (await state()).orders.filter((o) => o.clientId === 12 && o.symbol === symbol).map((o) => o.orderRef);
    expect(ours.sort()).toEqual([`${positionId}:SL:1`, `${positionId}:TP:1`]); // nothing sent twice, nothing sold past flat
    await waitUntil(() => liveness.read('exit-manager')?.waitingForDbLockSinceMs === null && rows.get('exit-manager')!.beatAtMs > lockedAtMs, 10_000, 'the heartbeat row written again');
    // The same process all along: never killed, never crashed.
    expect(exitManager.child.exitCode).toBeNull();
    expect(exitManager.child.signalCode).toBeNull();
    expect(rows.get('exit-manager')!.pid).toBe(pid);
    expect(exitManager.log().filter((l) => l.event === 'crashed' || l.event === 'shutdown_started' || l.event === 'db_busy_unhandled')).toEqual([]);
    // Its connection stopped waiting the busy timeout on every write once the lock was met, and waits again after it.
    const lockLines = await waitUntil(() => {
      const lines = exitManager.log().filter((l) => l.event === 'db_writes_failing_fast' || l.event === 'db_writes_restored').map((l) => l.event);
      return lines.includes('db_writes_restored') && lines;
    }, 10_000, 'the exit manager logging its writes restored');
    expect(lockLines).toEqual(['db_writes_failing_fast', 'db_writes_restored']);
  }, 120_000);
});
