/**
 * Targeted reproductions of what the chaos run found, each on a fresh system under PM2, each printing JSON:
 *
 *   node dist/scripts/chaos/experiments.js em-restart-double-protection   # SIGKILL the exit manager with positions open
 *   node dist/scripts/chaos/experiments.js lock-then-fill [--hold-ms 8000] # a fill while another process holds the DB lock
 *   node dist/scripts/chaos/experiments.js hung-lock-holder [--tries 3000] # a bot hung while it holds the DB write lock
 *   node dist/scripts/chaos/experiments.js em-hang-during-entry             # the exit manager hangs as an entry goes out
 *   node dist/scripts/chaos/experiments.js supervisor-pm2-race [--kills 30] # SIGKILLs of the exit manager vs the supervisor's check
 *   node dist/scripts/chaos/experiments.js config-exit-loop                # a bot exiting 78 (stop_exit_codes) and the supervisor
 *   node dist/scripts/chaos/experiments.js reconciler-race [--rounds 150]  # positions appearing/vanishing during a reconciliation
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SystemHarness } from '../harness/system-harness';
import { isApiClient, isWorkingOrder, legOf, type SimStateView } from './broker-state';
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../shared/config/project-root';
import { isAlive, pollUntil, signal, sleep } from './process-control';
import { assessProtection } from './protection';
import { CHAOS_ENV } from './run-chaos';

async function withSystem<T>(body: (system: SystemHarness) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-exp-'));
  const system = await SystemHarness.start({ dir, speed: 100, dayStart: '09:20', dayEnd: '16:15', startDay: '2026-11-23', seed: 1, env: { ...CHAOS_ENV, ...env } });
  try {
    return await body(system);
  } finally {
    await system.stop();
    if (!process.env.KEEP_DIR) fs.rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${dir}\n`);
  }
}

const state = (system: SystemHarness) => system.admin<SimStateView>('GET /state');
const emPid = (system: SystemHarness) => system.query<{ pid: number }>("SELECT pid FROM heartbeats WHERE app = 'exit-manager'")[0]?.pid;

/** SIGKILL the exit manager with positions open and watch the broker's books every few ms for two stops on one position. */
async function emRestartDoubleProtection(system: SystemHarness): Promise<Record<string, unknown>> {
  await pollUntil(async () => assessProtection(await state(system)).filter((v) => v.how === 'pair').length >= 3, 120_000, 500);
  const rounds: Array<Record<string, unknown>> = [];
  for (let round = 0; round < 3; round++) {
    const pid = emPid(system)!;
    const killedAt = Date.now();
    signal(pid, 'SIGKILL');
    const worst = new Map<string, { firstMs: number; lastMs: number; extraShares: number }>();
    while (Date.now() - killedAt < 3_000) {
      const now = Date.now();
      for (const view of assessProtection(await state(system))) {
        if (view.overProtectedBy <= 0) continue;
        const w = worst.get(view.symbol) ?? { firstMs: now - killedAt, lastMs: now - killedAt, extraShares: 0 };
        w.lastMs = now - killedAt;
        w.extraShares = Math.max(w.extraShares, view.overProtectedBy);
        worst.set(view.symbol, w);
      }
    }
    const s = await state(system);
    const refs = s.orders.filter(isApiClient).map((o) => o.orderRef);
    rounds.push({
      round, positions: s.positions.filter((p) => p.quantity !== 0).length, doubleProtected: Object.fromEntries(worst),
      stopsCancelledAsDuplicates: s.orders.filter((o) => legOf(o.orderRef) === 'SL' && o.status === 'Cancelled').length,
      duplicateRefs: refs.filter((r, i) => refs.indexOf(r) !== i),
    });
    await sleep(2_000);
  }
  return { experiment: 'em-restart-double-protection', rounds };
}

