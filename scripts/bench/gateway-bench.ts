/**
 * bench:gateway — the simulated gateway under load, end to end over TCP with the real client stack:
 * - tick fan-out latency: the simulator stamps each trade with real time when its feed emits it
 *   (SIM_TICK_REAL_TIMESTAMPS=1, RT_VOLUME); three IbBrokerAdapter clients, each in its own process,
 *   subscribed to all 50 symbols, take (now - stamp) in their quote callback. p50/p99 in ms, and the
 *   trades per second each client received against the simulator's own emitted count;
 * - order round trip: place -> first filled event for small MKT orders (alternating buy/sell per symbol
 *   so the account stays flat), while all three clients keep streaming.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MarketFeed } from '../../apps/sim-gateway/feed/market-feed';
import { createSyntheticMarket } from '../../apps/sim-gateway/market';
import { startBenchGateway, type BenchGateway } from './gateway-bench/gateway-process';
import { startBenchClient, type BenchClient } from './gateway-bench/client-process';
import type { MeasureCommand, MeasureReply, ReadyReply } from './gateway-bench/messages';
import { round } from './stats';

const SPEED = Number(process.env.BENCH_GATEWAY_SPEED ?? 600);
const CLIENTS = Number(process.env.BENCH_GATEWAY_CLIENTS ?? 3);
const UNIVERSE_SIZE = 50;
const SEED = 42;
const WARMUP_MS = Number(process.env.BENCH_GATEWAY_WARMUP_MS ?? 3_000);
const TICK_WINDOW_MS = Number(process.env.BENCH_GATEWAY_TICK_MS ?? 12_000);
const ROUND_TRIPS = Number(process.env.BENCH_GATEWAY_ORDERS ?? 300);
/** Round trips run before the measured ones, as the ticks get a warm-up: the first order runs cold code (~40 ms). */
const ORDER_WARMUP = 10;
/**
 * Pause after each fill: @stoqey/ib paces a client to 5 messages per 100 ms (our 50/s setting, IB's rule)
 * and queues the rest; with the adapter's liveness probe, orders closer together would sometimes wait in
 * that queue, which is the client's pacing, not the simulator's latency.
 */
const ORDER_PAUSE_MS = 40;
const TARGETS = { tickFanOutP99Ms: 2, orderRoundTripP99Ms: 5 };

function latencySummary(values: readonly number[]) {
  const sorted = Float64Array.from(values).sort();
  // Nearest rank, as stats.percentile, on one sorted copy (tens of thousands of samples).
  const at = (p: number) => (sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!, 3) : NaN);
  const mean = values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : NaN;
  // min doubles as a sanity check of the cross-process stamps: it must be a small positive number.
  return { min: at(0), p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: at(100), mean: round(mean, 3), n: values.length };
}

async function ticksEmitted(gateway: BenchGateway): Promise<{ count: number; atMs: number; marketTime: string }> {
  const state = await gateway.admin<{ ticksEmitted: number; marketTime: string }>('/state');
  return { count: state.ticksEmitted, atMs: performance.now(), marketTime: state.marketTime };
}

/**
 * Runs one measurement on every client at once; the gateway's CPU and emitted ticks are read around it.
 * With orders, client 0 places them and the others stream until it is done.
 */
async function measurePhase(gateway: BenchGateway, clients: BenchClient[], command: MeasureCommand, timeoutMs: number) {
  const before = await ticksEmitted(gateway);
  const cpuBefore = gateway.cpuMs();
  clients.forEach((c, i) => c.send(command.orders && i > 0 ? { kind: 'measure' } : command));
  const first = await clients[0]!.next('measured', timeoutMs);
  if (command.orders) for (const c of clients.slice(1)) c.send({ kind: 'finish' });
  const replies: MeasureReply[] = [first, ...(await Promise.all(clients.slice(1).map((c) => c.next('measured', timeoutMs))))];
  const after = await ticksEmitted(gateway);
  const cpuAfter = gateway.cpuMs();
  const seconds = (after.atMs - before.atMs) / 1_000;
  return {
    replies,
    seconds,
    simulatorTicksPerSecond: (after.count - before.count) / seconds,
    gatewayCpuPct: cpuBefore === undefined || cpuAfter === undefined ? undefined : round(((cpuAfter - cpuBefore) / 1_000 / seconds) * 100, 1),
    marketWindow: `${before.marketTime} .. ${after.marketTime}`,
  };
}

