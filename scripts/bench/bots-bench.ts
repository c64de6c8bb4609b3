/**
 * bench:bots — the exit path's numbers on the whole system under PM2 against sim-gateway:
 *   fill → broker-side protection placed (p50/p99 ms), tick crossing the trailing level → exit order at the
 *   gateway (p50/p99 ms), exit manager SIGKILL → protecting again (p50/p99 over 20 kills), the RSS of
 *   each process after a simulated day, and the longest interval during which sell orders could trade more
 *   than the account may sell (from the simulator, which knows the truth: must be 0). Latencies use the
 *   gateway's own wall-clock stamps. Runs on the ideal profile (our own latency) and, as `bots-realistic`,
 *   on the realistic one (lagging reports, executions behind statuses, corrections, foreign holdings) with
 *   live market data (the trailing-stop figure needs quotes that are not 15 minutes old).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import { createRepositories, openDatabase } from '../../shared/db';
import { silentLogger } from '../../shared/log/logger';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { recordEntryReport } from '../../apps/day-trader/entry-report';
import { SystemHarness } from '../harness/system-harness';
import { summarize } from './stats';

interface SimOrder { orderRef: string; createdRealMs?: number; status: string; orderType: string }
interface SimExecution { orderRef: string; realMs?: number; execId: string }
interface SimState { orders: SimOrder[]; executions: SimExecution[]; positions: Array<{ symbol: string; quantity: number }> }

/** Fill → protection samples: each is a fresh position in its own symbol (no re-entry the same day). */
const FILL_SAMPLES = Number(process.env.BENCH_BOTS_FILL_SAMPLES ?? 200);
/** Trailing-stop samples (tick → exit order). */
const SAMPLES = Number(process.env.BENCH_BOTS_SAMPLES ?? 20);
/** Exit-manager SIGKILLs with positions open. */
const KILLS = Number(process.env.BENCH_BOTS_KILLS ?? 50);

async function poll<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 10): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return undefined;
}

const EXITS = { stopLossPct: 5, takeProfitPct: 10 };

