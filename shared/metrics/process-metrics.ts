import { parseExitRef } from '../orders/order-refs';

/**
 * Each process's own figures (orders, rejects, fill → protection latency, scan durations, DB lock waits),
 * counted from the structured events it already logs, and published with its heartbeat: the object sits in
 * the heartbeat's `detail.metrics`, so every beat (the DB row and the liveness file beside the DB) carries
 * its current values without a single extra write. The dashboard reads them and exposes them on /metrics.
 *
 * Counting from log events keeps the bots free of metrics code: the event names are already the
 * processes' contract with their operators (README, status), and a new figure is one line in EVENT_RULES.
 */

/** Upper bounds (seconds) of the histograms; chosen around the README's targets (fill → protection 50 ms, round trip 5 ms). */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const SCAN_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export const HISTOGRAMS = {
  fill_to_protection_seconds: { buckets: LATENCY_BUCKETS_SECONDS, help: 'From the exit manager first seeing a position unprotected (fill, DB row or broker report) to its stop and target sent' },
  order_round_trip_seconds: { buckets: LATENCY_BUCKETS_SECONDS, help: 'From an order that trades at once (IOC entry, closing market order) sent to its first execution reported by the broker' },
  scan_duration_seconds: { buckets: SCAN_BUCKETS_SECONDS, help: 'Duration of one scan pipeline run of the day-trader (scanner, measurements, scoring, entries)' },
} as const;
export type HistogramName = keyof typeof HISTOGRAMS;

export const COUNTERS = {
  orders_placed: { label: 'kind', help: 'Orders sent to the broker, by kind (entry, stop_loss, take_profit, exit)' },
  order_rejects: { label: 'kind', help: 'Orders the broker refused before they worked, by kind' },
  order_errors: { label: 'kind', help: 'Broker errors about working orders (refused modification or cancel), by kind' },
  executions: { label: 'kind', help: 'Executions booked by the process, by kind (entry, exit)' },
  db_busy: { label: 'what', help: 'DB writes refused because another process held the write lock, by what was being written' },
  log_events: { label: 'level', help: 'Warnings and errors the process logged' },
  reconciliations: { label: 'status', help: 'Reconciliation runs by outcome (OK, REPAIRED, FLAGGED, FAILED)' },
  broker_disconnects: { label: 'reason', help: 'Broker link losses (socket closed or silent, IB 1100)' },
  protection_gave_up: { label: 'kind', help: 'Positions whose protective orders were refused too often (retries stopped, alert raised)' },
} as const;
export type CounterName = keyof typeof COUNTERS;

export interface HistogramSnapshot {
  /** Upper bounds, seconds; counts has one more entry (+Inf). Counts are per bucket, not cumulative. */
  buckets: readonly number[];
  counts: number[];
  sum: number;
  count: number;
}

export interface ProcessMetricsSnapshot {
  v: 1;
  app: string;
  /** Real time the counters started (the process start): a reset of the counters shows as a new value here. */
  startedAtMs: number;
  counters: Partial<Record<CounterName, Record<string, number>>>;
  histograms: Partial<Record<HistogramName, HistogramSnapshot>>;
  process: { residentMemoryBytes: number; heapUsedBytes: number; cpuSecondsTotal: number };
}

type Fields = Record<string, unknown> | undefined;

/** How each logged event moves the figures. Unknown events only count towards log_events (warn/error). */
const EVENT_RULES: Record<string, (m: ProcessMetrics, fields: Fields) => void> = {
  order_placed: (m, f) => {
    const kind = orderKind(m.app, f);
    m.count('orders_placed', kind);
    if (kind === 'entry' || kind === 'exit') m.startTimer(`order:${timerKeyOf(m.app, f)}`);
  },
  execution_completed: (m, f) => {
    const kind = m.app === 'day-trader' ? 'entry' : 'exit';
    m.count('executions', kind);
    m.stopTimer(`order:${String(f?.positionId ?? '')}`, 'order_round_trip_seconds');
  },
  entry_rejected: (m) => m.count('order_rejects', 'entry'),
  protection_rejected: (m, f) => m.count('order_rejects', refKind(f?.orderRef)),
  entry_order_error: (m) => m.count('order_errors', 'entry'),
  protection_order_error: (m, f) => m.count('order_errors', refKind(f?.orderRef)),
  protection_placed: (m, f) => {
    const ms = f?.msSinceUnprotectedSeen ?? f?.msSincePositionSeen;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) m.observe('fill_to_protection_seconds', ms / 1000);
  },
  protection_gave_up: (m) => m.count('protection_gave_up', 'position'),
  scan_started: (m, f) => m.startTimer(`scan:${String(f?.runId ?? '')}`),
  pipeline_completed: (m, f) => m.stopTimer(`scan:${String(f?.runId ?? '')}`, 'scan_duration_seconds'),
  pipeline_failed: (m, f) => m.stopTimer(`scan:${String(f?.runId ?? '')}`, 'scan_duration_seconds'),
  reconciliation_completed: (m, f) => m.count('reconciliations', String(f?.status ?? 'UNKNOWN')),
  reconciliation_failed: (m) => m.count('reconciliations', 'FAILED'),
  heartbeat_write_failed: (m, f) => {
    if (f?.dbLocked === true) m.count('db_busy', 'heartbeat');
  },
  db_busy_unhandled: (m) => m.count('db_busy', 'unhandled'),
  trading_day_roll_deferred: (m) => m.count('db_busy', 'trading_day_roll'),
  event_not_recorded: (m) => m.count('db_busy', 'audit_event'),
  broker_disconnected: (m) => m.count('broker_disconnects', 'socket'),
  broker_connection_recycled: (m) => m.count('broker_disconnects', 'silent'),
  broker_ib_link_lost: (m) => m.count('broker_disconnects', 'ib_1100'),
};