export async function runGatewayBench(): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-gateway-'));
  const symbols = createSyntheticMarket({ seed: SEED, universeSize: UNIVERSE_SIZE }).universe.map((info) => info.symbol);
  let gateway: BenchGateway | undefined;
  const clients: BenchClient[] = [];
  const startedMs = performance.now();
  try {
    gateway = await startBenchGateway({ dir, speed: SPEED, universeSize: UNIVERSE_SIZE, startDay: '2026-11-23', dayStart: '09:30', dayEnd: '16:00', seed: SEED });
    for (let i = 0; i < CLIENTS; i++) {
      const clientId = 101 + i;
      const client = startBenchClient(clientId);
      clients.push(client);
      client.send({ kind: 'start', port: gateway.port, clientId, symbols });
    }
    const ready: ReadyReply[] = await Promise.all(clients.map((c) => c.next('ready', 20_000)));
    if (ready.length !== CLIENTS) throw new Error('not every client connected');
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));

    const ticks = await measurePhase(gateway, clients, { kind: 'measure', durationMs: TICK_WINDOW_MS }, TICK_WINDOW_MS + 20_000);
    const orders = await measurePhase(gateway, clients, { kind: 'measure', orders: { count: ROUND_TRIPS, warmup: ORDER_WARMUP, quantity: 100, pauseMs: ORDER_PAUSE_MS, timeoutMs: 3_000 } }, 120_000);
    const orderReply = orders.replies[0]!;

    const fanOut = latencySummary(ticks.replies.flatMap((r) => r.tickLatenciesMs));
    const perClient = ticks.replies.map((r) => ({
      clientId: r.clientId, ...pick(latencySummary(r.tickLatenciesMs), ['p50', 'p99', 'max']),
      tradesPerSecond: round(r.trades / (r.elapsedMs / 1_000), 0), quoteCallbacksPerSecond: round(r.quoteCallbacks / (r.elapsedMs / 1_000), 0),
      cpuPct: round((r.cpuMs / r.elapsedMs) * 100, 1),
    }));
    const tradesPerSecondPerClient = round(perClient.reduce((sum, c) => sum + c.tradesPerSecond, 0) / perClient.length, 0);
    const roundTrip = latencySummary(orderReply.roundTripsMs ?? []);
    const fanOutDuringOrders = latencySummary(orders.replies.slice(1).flatMap((r) => r.tickLatenciesMs));
    return {
      tickFanOutMs: fanOut,
      tickFanOutP50Ms: fanOut.p50,
      tickFanOutP99Ms: fanOut.p99,
      perClient,
      tradesPerSecondPerClient,
      simulatorTicksPerSecond: round(ticks.simulatorTicksPerSecond, 0),
      deliveredPerClientPct: round((tradesPerSecondPerClient / ticks.simulatorTicksPerSecond) * 100, 1),
      orderRoundTripMs: roundTrip,
      orderRoundTripP50Ms: roundTrip.p50,
      orderRoundTripP99Ms: roundTrip.p99,
      orderTimeouts: orderReply.orderTimeouts,
      partialFirstFills: orderReply.partialFirstFills,
      tickFanOutDuringOrdersMs: pick(fanOutDuringOrders, ['p50', 'p99', 'max', 'n']),
      cpuPct: {
        gatewayDuringTicks: ticks.gatewayCpuPct, gatewayDuringOrders: orders.gatewayCpuPct,
        orderClientDuringOrders: round((orderReply.cpuMs / orderReply.elapsedMs) * 100, 1),
      },
      targets: TARGETS,
      met: { tickFanOutP99: fanOut.p99 <= TARGETS.tickFanOutP99Ms, orderRoundTripP99: roundTrip.p99 <= TARGETS.orderRoundTripP99Ms },
      setup: {
        speed: SPEED, clients: CLIENTS, symbolsPerClient: symbols.length, orderWarmup: ORDER_WARMUP, orderPauseMs: ORDER_PAUSE_MS, ticksPerBar: MarketFeed.ticksPerBarFor(SPEED), feedStepMs: MarketFeed.stepMsFor(SPEED),
        tickWindowS: round(ticks.seconds, 1), orderWindowS: round(orders.seconds, 1), marketTimeTicks: ticks.marketWindow, marketTimeOrders: orders.marketWindow,
        cpus: os.cpus().length, node: process.version, totalS: round((performance.now() - startedMs) / 1_000, 1),
      },
    };
  } finally {
    await Promise.all(clients.map((c) => c.stop(5_000)));
    await gateway?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}

if (require.main === module) {
  runGatewayBench().then(
    (result) => console.log(JSON.stringify({ gateway: result }, null, 2)),
    (error: Error) => {
      console.error(error.stack ?? error.message);
      process.exitCode = 1;
    },
  );
}
