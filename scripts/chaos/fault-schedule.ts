import { SeededRandom } from './random';

export type BotApp = 'exit-manager' | 'day-trader' | 'reconciler' | 'supervisor';
export type HangableApp = Exclude<BotApp, 'supervisor'>;

export const CRASH_POINTS = {
  exitManagerBeforeProtection: 'exit-manager:before-protection',
  exitManagerBetweenLegs: 'exit-manager:between-protection-legs',
  dayTraderAfterEntrySent: 'day-trader:after-entry-order-sent',
} as const;
export type CrashPointName = (typeof CRASH_POINTS)[keyof typeof CRASH_POINTS];

/** One fault, with every parameter fixed by the schedule (targets that depend on broker state are picked at run time). */
export type FaultSpec =
  | { kind: 'sigkill'; app: BotApp }
  | { kind: 'sigkill-in-flight'; app: 'exit-manager' | 'day-trader'; crashPoint: CrashPointName }
  | { kind: 'sigstop'; app: HangableApp }
  | { kind: 'gateway-restart'; downMs: number }
  | { kind: 'gateway-outage'; downMs: number }
  | { kind: 'gateway-silence'; seconds: number; detectable: boolean }
  | { kind: 'drop-connections' }
  | { kind: 'reject-orders'; count: number }
  | { kind: 'price-jump'; through: 'stop' | 'target' }
  | { kind: 'db-lock'; holdMs: number }
  | { kind: 'ids-backwards'; downMs: number }
  | { kind: 'replay-executions'; downMs: number }
  | { kind: 'positions-timeout'; count: number; forceResync: boolean; lateMs: number }
  | { kind: 'open-orders-timeout'; count: number; forceResync: boolean; lateMs: number }
  | { kind: 'manual-open'; quantity: number }
  | { kind: 'manual-close' }
  | { kind: 'position-lag'; lag: { minMs: number; maxMs: number }; holdMs: number; through: 'stop' | 'target' }
  | { kind: 'corrections'; probability: number; holdMs: number }
  | { kind: 'reject-modify'; count: number; code: number }
  | { kind: 'ib-link-loss'; lostMs: number; restoreCode: 1101 | 1102 }
  | { kind: 'historical-pacing'; count: number }
  | { kind: 'preset-warning'; count: number };

export type FaultKind = FaultSpec['kind'];

export interface ScheduledFault {
  index: number;
  /** 0-based simulated day. */
  day: number;
  /** Position in that day's fault window, 0..1. */
  at: number;
  spec: FaultSpec;
}

export interface ScheduleLimits {
  /** The adapter declares a silent gateway dead after this long (IB_LIVENESS_TIMEOUT_MS). */
  livenessTimeoutMs: number;
  /** ... probing it this often (IB_LIVENESS_INTERVAL_MS); reported with the silences. */
  livenessIntervalMs: number;
  /** The supervisor's staleness limit (HEARTBEAT_STALE_MS): a DB lock must outlast it. */
  heartbeatStaleMs: number;
  /** Bots' DB busy timeout: locks are kept below it (beyond it a write fails as "transient", by design). */
  busyTimeoutMs: number;
  /** A gateway down this long in market hours must raise the supervisor's broker_down_alert. */
  brokerDownAlertMs: number;
  /** Bots give up on a snapshot or query after this long (IB_REQUEST_TIMEOUT_MS): late end markers come after it. */
  requestTimeoutMs: number;
}

export interface ScheduleRequest {
  seed: number;
  faults: number;
  /** Relative length of each day's fault window (a 13:00 early close has a shorter one). */
  dayWeights: readonly number[];
  limits: ScheduleLimits;
}

type Maker = (r: SeededRandom, l: ScheduleLimits) => FaultSpec;