/** Another process holds the DB write lock; meanwhile a position appears (bought by hand): how long until it is protected? */
async function lockThenFill(system: SystemHarness, holdMs: number): Promise<Record<string, unknown>> {
  await pollUntil(async () => (await state(system)).positions.length >= 1, 120_000, 500);
  await sleep(2_000);
  const symbols = system.query<{ symbol: string }>('SELECT DISTINCT symbol FROM signals').map((r) => r.symbol);
  const held = new Set((await state(system)).positions.map((p) => p.symbol));
  const symbol = symbols.find((s) => !held.has(s))!;
  const db = new Database(system.env.DB_PATH!);
  db.exec('BEGIN IMMEDIATE');
  const lockedAt = Date.now();
  const { execution } = await system.admin<{ execution: { realMs: number } }>('POST /quirks/manual-trade', { symbol, quantity: 20 });
  const protectedAt = await pollUntil(async () => assessProtection(await state(system)).find((v) => v.symbol === symbol)?.protected ? Date.now() : undefined, holdMs, 5);
  await sleep(lockedAt + holdMs - Date.now());
  const releasedAt = Date.now();
  if (db.inTransaction) db.exec('COMMIT');
  db.close();
  const afterRelease = protectedAt ?? (await pollUntil(async () => assessProtection(await state(system)).find((v) => v.symbol === symbol)?.protected ? Date.now() : undefined, 15_000, 5));
  return { experiment: 'lock-then-fill', symbol, holdMs, fillToProtectedMs: (afterRelease ?? NaN) - execution.realMs, protectedWhileLocked: protectedAt !== undefined && protectedAt < releasedAt, lockedForMs: releasedAt - lockedAt };
}

/** SIGSTOP a bot at random moments until it is caught holding the DB write lock, then watch the supervisor for 15 s. */
async function hungLockHolder(system: SystemHarness, tries: number): Promise<Record<string, unknown>> {
  const probe = new Database(system.env.DB_PATH!);
  probe.pragma('busy_timeout = 0');
  const locked = () => {
    try {
      probe.exec('BEGIN IMMEDIATE');
      probe.exec('ROLLBACK');
      return false;
    } catch {
      return true;
    }
  };
  try {
    for (let attempt = 1; attempt <= tries; attempt++) {
      const app = attempt % 2 ? 'day-trader' : 'exit-manager';
      const pid = system.query<{ pid: number }>('SELECT pid FROM heartbeats WHERE app = ?', app)[0]?.pid;
      if (!pid || !isAlive(pid)) {
        await sleep(200);
        continue;
      }
      signal(pid, 'SIGSTOP');
      // Held by the stopped process only if it stays locked (another bot's write lasts a millisecond or so).
      let heldAll = locked();
      for (let k = 0; heldAll && k < 5; k++) {
        await sleep(40);
        heldAll = locked();
      }
      if (!heldAll) {
        signal(pid, 'SIGCONT');
        await sleep(Math.random() * 15);
        continue;
      }
      const caughtAt = Date.now();
      const killed = await pollUntil(() => (!isAlive(pid) ? Date.now() : undefined), 15_000, 50);
      if (isAlive(pid)) signal(pid, 'SIGCONT');
      const supervisorLog = path.join(system.env.LOG_DIR!, 'supervisor.log');
      const lines = fs.readFileSync(supervisorLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; timestamp: string; target?: string });
      const during = lines.filter((l) => Date.parse(l.timestamp) >= caughtAt);
      return {
        experiment: 'hung-lock-holder', app, attempt, caughtHoldingLockAt: new Date(caughtAt).toISOString(), killedBySupervisorAfterMs: killed ? killed - caughtAt : null,
        supervisorEvents: [...new Set(during.map((l) => `${l.event}${l.target ? `:${l.target}` : ''}`))],
        workingOrdersAtBroker: (await state(system)).orders.filter((o) => isApiClient(o) && isWorkingOrder(o)).length,
      };
    }
    return { experiment: 'hung-lock-holder', caught: false, tries };
  } finally {
    probe.close();
  }
}

