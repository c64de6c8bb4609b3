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
import { SystemHarness } from '../harness/system-harness';
import { summarize } from './stats';

interface SimOrder { orderRef: string; createdRealMs?: number; status: string; orderType: string }
interface SimExecution { orderRef: string; realMs?: number; execId: string }
interface SimState { orders: SimOrder[]; executions: SimExecution[]; positions: Array<{ symbol: string; quantity: number }> }

const SAMPLES = Number(process.env.BENCH_BOTS_SAMPLES ?? 20);

async function poll<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 10): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return undefined;
}

export async function runBotsBench(profile: 'ideal' | 'realistic' = 'ideal'): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bots-'));
  const system = await SystemHarness.start({
    dir, speed: 120, dayStart: '09:35', dayEnd: '16:15', seed: 42,
    env: { TRAILING_STOP_PCT: '0.5', STOP_LOSS_PCT: '5', TAKE_PROFIT_PCT: '10', MAX_OPEN_POSITIONS: '60', LOG_LEVEL: 'info', SIM_PROFILE: profile, SIM_MARKET_DATA: 'live' },
  });
  const clock = new CompressedClock(readClockAnchor(system.env.SIM_CLOCK_FILE!)!);
  const db = openDatabase(system.env.DB_PATH!);
  const repos = createRepositories(db, clock, 'bench');
  let nextId = 0;
  const broker = new IbBrokerAdapter({
    host: '127.0.0.1', port: Number(system.env.IB_PORT), clientId: 30, connectTimeoutMs: 5_000, requestTimeoutMs: 8_000, livenessIntervalMs: 1_000,
    livenessTimeoutMs: 5_000, reconnectMaxDelayMs: 1_000, log: silentLogger(), orderIds: { reserve: (_c, n) => (nextId = Math.max(nextId + 1, n)) },
  });
  // Book our entries like the day-trader does (the broker's status first, the execution when it comes), so
  // the exit manager sees ordinary DB rows.
  broker.onOrderEvent((e) => {
    if (e.kind === 'filled') repos.ledger.recordEntryFill(e.ref, { ...e.execution, executedAtMs: e.execution.timeMs });
    if (e.kind === 'status' && repos.positions.getById(e.ref)) repos.ledger.recordEntryStatus(e.ref, e.filled, !['Filled', 'Cancelled', 'ApiCancelled', 'Inactive'].includes(e.status));
  });
  try {
    await broker.connect();
    const symbols = (await broker.scan('MOST_ACTIVE', { rows: 50 })).filter((s) => !repos.positions.isPositionActive(s));
    const fillToProtection: number[] = [];
    const positions: Array<{ id: string; symbol: string }> = [];
    for (const symbol of symbols.slice(0, SAMPLES + 5)) {
      const claim = repos.positions.claimSymbol({ symbol, tradingDay: tradingDayOf(clock.now()), agentName: 'bench', maxOpenPositions: 100, requestedQuantity: 10 });
      if (!claim.ok) continue;
      await broker.placeOrder({ orderRef: claim.position.id, symbol, side: 'BUY', quantity: 10, type: 'MKT', tif: 'DAY' });
      const sample = await poll(async () => {
        const state = await system.admin<SimState>(`GET /state?refPrefix=${claim.position.id}`);
        const fill = state.executions.find((e) => e.orderRef === claim.position.id);
        const protection = state.orders.filter((o) => o.orderRef.startsWith(`${claim.position.id}:`) && o.createdRealMs);
        if (!fill?.realMs || protection.length < 2) return undefined;
        return Math.min(...protection.map((o) => o.createdRealMs!)) - fill.realMs;
      }, 5_000, 50);
      if (sample !== undefined) {
        fillToProtection.push(sample);
        positions.push({ id: claim.position.id, symbol });
      }
    }

    const tickToExit: number[] = [];
    for (const position of positions.slice(0, SAMPLES)) {
      await system.admin('POST /faults/jump', { symbol: position.symbol, pct: 3 });
      await new Promise((r) => setTimeout(r, 100)); // let the new high reach the exit manager
      const jump = await system.admin<{ realMs: number }>('POST /faults/jump', { symbol: position.symbol, pct: -2 });
      const exitAt = await poll(async () => {
        const state = await system.admin<SimState>(`GET /state?refPrefix=${position.id}:X-`);
        return state.orders.find((o) => o.orderRef.startsWith(`${position.id}:X-TRAILING_STOP`))?.createdRealMs;
      }, 5_000, 50);
      if (exitAt !== undefined) tickToExit.push(exitAt - jump.realMs);
    }

    // Kill the exit manager repeatedly while positions are open (place fresh ones: the trailing test closed the first).
    for (const symbol of symbols.slice(SAMPLES + 5, SAMPLES + 10)) {
      const claim = repos.positions.claimSymbol({ symbol, tradingDay: tradingDayOf(clock.now()), agentName: 'bench', maxOpenPositions: 100, requestedQuantity: 10 });
      if (claim.ok) await broker.placeOrder({ orderRef: claim.position.id, symbol, side: 'BUY', quantity: 10, type: 'MKT', tif: 'DAY' });
    }
    const killToProtecting: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const pid = system.pidOf('exit-manager');
      if (!pid) break;
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const back = await poll(() => {
        const hb = repos.heartbeats.get('exit-manager');
        return hb && hb.pid !== pid && hb.detail.protecting === true ? Date.now() : undefined;
      }, 15_000, 5);
      if (back !== undefined) killToProtecting.push(back - killedAt);
      await new Promise((r) => setTimeout(r, 300));
    }

    // Let the simulated day finish, then read each process's memory.
    await poll(() => (tradingDayOf(clock.now()) !== '2026-11-23' || repos.positions.countActive() === 0 && clock.now() > Date.parse('2026-11-23T20:55:00Z') ? true : undefined), 300_000, 500);
    const rss = Object.fromEntries(system.processes().map((p) => [p.name, Math.round((p.memoryBytes / 1024 / 1024) * 10) / 10]));
    const { exposure } = await system.admin<{ exposure: { longestMs: number; longestExcludingManualMs: number; intervals: unknown[]; open: unknown[]; checks: number } }>('GET /exposure');
    return {
      profile,
      longestSellsBeyondPositionMs: exposure.longestExcludingManualMs,
      sellsBeyondPositionIntervals: exposure.intervals.length + exposure.open.length,
      exposureChecks: exposure.checks,
      fillToProtectionMs: summarize(fillToProtection),
      tickToExitOrderMs: summarize(tickToExit),
      killToProtectingMs: summarize(killToProtecting),
      rssMbAfterSimulatedDay: rss,
      targets: { fillToProtectionP99Ms: 50, tickToExitOrderP99Ms: 5, killToProtectingP99Ms: 1000, rssMbEach: 100, longestSellsBeyondPositionMs: 0 },
      note: 'whole system under PM2 at x120; latencies from sim-gateway wall-clock stamps (fill, order receipt, price jump)',
    };
  } finally {
    await broker.disconnect();
    db.close();
    await system.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const profile = process.env.BENCH_SIM_PROFILE === 'realistic' ? 'realistic' : 'ideal';
  void runBotsBench(profile).then((result) => console.log(JSON.stringify({ [profile === 'ideal' ? 'bots' : 'bots-realistic']: result }, null, 2)), (error) => {
    console.error(error);
    process.exit(1);
  });
}