/** A kind from an order ref: `<positionId>:SL:n` stop_loss, `:TP:n` take_profit, `:X-…:n` exit, a bare position id entry. */
function refKind(ref: unknown): string {
  if (typeof ref !== 'string') return 'other';
  const parsed = parseExitRef(ref);
  if (parsed) return parsed.leg === 'SL' ? 'stop_loss' : parsed.leg === 'TP' ? 'take_profit' : 'exit';
  return /^[PA]-\d{8}-/.test(ref) ? 'entry' : 'other';
}

function orderKind(app: string, fields: Fields): string {
  if (app === 'day-trader') return 'entry';
  return refKind(fields?.orderRef);
}

/** The position an order's execution will be reported for (execution_completed carries the position id). */
function timerKeyOf(app: string, fields: Fields): string {
  if (app === 'day-trader') return String(fields?.positionId ?? '');
  return parseExitRef(String(fields?.orderRef ?? ''))?.positionId ?? '';
}

const MAX_OPEN_TIMERS = 500;

export class ProcessMetrics {
  private readonly counters = new Map<CounterName, Map<string, number>>();
  private readonly histograms = new Map<HistogramName, HistogramSnapshot>();
  /** Started timers by key (an order, a scan), real ms; bounded so a stream of unanswered orders cannot grow it. */
  private readonly timers = new Map<string, number>();
  private readonly startedAtMs = Date.now();

  constructor(readonly app: string) {}

  /** The logger's tap: called for every event, whatever the log level. */
  observeLogEvent(level: string, event: string, fields?: Record<string, unknown>): void {
    if (level === 'warn' || level === 'error') this.count('log_events', level);
    EVENT_RULES[event]?.(this, fields);
  }

  count(name: CounterName, label: string, by = 1): void {
    let series = this.counters.get(name);
    if (!series) this.counters.set(name, (series = new Map()));
    series.set(label, (series.get(label) ?? 0) + by);
  }

  observe(name: HistogramName, seconds: number): void {
    let histogram = this.histograms.get(name);
    if (!histogram) {
      const buckets = HISTOGRAMS[name].buckets;
      histogram = { buckets, counts: new Array<number>(buckets.length + 1).fill(0), sum: 0, count: 0 };
      this.histograms.set(name, histogram);
    }
    let index = histogram.buckets.findIndex((bound) => seconds <= bound);
    if (index < 0) index = histogram.buckets.length;
    histogram.counts[index]! += 1;
    histogram.sum += seconds;
    histogram.count += 1;
  }

  startTimer(key: string): void {
    if (this.timers.has(key)) return; // the first send counts (a replacement order must not restart it)
    if (this.timers.size >= MAX_OPEN_TIMERS) this.timers.delete(this.timers.keys().next().value!);
    this.timers.set(key, performanceNow());
  }

  stopTimer(key: string, histogram: HistogramName): void {
    const started = this.timers.get(key);
    if (started === undefined) return;
    this.timers.delete(key);
    this.observe(histogram, (performanceNow() - started) / 1000);
  }

  /** What the heartbeat serializes (JSON.stringify calls this on every beat). */
  toJSON(): ProcessMetricsSnapshot {
    const counters: ProcessMetricsSnapshot['counters'] = {};
    for (const [name, series] of this.counters) counters[name] = Object.fromEntries(series);
    const histograms: ProcessMetricsSnapshot['histograms'] = {};
    for (const [name, h] of this.histograms) histograms[name] = { buckets: h.buckets, counts: [...h.counts], sum: round6(h.sum), count: h.count };
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      v: 1, app: this.app, startedAtMs: this.startedAtMs, counters, histograms,
      process: { residentMemoryBytes: memory.rss, heapUsedBytes: memory.heapUsed, cpuSecondsTotal: round6((cpu.user + cpu.system) / 1e6) },
    };
  }
}

function performanceNow(): number {
  return performance.now();
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** A published snapshot read back (from a heartbeat row or liveness file); undefined when absent or not ours. */
export function parseProcessMetrics(value: unknown): ProcessMetricsSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<ProcessMetricsSnapshot>;
  if (v.v !== 1 || typeof v.startedAtMs !== 'number' || typeof v.counters !== 'object' || typeof v.histograms !== 'object') return undefined;
  return v as ProcessMetricsSnapshot;
}