/** The exit manager hangs (SIGSTOP) the moment the day-trader claims a symbol: how long do the new fills stay unprotected? */
async function emHangDuringEntry(system: SystemHarness): Promise<Record<string, unknown>> {
  await pollUntil(() => system.query("SELECT 1 FROM heartbeats WHERE app = 'exit-manager' AND state = 'ready'").length > 0, 30_000, 100);
  const before = new Set(system.query<{ id: string }>('SELECT id FROM active_positions').map((r) => r.id));
  const claim = await pollUntil(() => system.query<{ id: string; symbol: string }>("SELECT id, symbol FROM active_positions WHERE status = 'PENDING_ENTRY'").find((r) => !before.has(r.id)), 120_000, 1);
  if (!claim) return { experiment: 'em-hang-during-entry', error: 'no entry within 120 s' };
  const pid = emPid(system)!;
  const stoppedAt = Date.now();
  signal(pid, 'SIGSTOP');
  const firstSeen = new Map<string, number>();
  const protectedAt = new Map<string, number>();
  while (Date.now() - stoppedAt < 12_000) {
    const s = await state(system);
    for (const view of assessProtection(s)) {
      const fill = Math.max(0, ...s.executions.filter((e) => e.symbol === view.symbol && e.realMs !== undefined).map((e) => e.realMs!));
      if (fill < stoppedAt - 200) continue; // only positions filled around or after the hang
      if (!firstSeen.has(view.symbol)) firstSeen.set(view.symbol, fill);
      if (view.protected && !protectedAt.has(view.symbol)) protectedAt.set(view.symbol, view.protectedSinceRealMs ?? Date.now());
    }
    await sleep(20);
  }
  if (isAlive(pid)) signal(pid, 'SIGCONT');
  const entriesAfterHang = (await state(system)).orders.filter((o) => o.clientId === 11 && (o.createdRealMs ?? 0) > stoppedAt).length;
  return {
    experiment: 'em-hang-during-entry', claim: claim.id, killedBySupervisor: !isAlive(pid), entriesSentAfterTheHang: entriesAfterHang,
    fillToProtectedMs: Object.fromEntries([...firstSeen].map(([symbol, fill]) => [symbol, protectedAt.has(symbol) ? protectedAt.get(symbol)! - fill : null])),
  };
}

/** SIGKILL the exit manager many times at random phases of the supervisor's 1 s check: does the supervisor restart it a second time? */
async function supervisorPm2Race(system: SystemHarness, kills: number): Promise<Record<string, unknown>> {
  const logFile = path.join(system.env.LOG_DIR!, 'supervisor.log');
  const emLog = path.join(system.env.LOG_DIR!, 'exit-manager.log');
  const startedAt = Date.now();
  for (let i = 0; i < kills; i++) {
    const pid = await pollUntil(() => {
      const hb = system.query<{ pid: number; state: string }>("SELECT pid, state FROM heartbeats WHERE app = 'exit-manager'")[0];
      return hb && hb.state === 'ready' && isAlive(hb.pid) ? hb.pid : undefined;
    }, 15_000, 20);
    if (pid) signal(pid, 'SIGKILL');
    await sleep(1_200 + Math.random() * 1_000);
  }
  await sleep(3_000);
  const read = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; timestamp: string; reason?: string; target?: string; error?: string });
  const sup = read(logFile).filter((l) => Date.parse(l.timestamp) >= startedAt);
  const starts = read(emLog).filter((l) => l.event === 'starting' && Date.parse(l.timestamp) >= startedAt).length;
  return {
    experiment: 'supervisor-pm2-race', kills, exitManagerStarts: starts,
    supervisorActions: sup.filter((l) => l.event === 'bot_unhealthy').map((l) => `${l.target}: ${l.reason}`),
    restartFailures: sup.filter((l) => l.event === 'restart_failed').map((l) => l.error),
  };
}