export async function runBotsBench(profile: 'ideal' | 'realistic' = 'ideal'): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bots-'));
  const system = await SystemHarness.start({
    dir, speed: 120, dayStart: '09:35', dayEnd: '16:15', seed: 42,
    env: {
      TRAILING_STOP_PCT: '0.5', STOP_LOSS_PCT: String(EXITS.stopLossPct), TAKE_PROFIT_PCT: String(EXITS.takeProfitPct), MAX_OPEN_POSITIONS: '100',
      LOG_LEVEL: 'info', SIM_PROFILE: profile, SIM_MARKET_DATA: 'live', SIM_UNIVERSE_SIZE: String(FILL_SAMPLES + SAMPLES + 80),
      // Where the time goes: every process writes a V8 CPU profile there when it stops (not when SIGKILLed).
      ...(process.env.BENCH_CPU_PROFILE_DIR ? { NODE_OPTIONS: `--require ${path.join(__dirname, 'cpu-profile-preload.js')}`, BENCH_CPU_PROFILE_DIR: process.env.BENCH_CPU_PROFILE_DIR } : {}),
    },
  });
  const clock = new CompressedClock(readClockAnchor(system.env.SIM_CLOCK_FILE!)!);
  const db = openDatabase(system.env.DB_PATH!);
  const repos = createRepositories(db, clock, 'bench');
  let nextId = 0;
  const broker = new IbBrokerAdapter({
    host: '127.0.0.1', port: Number(system.env.IB_PORT), clientId: 30, connectTimeoutMs: 5_000, requestTimeoutMs: 8_000, livenessIntervalMs: 1_000,
    livenessTimeoutMs: 5_000, reconnectMaxDelayMs: 1_000, log: silentLogger(), orderIds: { reserve: (_c, n) => (nextId = Math.max(nextId + 1, n)) },
  });
  /** Per entry: when its first fill report reached us and when it was committed (stage timing). */
  const reportedAt = new Map<string, { receivedAtMs: number; committedAtMs: number }>();
  // Book our entries through the day-trader's own code (the broker's status first, with the levels from its
  // average price; the execution when it comes), so the exit manager sees ordinary DB rows at the same moment.
  broker.onOrderEvent((e) => {
    if (e.kind === 'filled') repos.ledger.recordEntryFill(e.ref, { ...e.execution, executedAtMs: e.execution.timeMs });
    const row = e.kind === 'status' ? repos.positions.getById(e.ref) : undefined;
    if (e.kind === 'status' && row) {
      const receivedAtMs = Date.now();
      recordEntryReport(repos, row, { filled: e.filled, working: !['Filled', 'Cancelled', 'ApiCancelled', 'Inactive'].includes(e.status), avgFillPrice: e.avgFillPrice }, EXITS);
      if (e.filled > 0 && !reportedAt.has(e.ref)) reportedAt.set(e.ref, { receivedAtMs, committedAtMs: Date.now() });
    }
  });
  try {
    await broker.connect();
    // Every symbol the simulator trades but those the account already holds (the realistic account's own
    // stocks) and share classes: each sample opens a fresh position in its own symbol.
    const held = new Set((await system.admin<SimState>('GET /state')).positions.filter((p) => p.quantity !== 0).map((p) => p.symbol));
    const symbols = (await system.admin<{ symbols: string[] }>('GET /universe')).symbols.filter((s) => !s.includes(' ') && !held.has(s));
    let nextSymbol = 0;
    const openOne = async (): Promise<{ id: string; symbol: string } | undefined> => {
      while (nextSymbol < symbols.length) {
        const symbol = symbols[nextSymbol++]!;
        if (repos.positions.isPositionActive(symbol)) continue;
        // The contract first (as the day-trader does): an ambiguous symbol needs its conId on every order.
        const contract = await broker.contractOf(symbol).catch(() => undefined);
        const claim = repos.positions.claimSymbol({ symbol, tradingDay: tradingDayOf(clock.now()), agentName: 'bench', maxOpenPositions: 1_000, requestedQuantity: 10 });
        if (!claim.ok) continue;
        await broker.placeOrder({ orderRef: claim.position.id, symbol, conId: contract?.conId, side: 'BUY', quantity: 10, type: 'MKT', tif: 'DAY' });
        return { id: claim.position.id, symbol };
      }
      return undefined;
    };
    const fillToProtection: number[] = [];
    const sampled: string[] = [];
    const positions: Array<{ id: string; symbol: string }> = [];
    while (fillToProtection.length < FILL_SAMPLES) {
      const opened = await openOne();
      if (!opened) break;
      const sample = await poll(async () => {
        const state = await system.admin<SimState>(`GET /state?refPrefix=${opened.id}`);
        const fill = state.executions.find((e) => e.orderRef === opened.id);
        const protection = state.orders.filter((o) => o.orderRef.startsWith(`${opened.id}:`) && o.createdRealMs);
        if (!fill?.realMs || protection.length < 2) return undefined;
        return Math.min(...protection.map((o) => o.createdRealMs!)) - fill.realMs;
      }, 5_000, 20);
      if (sample === undefined) continue;
      fillToProtection.push(sample);
      sampled.push(opened.id);
      // The first ones stay open for the trailing-stop samples; the rest are closed by their take-profit
      // (a jump through it), so the exit manager never carries more than a desk's load.
      if (positions.length < SAMPLES) positions.push(opened);
      else await system.admin('POST /faults/jump', { symbol: opened.symbol, pct: EXITS.takeProfitPct + 5 });
    }

    const fillStages = await protectionStages(system, sampled, reportedAt);

    const tickToExit: number[] = [];
    for (const position of positions.slice(0, SAMPLES)) {
      await system.admin('POST /faults/jump', { symbol: position.symbol, pct: 3 });
      await new Promise((r) => setTimeout(r, 100)); // let the new high reach the exit manager
      const jump = await system.admin<{ realMs: number }>('POST /faults/jump', { symbol: position.symbol, pct: -2 });
      const exitAt = await poll(async () => {
        const state = await system.admin<SimState>(`GET /state?refPrefix=${position.id}:X-`);
        // Only an exit the jump caused: one already placed before it (the up-jump's own noise) is not a sample.
        return state.orders.find((o) => o.orderRef.startsWith(`${position.id}:X-TRAILING_STOP`) && (o.createdRealMs ?? 0) >= jump.realMs)?.createdRealMs;
      }, 5_000, 50);
      if (exitAt !== undefined) tickToExit.push(exitAt - jump.realMs);
    }

    // Kill the exit manager repeatedly while positions are open (place fresh ones: the trailing test closed the first).
    for (let i = 0; i < 5; i++) await openOne();
    const killToProtecting: number[] = [];
    // Each restart split at the stamps the new exit manager publishes (apps/exit-manager/main.ts, `startup`).
    const restarts: RestartStages[] = [];
    // The supervisor's own recoveries of the exit manager during the kills (a restart it asked for on top of
    // PM2's is a kill of the new process): their ids, so the output names them.
    const recoveriesBefore = new Set(repos.events.byName('bot_restarted', 1_000).map((e) => e.id));
    for (let i = 0; i < KILLS; i++) {
      const pid = system.pidOf('exit-manager');
      if (!pid) break;
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const back = await poll(() => {
        const hb = repos.heartbeats.get('exit-manager');
        return hb && hb.pid !== pid && hb.detail.protecting === true ? { seenMs: Date.now(), startup: hb.detail.startup as StartupStamps | undefined } : undefined;
      }, 15_000, 5);
      if (back !== undefined) {
        killToProtecting.push(back.seenMs - killedAt);
        if (back.startup) restarts.push(restartStages(killedAt, back.seenMs, back.startup));
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    const supervisorRecoveries = repos.events.byName('bot_restarted', 1_000)
      .filter((e) => !recoveriesBefore.has(e.id) && e.data.target === 'exit-manager')
      .map((e) => ({ at: e.at, reason: e.data.reason, action: e.data.action, outcome: e.data.outcome }));

    // Let the simulated day finish, then read each process's memory.
    await poll(() => (tradingDayOf(clock.now()) !== '2026-11-23' || repos.positions.countActive() === 0 && clock.now() > Date.parse('2026-11-23T20:55:00Z') ? true : undefined), 300_000, 500);
    // Event-loop delay since start: the simulator's (its lateness is in every stamp) and each bot's (its heartbeat).
    const simLoop = (await system.admin<{ loopDelayMs: unknown }>('GET /health')).loopDelayMs;
    const botLoops = Object.fromEntries(['exit-manager', 'day-trader', 'reconciler'].map((app) => [app, repos.heartbeats.get(app)?.detail.loopDelaySinceStartMs]));
    const rss = Object.fromEntries(system.processes().map((p) => [p.name, Math.round((p.memoryBytes / 1024 / 1024) * 10) / 10]));
    const { exposure } = await system.admin<{ exposure: { longestMs: number; longestExcludingManualMs: number; intervals: unknown[]; open: unknown[]; checks: number } }>('GET /exposure');
    return {
      profile,
      longestSellsBeyondPositionMs: exposure.longestExcludingManualMs,
      sellsBeyondPositionIntervals: exposure.intervals.length + exposure.open.length,
      // Each one in full (symbol, orders, times): must be empty; when not, this says where to look.
      sellsBeyondPosition: [...exposure.intervals, ...exposure.open].slice(0, 10),
      exposureChecks: exposure.checks,
      fillToProtectionMs: summarize(fillToProtection),
      fillToProtectionStagesMs: fillStages,
      tickToExitOrderMs: summarize(tickToExit),
      killToProtectingMs: summarize(killToProtecting),
      killToProtectingStagesMs: Object.fromEntries(RESTART_STAGES.map((stage) => [stage, summarize(restarts.map((r) => r[stage]))])),
      slowestRestartsMs: [...restarts].sort((a, b) => b.total - a.total).slice(0, 3),
      supervisorRecoveriesDuringKills: supervisorRecoveries,
      rssMbAfterSimulatedDay: rss,
      eventLoopDelayMs: { 'sim-gateway': simLoop, ...botLoops },
      targets: { fillToProtectionP99Ms: 10, tickToExitOrderP99Ms: 2, killToProtectingP99Ms: 350, rssMbEach: 100, longestSellsBeyondPositionMs: 0 },
      loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
      cpus: os.cpus().length,
      note: 'whole system under PM2 at x120; latencies from sim-gateway wall-clock stamps (fill, order receipt, price jump); ' +
        `fill → protection: ${FILL_SAMPLES} positions opened one after the other (the first ${SAMPLES} stay open, the rest close at their target)`,
    };
  } finally {
    await broker.disconnect();
    db.close();
    await system.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Where fill → protection goes, per stage, from wall-clock stamps of three processes on one machine: the
 * simulator's fill and order receipt, the entry's report reaching the booking process and its commit, the
 * exit manager seeing the row change and handing the stop to its socket (its protection_placed log line).
 */
async function protectionStages(system: SystemHarness, ids: readonly string[], reportedAt: ReadonlyMap<string, { receivedAtMs: number; committedAtMs: number }>) {
  const placed = new Map(system.logLines('exit-manager').filter((l) => l.event === 'protection_placed').map((l) => [String(l.positionId), l]));
  const stages = { fillToReportReceived: [] as number[], reportReceivedToCommitted: [] as number[], committedToSeenByExitManager: [] as number[], seenToStopSent: [] as number[], stopSentToGateway: [] as number[] };
  for (const id of ids) {
    const state = await system.admin<SimState>(`GET /state?refPrefix=${id}`);
    const fillMs = state.executions.find((e) => e.orderRef === id)?.realMs;
    const stopMs = state.orders.find((o) => o.orderRef.startsWith(`${id}:`) && o.orderType === 'STP')?.createdRealMs;
    const report = reportedAt.get(id);
    const line = placed.get(id);
    const seenMs = Number(line?.rowChangeSeenAtMs);
    const sentMs = Number(line?.stopSentAtMs);
    if (fillMs === undefined || stopMs === undefined || !report || !Number.isFinite(seenMs) || !Number.isFinite(sentMs)) continue;
    stages.fillToReportReceived.push(report.receivedAtMs - fillMs);
    stages.reportReceivedToCommitted.push(report.committedAtMs - report.receivedAtMs);
    stages.committedToSeenByExitManager.push(seenMs - report.committedAtMs);
    stages.seenToStopSent.push(sentMs - seenMs);
    stages.stopSentToGateway.push(stopMs - sentMs);
  }
  return Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, summarize(v)]));
}

