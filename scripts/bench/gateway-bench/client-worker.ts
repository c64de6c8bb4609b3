/**
 * One bench client in its own process (so three clients do not share, and distort, one event loop): our
 * IbBrokerAdapter over the unmodified @stoqey/ib, subscribed to every symbol, measuring how long a trade
 * takes from the simulator's emission stamp (RT_VOLUME, real ms) to the adapter's quote callback, and,
 * when asked, order round trips (place -> first filled event).
 */
import { IbBrokerAdapter } from '../../../shared/broker/ib/ib-broker-adapter';
import type { OrderEvent, OrderId } from '../../../shared/broker/types';
import { silentLogger } from '../../../shared/log/logger';
import type { MeasureCommand, MeasureReply, ParentCommand, WorkerReply } from './messages';

const wallNow = () => performance.timeOrigin + performance.now();

let adapter: IbBrokerAdapter | undefined;
let recording = false;
let latencies: number[] = [];
let trades = 0;
let callbacks = 0;
let finish: (() => void) | undefined;

function reply(message: WorkerReply): void {
  process.send!(message);
}

async function start(port: number, clientId: number, symbols: string[]): Promise<void> {
  let nextId = 0;
  adapter = new IbBrokerAdapter({
    host: '127.0.0.1', port, clientId, connectTimeoutMs: 10_000, requestTimeoutMs: 10_000, livenessIntervalMs: 1_000, livenessTimeoutMs: 10_000,
    reconnectMaxDelayMs: 1_000, log: silentLogger(),
    orderIds: { reserve: (_client, brokerNext) => (nextId = Math.max(nextId + 1, brokerNext)) },
  });
  const info = await adapter.connect();
  for (const symbol of symbols) {
    let lastStamp = NaN;
    adapter.subscribeQuotes(symbol, (quote) => {
      const now = wallNow();
      callbacks += 1;
      const stamp = quote.tradeStamp;
      // bid, ask and last each call back: count a trade once, at the first callback that carries its stamp.
      if (stamp === undefined || stamp === lastStamp) return;
      lastStamp = stamp;
      if (!recording) return;
      trades += 1;
      latencies.push(now - stamp);
    });
  }
  reply({ kind: 'ready', clientId, nextValidId: info.nextValidId });
}

async function roundTrips(symbols: string[], orders: NonNullable<MeasureCommand['orders']>) {
  const broker = adapter!;
  const samples: number[] = [];
  let timeouts = 0;
  let partial = 0;
  let waiting: { orderId?: OrderId; startMs: number; resolve: () => void; quantity: number; record: boolean } | undefined;
  const early: OrderEvent[] = [];
  const onEvent = (event: OrderEvent) => {
    if (event.kind !== 'filled' || !waiting) return;
    if (waiting.orderId === undefined) {
      early.push(event); // the fill can beat placeOrder's promise back
      return;
    }
    if (event.orderId !== waiting.orderId) return;
    const done = waiting;
    waiting = undefined;
    if (done.record) {
      samples.push(performance.now() - done.startMs);
      if (event.execution.quantity < done.quantity) partial += 1;
    }
    done.resolve();
  };
  const off = broker.onOrderEvent(onEvent);
  try {
    for (let i = 0; i < orders.warmup + orders.count; i++) {
      // Cycle through the symbols, buying on even passes and selling on odd ones: never more than one lot per symbol.
      const symbol = symbols[i % symbols.length]!;
      const side = Math.floor(i / symbols.length) % 2 === 0 ? 'BUY' : 'SELL';
      const record = i >= orders.warmup;
      const filled = new Promise<void>((resolve) => (waiting = { startMs: performance.now(), resolve, quantity: orders.quantity, record }));
      const current = waiting!;
      const orderId = await broker.placeOrder({ orderRef: `bench-${i}`, symbol, side, quantity: orders.quantity, type: 'MKT', tif: 'DAY' });
      current.orderId = orderId;
      for (const event of early.splice(0)) onEvent(event);
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), orders.timeoutMs).unref());
      if ((await Promise.race([filled, timer])) === 'timeout') {
        if (record) timeouts += 1;
        waiting = undefined;
      }
      // Keep under @stoqey/ib's own 50 messages/s pacing, which would otherwise queue the next order.
      await new Promise((resolve) => setTimeout(resolve, orders.pauseMs));
    }
  } finally {
    off();
  }
  return { samples, timeouts, partial };
}

async function measure(command: MeasureCommand, clientId: number, symbols: string[]): Promise<void> {
  latencies = [];
  trades = 0;
  callbacks = 0;
  const cpuBefore = process.cpuUsage();
  const startMs = performance.now();
  recording = true;
  let orderResult: Awaited<ReturnType<typeof roundTrips>> | undefined;
  if (command.orders) orderResult = await roundTrips(symbols, command.orders);
  else if (command.durationMs !== undefined) await new Promise((resolve) => setTimeout(resolve, command.durationMs));
  else await new Promise<void>((resolve) => (finish = resolve));
  recording = false;
  const cpu = process.cpuUsage(cpuBefore);
  const result: MeasureReply = {
    kind: 'measured', clientId, tickLatenciesMs: latencies, trades, quoteCallbacks: callbacks, elapsedMs: performance.now() - startMs,
    cpuMs: (cpu.user + cpu.system) / 1_000,
  };
  if (orderResult) Object.assign(result, { roundTripsMs: orderResult.samples, orderTimeouts: orderResult.timeouts, partialFirstFills: orderResult.partial });
  reply(result);
}

let clientId = 0;
let symbols: string[] = [];
process.on('message', (command: ParentCommand) => {
  const run = async () => {
    if (command.kind === 'start') {
      clientId = command.clientId;
      symbols = command.symbols;
      await start(command.port, command.clientId, command.symbols);
    } else if (command.kind === 'measure') {
      await measure(command, clientId, symbols);
    } else if (command.kind === 'finish') {
      finish?.();
      finish = undefined;
    } else {
      await adapter?.disconnect();
      process.exit(0);
    }
  };
  run().catch((error: Error) => reply({ kind: 'failed', clientId, error: error.stack ?? error.message }));
});
process.on('disconnect', () => process.exit(0));