const make = {
  killExitManager: () => ({ kind: 'sigkill', app: 'exit-manager' }),
  killDayTrader: () => ({ kind: 'sigkill', app: 'day-trader' }),
  killReconciler: () => ({ kind: 'sigkill', app: 'reconciler' }),
  killSupervisor: () => ({ kind: 'sigkill', app: 'supervisor' }),
  emBeforeProtection: () => ({ kind: 'sigkill-in-flight', app: 'exit-manager', crashPoint: CRASH_POINTS.exitManagerBeforeProtection }),
  emBetweenLegs: () => ({ kind: 'sigkill-in-flight', app: 'exit-manager', crashPoint: CRASH_POINTS.exitManagerBetweenLegs }),
  dtAfterEntry: () => ({ kind: 'sigkill-in-flight', app: 'day-trader', crashPoint: CRASH_POINTS.dayTraderAfterEntrySent }),
  hangDayTrader: () => ({ kind: 'sigstop', app: 'day-trader' }),
  hangExitManager: () => ({ kind: 'sigstop', app: 'exit-manager' }),
  hangReconciler: () => ({ kind: 'sigstop', app: 'reconciler' }),
  restart: (r) => ({ kind: 'gateway-restart', downMs: r.int(500, 3_000) }),
  outage: (_r, l) => ({ kind: 'gateway-outage', downMs: l.brokerDownAlertMs + 3_000 }),
  // A gateway silent for less than the liveness timeout must NOT be declared dead (the promise), one
  // silent for longer must. 500 ms of margin on each side keeps timer jitter out of the verdict.
  silenceShort: (r, l) => ({ kind: 'gateway-silence', seconds: round1(r.between(0.5, Math.max(0.6, l.livenessTimeoutMs / 1000 - 0.5))), detectable: false }),
  silenceLong: (r, l) => ({ kind: 'gateway-silence', seconds: round1(r.between(l.livenessTimeoutMs / 1000 + 1, l.livenessTimeoutMs / 1000 + 3)), detectable: true }),
  drop: () => ({ kind: 'drop-connections' }),
  reject: (r) => ({ kind: 'reject-orders', count: r.int(1, 3) }),
  jump: (r) => ({ kind: 'price-jump', through: r.chance(0.6) ? 'stop' : 'target' }),
  dbLock: (r, l) => ({ kind: 'db-lock', holdMs: r.int(l.heartbeatStaleMs + 500, Math.max(l.heartbeatStaleMs + 600, Math.min(l.busyTimeoutMs - 500, l.heartbeatStaleMs + 2_000))) }),
  idsBackwards: (r) => ({ kind: 'ids-backwards', downMs: r.int(500, 2_000) }),
  replay: (r) => ({ kind: 'replay-executions', downMs: r.int(500, 2_000) }),
  // Answered late, after the requester's timeout: the end marker (it carries no request id) then looks like
  // the end of the NEXT request. 1-4 s past the timeout.
  positionsTimeout: (r, l) => ({ kind: 'positions-timeout', count: r.int(1, 2), forceResync: r.chance(0.5), lateMs: l.requestTimeoutMs + r.int(1_000, 4_000) }),
  openOrdersTimeout: (r, l) => ({ kind: 'open-orders-timeout', count: r.int(1, 2), forceResync: r.chance(0.7), lateMs: l.requestTimeoutMs + r.int(1_000, 4_000) }),
  manualOpen: (r) => ({ kind: 'manual-open', quantity: r.int(10, 60) }),
  manualClose: () => ({ kind: 'manual-close' }),
  // Position reports trailing exits by seconds (the realistic profile's slow tail, for everyone, for a while).
  positionLag: (r) => {
    const minMs = r.int(1_200, 1_800);
    return { kind: 'position-lag', lag: { minMs, maxMs: minMs + r.int(500, 1_200) }, holdMs: r.int(5_000, 8_000), through: r.chance(0.5) ? 'stop' : 'target' };
  },
  corrections: (r) => ({ kind: 'corrections', probability: round1(r.between(0.5, 1)), holdMs: r.int(5_000, 8_000) }),
  // IB refuses modifications with 104, 105, 110 or 201 (order precautions); the order stays as it was.
  rejectModify: (r) => ({ kind: 'reject-modify', count: r.int(1, 3), code: r.pick([201, 201, 105, 110, 104]) }),
  // 1100 with the socket up (nothing reaches the exchange), then 1101 (data lost) or 1102 (data kept).
  ibLinkLoss: (r) => ({ kind: 'ib-link-loss', lostMs: r.int(2_000, 5_000), restoreCode: r.chance(0.5) ? 1101 : 1102 }),
  historicalPacing: (r) => ({ kind: 'historical-pacing', count: r.int(1, 2) }),
  // Newer TWS versions send the informational 10349 ahead of an order's acknowledgement; the order works.
  presetWarning: (r) => ({ kind: 'preset-warning', count: r.int(1, 3) }),
} satisfies Record<string, Maker>;
type MakerName = keyof typeof make;
const makers: Record<MakerName, Maker> = make;