if (require.main === module) {
  const profile = process.env.BENCH_SIM_PROFILE === 'realistic' ? 'realistic' : 'ideal';
  void runBotsBench(profile).then((result) => console.log(JSON.stringify({ [profile === 'ideal' ? 'bots' : 'bots-realistic']: result }, null, 2)), (error) => {
    console.error(error);
    process.exit(1);
  });
}

interface StartupStamps { processStartMs: number; modulesLoadedMs: number; connectedMs?: number; protectingMs?: number }

const RESTART_STAGES = ['killToProcessStart', 'processStartToModulesLoaded', 'modulesLoadedToConnected', 'connectedToProtecting', 'protectingToSeen'] as const;
type RestartStages = Record<(typeof RESTART_STAGES)[number] | 'total', number>;

/**
 * One restart's time by stage: PM2 noticing the death and forking (kill -> the new process's clock origin),
 * Node's start and every require, the gateway's handshake (with the DB opened before it), the first complete
 * re-read of orders and positions, and the heartbeat that says so reaching this poll.
 */
function restartStages(killedAt: number, seenMs: number, s: StartupStamps): RestartStages {
  const connected = s.connectedMs ?? s.modulesLoadedMs;
  const protecting = s.protectingMs ?? seenMs;
  return {
    killToProcessStart: s.processStartMs - killedAt,
    processStartToModulesLoaded: s.modulesLoadedMs - s.processStartMs,
    modulesLoadedToConnected: connected - s.modulesLoadedMs,
    connectedToProtecting: protecting - connected,
    protectingToSeen: seenMs - protecting,
    total: seenMs - killedAt,
  };
}