/** A bot that exits 78 (bad config: PM2 must not restart it) while the supervisor watches. */
async function configExitLoop(system: SystemHarness): Promise<Record<string, unknown>> {
  // Give the reconciler an account the gateway does not manage: it refuses to trade and exits 78.
  const bin = path.join(projectRoot(), 'node_modules', 'pm2', 'bin', 'pm2');
  const restartedAt = Date.now();
  spawnSync(process.execPath, [bin, 'restart', 'reconciler', '--update-env'], { env: { ...process.env, ...system.env, IB_ACCOUNT: 'DU9999999' }, encoding: 'utf8', timeout: 30_000 });
  await sleep(20_000);
  const lines = fs.readFileSync(path.join(system.env.LOG_DIR!, 'reconciler.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; timestamp: string });
  const sup = fs.readFileSync(path.join(system.env.LOG_DIR!, 'supervisor.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; timestamp: string; target?: string; reason?: string });
  return {
    experiment: 'config-exit-loop', windowSeconds: 20,
    reconcilerStarts: lines.filter((l) => l.event === 'starting' && Date.parse(l.timestamp) >= restartedAt).length,
    accountMismatches: lines.filter((l) => l.event === 'broker_account_mismatch' && Date.parse(l.timestamp) >= restartedAt).length,
    supervisorRestarts: sup.filter((l) => l.event === 'bot_unhealthy' && l.target === 'reconciler' && Date.parse(l.timestamp) >= restartedAt).map((l) => l.reason),
    pm2: system.processes().find((p) => p.name === 'reconciler'),
  };
}

/**
 * Positions bought and sold by hand in quick succession while the reconciler runs every second: does a
 * reconciliation ever judge a row against a broker snapshot taken before the row changed?
 */
async function reconcilerRace(system: SystemHarness, rounds: number): Promise<Record<string, unknown>> {
  await pollUntil(() => system.query('SELECT 1 FROM signals LIMIT 1').length > 0, 60_000, 200);
  const symbols = system.query<{ symbol: string }>('SELECT DISTINCT symbol FROM signals').map((r) => r.symbol);
  const startedAt = Date.now();
  for (let i = 0; i < rounds; i++) {
    const held = new Set((await state(system)).positions.map((p) => p.symbol));
    const symbol = symbols.filter((s) => !held.has(s))[i % 7];
    if (!symbol) continue;
    await system.admin('POST /quirks/manual-trade', { symbol, quantity: 10 });
    await sleep(50 + Math.random() * 250);
    await system.admin('POST /quirks/manual-trade', { symbol, quantity: -10 });
    await sleep(50 + Math.random() * 250);
  }
  await sleep(3_000);
  const runs = system.query<{ status: string; details: string; run_at: string }>("SELECT status, details, run_at FROM reconciliation_log WHERE status = 'FLAGGED'");
  const flagged = runs.flatMap((r) => (JSON.parse(r.details) as Array<{ symbol: string; flagged?: boolean; action: string }>).filter((d) => d.flagged).map((d) => `${r.run_at} ${d.symbol}: ${d.action}`));
  const adoptedByReconciler = system.query<{ symbol: string; at: string }>("SELECT symbol, at FROM events WHERE event = 'position_adopted' AND app = 'reconciler'");
  const leftRows = system.query<{ id: string; symbol: string; status: string }>('SELECT id, symbol, status FROM active_positions');
  const s = await state(system);
  return {
    experiment: 'reconciler-race', rounds, seconds: Math.round((Date.now() - startedAt) / 1000), flagged: flagged.slice(0, 10), flaggedCount: flagged.length,
    adoptedByReconciler: adoptedByReconciler.length, activeRowsWithoutBrokerPosition: leftRows.filter((r) => !s.positions.some((p) => p.symbol === r.symbol && p.quantity !== 0)),
  };
}

async function main(): Promise<void> {
  const argv = yargs(hideBin(process.argv))
    .command('em-restart-double-protection', 'SIGKILL the exit manager with positions open')
    .command('lock-then-fill', 'a fill while another process holds the DB write lock')
    .command('hung-lock-holder', 'a bot hung while holding the DB write lock')
    .command('em-hang-during-entry', 'the exit manager hangs as an entry goes out')
    .command('supervisor-pm2-race', 'SIGKILLs of the exit manager against the supervisor\'s check')
    .command('config-exit-loop', 'a bot exiting 78 while the supervisor watches')
    .command('reconciler-race', 'positions appearing and vanishing during reconciliations')
    .option('kills', { type: 'number', default: 30 })
    .option('rounds', { type: 'number', default: 150 })
    .option('hold-ms', { type: 'number', default: 8_000 })
    .option('tries', { type: 'number', default: 3_000 })
    .demandCommand(1)
    .strict()
    .parseSync();
  const name = String(argv._[0]);
  const extraEnv: Record<string, string> = name === 'reconciler-race' ? { RECONCILE_INTERVAL_S: '1' } : {};
  const result = await withSystem((system) => {
    if (name === 'em-restart-double-protection') return emRestartDoubleProtection(system);
    if (name === 'lock-then-fill') return lockThenFill(system, argv['hold-ms']);
    if (name === 'em-hang-during-entry') return emHangDuringEntry(system);
    if (name === 'supervisor-pm2-race') return supervisorPm2Race(system, argv.kills);
    if (name === 'config-exit-loop') return configExitLoop(system);
    if (name === 'reconciler-race') return reconcilerRace(system, argv.rounds);
    return hungLockHolder(system, argv.tries);
  }, extraEnv);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (require.main === module) {
  main().then(() => process.exit(0), (error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