/**
 * Every kind at least once, in this order of priority (the short run's faults cover the first of them): the
 * exit manager killed plain and mid-protection first, one of each failure from architecture.md's lessons,
 * one of each behaviour of a real gateway (lagging positions, corrections, refused modifications, 1100, pacing,
 * late end markers), then second variants of the kinds.
 */
const COVERAGE: Array<{ make: MakerName; minFaults?: number }> = [
  { make: 'killExitManager' }, { make: 'emBeforeProtection' }, { make: 'hangDayTrader' }, { make: 'restart' }, { make: 'jump' },
  { make: 'positionLag' }, { make: 'corrections' }, { make: 'rejectModify' }, { make: 'ibLinkLoss' }, { make: 'historicalPacing' },
  { make: 'openOrdersTimeout' }, { make: 'dbLock' }, { make: 'idsBackwards' }, { make: 'replay' }, { make: 'positionsTimeout' },
  { make: 'manualOpen' }, { make: 'manualClose' }, { make: 'silenceShort' }, { make: 'drop' }, { make: 'reject' },
  { make: 'presetWarning' }, { make: 'dtAfterEntry' }, { make: 'silenceLong' }, { make: 'killSupervisor' }, { make: 'killReconciler' }, { make: 'emBetweenLegs' },
  { make: 'hangExitManager' }, { make: 'killDayTrader' }, { make: 'hangReconciler' }, { make: 'outage', minFaults: 60 },
];

/** The mix of the faults beyond the coverage set (relative weights). */
const WEIGHTS: Record<MakerName, number> = {
  killExitManager: 10, killDayTrader: 5.5, killReconciler: 3.3, killSupervisor: 3.3,
  emBeforeProtection: 3.2, emBetweenLegs: 2.4, dtAfterEntry: 2.4,
  hangDayTrader: 3.6, hangExitManager: 3.2, hangReconciler: 2.2,
  restart: 7, outage: 0, silenceShort: 4.2, silenceLong: 2.8, drop: 6, reject: 6, jump: 12, dbLock: 6,
  idsBackwards: 4, replay: 4, positionsTimeout: 4, manualOpen: 3, manualClose: 3,
  positionLag: 6, corrections: 5, rejectModify: 4, ibLinkLoss: 4, historicalPacing: 3, openOrdersTimeout: 4, presetWarning: 4,
};

/**
 * The seeded fault schedule: which faults, with which parameters, on which day and where in that day's
 * window. Same request, same schedule.
 */
export function buildSchedule(request: ScheduleRequest): ScheduledFault[] {
  const random = new SeededRandom(request.seed).fork('schedule');
  const { faults, limits } = request;
  const chosen: FaultSpec[] = [];
  for (const item of COVERAGE) {
    if (chosen.length >= faults) break;
    if (item.minFaults !== undefined && faults < item.minFaults) continue;
    chosen.push(makers[item.make](random, limits));
  }
  while (chosen.length < faults) chosen.push(makers[random.weighted(WEIGHTS)](random, limits));
  const order = random.shuffle(chosen);
  const perDay = splitByWeight(faults, request.dayWeights);
  const schedule: ScheduledFault[] = [];
  let next = 0;
  perDay.forEach((count, day) => {
    const times = Array.from({ length: count }, () => random.next() * LATEST_FAULT_AT).sort((a, b) => a - b);
    const dayFaults = times.map((at) => ({ index: 0, day, at: round4(at), spec: order[next++]! }));
    keepEntryCrashesEarly(dayFaults);
    schedule.push(...dayFaults);
  });
  schedule.forEach((fault, index) => (fault.index = index));
  return schedule;
}

/**
 * Faults wait for their effects one after the other, so the schedule slips by seconds as a day goes on; none
 * is placed in the last tenth of a window, where a little slip would push it past the window (into the EOD
 * flatten, where it is skipped on the last day).
 */
const LATEST_FAULT_AT = 0.9;

/**
 * Entries stop 30 minutes before the close: a crash point on the entry path (and the exit manager's, which
 * need a new position to protect now that positions bought by hand are left alone) must be armed while
 * entries still happen.
 */
const LATEST_ENTRY_CRASH_AT = 0.6;

function keepEntryCrashesEarly(dayFaults: ScheduledFault[]): void {
  const isEntryCrash = (f: ScheduledFault) => f.spec.kind === 'sigkill-in-flight';
  for (const late of dayFaults.filter((f) => isEntryCrash(f) && f.at > LATEST_ENTRY_CRASH_AT)) {
    const early = dayFaults.find((f) => f.at <= LATEST_ENTRY_CRASH_AT && !isEntryCrash(f));
    if (!early) continue;
    [early.spec, late.spec] = [late.spec, early.spec];
  }
}

/** Largest-remainder split of `total` into parts proportional to `weights`. */
export function splitByWeight(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((n, w) => n + w, 0);
  if (weights.length === 0 || sum <= 0) return [];
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((n, p) => n + p, 0);
  const byRemainder = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    parts[i]! += 1;
    left -= 1;
  }
  return parts;
}

export function describeFault(spec: FaultSpec): string {
  switch (spec.kind) {
    case 'sigkill': return `SIGKILL ${spec.app}`;
    case 'sigkill-in-flight': return `SIGKILL ${spec.app} at crash point ${spec.crashPoint}`;
    case 'sigstop': return `SIGSTOP ${spec.app} (hang)`;
    case 'gateway-restart': return `gateway restart, down ${spec.downMs} ms`;
    case 'gateway-outage': return `gateway outage ${spec.downMs} ms (broker-down alert expected)`;
    case 'gateway-silence': return `gateway silent ${spec.seconds} s (${spec.detectable ? 'beyond' : 'below'} the liveness timeout)`;
    case 'drop-connections': return 'all API connections dropped';
    case 'reject-orders': return `next ${spec.count} order(s) rejected`;
    case 'price-jump': return `price jump through the ${spec.through === 'stop' ? 'stop-loss' : 'take-profit'} of a held symbol`;
    case 'db-lock': return `DB write lock held ${spec.holdMs} ms by another process`;
    case 'ids-backwards': return `gateway restart (down ${spec.downMs} ms) with order ids going backwards`;
    case 'replay-executions': return `gateway restart (down ${spec.downMs} ms) replaying every execution`;
    case 'positions-timeout': return `next ${spec.count} positions quer${spec.count === 1 ? 'y' : 'ies'} answered ${spec.lateMs} ms late (after the timeout: a late end marker)${spec.forceResync ? ', connections dropped to force a resync' : ''}`;
    case 'open-orders-timeout': return `next ${spec.count} open-orders quer${spec.count === 1 ? 'y' : 'ies'} answered ${spec.lateMs} ms late (a late end marker)${spec.forceResync ? ', connections dropped to force a resync' : ''}`;
    case 'manual-open': return `position of ${spec.quantity} shares opened by hand outside the API (foreign: left alone)`;
    case 'manual-close': return 'a held position closed by hand outside the API';
    case 'position-lag': return `position reports ${spec.lag.minMs}-${spec.lag.maxMs} ms behind the fills for ${spec.holdMs} ms, with a price jump through a ${spec.through === 'stop' ? 'stop-loss' : 'take-profit'}`;
    case 'corrections': return `${Math.round(spec.probability * 100)} % of executions corrected for ${spec.holdMs} ms`;
    case 'reject-modify': return `next ${spec.count} modification(s) refused with IB ${spec.code}, after a partial sale by hand that makes the exit manager resize`;
    case 'ib-link-loss': return `IB link lost (1100, socket up, exchange frozen) for ${spec.lostMs} ms, then ${spec.restoreCode}`;
    case 'historical-pacing': return `next ${spec.count} historical data request(s) refused for pacing (IB 162)`;
    case 'preset-warning': return `next ${spec.count} new order(s) preceded by IB's informational 10349 (TIF from the order preset) before their acknowledgement`;
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
