/**
 * What `npm run status` reports, as plain data. The collectors (PM2, broker, DB) fill the *Snapshot inputs;
 * assemble-status.ts turns them into one StatusReport; render-status.ts prints it, `--json` prints it as is.
 * The JSON keys are a contract for scripts: add keys, never rename or remove them.
 */
import type { BrokerOrder, BrokerPosition } from '../../shared/broker/types';
import type { ActivePosition, ClosedPosition, Heartbeat, HeartbeatState, PositionStatus, ReconciliationRun, TradingHalt } from '../../shared/db';
import type { OutboxCounts } from '../../shared/db/repositories/alert-outbox-counts';
import type { AuditEvent } from '../../shared/db/repositories/events-repository';
import type { FiredTrigger, Trigger } from '../../shared/schedule';
import type { MarketPhase } from '../../shared/time/trading-calendar';
import type { HostStatus } from './host-status';

/** The processes of the system under PM2, in the order the console lists them. */
export const SYSTEM_APPS = ['sim-gateway', 'exit-manager', 'day-trader', 'reconciler', 'supervisor'] as const;

// ---- inputs (what the collectors found) ----

export interface Pm2ProcessInfo {
  name: string;
  /** PM2's own word: online, stopping, stopped, launching, errored, one-launch-status. */
  status: string;
  pid: number | null;
  /** Real ms since PM2 (re)started it; null when not online. */
  uptimeMs: number | null;
  restarts: number;
  memoryBytes: number | null;
}

export type Pm2Snapshot =
  | { daemon: 'running'; pm2Home: string; processes: Pm2ProcessInfo[] }
  | { daemon: 'not_running'; pm2Home: string }
  | { daemon: 'unknown'; pm2Home: string; problem: string };

export type BrokerSnapshot =
  | {
      reachable: true;
      endpoint: string;
      clientId: number;
      accountId: string | null;
      netLiquidation: number | null;
      buyingPower: number | null;
      /** undefined: the positions query failed (unknown is not empty). */
      positions: BrokerPosition[] | undefined;
      /** Working orders of every client; undefined when the query failed. */
      openOrders: BrokerOrder[] | undefined;
      lastPrices: Record<string, number>;
      /** Queries that failed while connected (account summary, positions, orders). */
      problems: string[];
    }
  | { reachable: false; endpoint: string; clientId: number; problem: string };

export type DbProblemKind = 'missing' | 'locked' | 'corrupt' | 'read_only' | 'schema_too_new' | 'unreadable';

export interface DbProblem {
  kind: DbProblemKind;
  /** What is wrong and how to fix it, in one message. */
  message: string;
}

export type DbSnapshot =
  | {
      usable: true;
      path: string;
      heartbeats: Heartbeat[];
      activePositions: ActivePosition[];
      closedToday: ClosedPosition[];
      reconciliation: ReconciliationRun | undefined;
      recentTriggers: FiredTrigger[];
      problemEvents: AuditEvent[];
      /** The trading halt in force (undefined: none, or a DB from before halts existed). */
      halt: TradingHalt | undefined;
      /** The reconciler's last broker snapshot (`broker_positions`); undefined when the table does not exist yet. */
      brokerPositions: BrokerPositionRecord[] | undefined;
      /** The alerts outbox per channel; undefined when the DB predates it (schema 4). */
      alertsOutbox?: OutboxCounts;
    }
  | { usable: false; path: string; problem: DbProblem };

/** A `broker_positions` row: one instrument of the account, split into the bots' part and the rest. */
export interface BrokerPositionRecord {
  conId: number;
  account: string;
  symbol: string;
  secType: string;
  currency: string;
  description: string;
  quantity: number;
  averageCost: number;
  oursQuantity: number;
  foreignQuantity: number;
  /** ours | ignored | protected | adopted | not-tradable */
  handling: string;
  updatedAt: string;
}

export interface StatusInputs {
  nowRealMs: number;
  nowMarketMs: number;
  /** Market ms per real ms (the compressed clock's speed; 1 in real time). */
  clockSpeed: number;
  clockDescription: string;
  mode: string;
  exitManagerClientId: number;
  heartbeatStaleMs: number;
  /** Real ms a bot may take after its start to reach the broker before "connecting" becomes an alert. */
  startupGraceMs: number;
  /** FOREIGN_POSITIONS: what the bots do with a stock position they did not open (ignore, protect, adopt). */
  foreignPolicy?: 'ignore' | 'protect' | 'adopt';
  /** An OPEN position without protection for longer than this (real ms) is shouted about. */
  unprotectedAfterMs: number;
  /** The alert channels the configuration sets up (no secrets); absent: not known. */
  alertChannels?: ReadonlyArray<{ channel: string; description: string }>;
  nextTrigger: Trigger | undefined;
  pm2: Pm2Snapshot;
  broker: BrokerSnapshot;
  db: DbSnapshot;
}

// ---- output (the report) ----

export interface HeartbeatStatus {
  state: HeartbeatState;
  ageMs: number;
  stale: boolean;
  /** null when the app does not talk to the broker. */
  brokerConnected: boolean | null;
  brokerDownForMs: number | null;
  /**
   * up; connecting: not linked yet since the process started, within the startup grace (no alert);
   * never_linked: still not linked past the startup grace; down: the link was up and was lost. null: no broker.
   */
  brokerLink: 'up' | 'connecting' | 'never_linked' | 'down' | null;
  /** Real ms since the process started, while it is connecting or never linked. */
  connectingForMs: number | null;
  /** Exit manager only: it verified protection on complete snapshots and is watching. */
  protecting: boolean | null;
  /** Day-trader only: the market data it gets, from its heartbeat detail (unknown when it does not say). */
  marketData: { type: 'live' | 'delayed' | 'unavailable' | 'unknown'; reason: string | null } | null;
}

export interface AppStatus {
  name: string;
  /** PM2's status, or 'not running' when PM2 does not know the app (or PM2 itself is not running). */
  pm2Status: string;
  pid: number | null;
  uptimeMs: number | null;
  restarts: number | null;
  memoryBytes: number | null;
  heartbeat: HeartbeatStatus | null;
}

export type ProtectionState =
  /** Stop and target are working at the broker. */
  | 'PROTECTED'
  /** The DB says protected; the broker's orders could not be checked. */
  | 'PROTECTED_UNVERIFIED'
  /** The DB says protected but the broker has no working stop or target for it. */
  | 'PROTECTION_MISSING'
  /** OPEN (or a broker position unknown to the DB) with no protection beyond the grace period. */
  | 'UNPROTECTED'
  /** Filled moments ago: the exit manager is expected to protect it now. */
  | 'AWAITING_PROTECTION'
  | 'PENDING_ENTRY'
  | 'CLOSING'
  /** The DB holds shares the broker does not: nothing to protect, a discrepancy for the reconciler. */
  | 'FLAT_AT_BROKER';

export interface PositionLine {
  symbol: string;
  positionId: string | null;
  /** 'broker_only': held at the broker, unknown to the DB (opened by hand, or the DB was lost). */
  source: 'db' | 'db_and_broker' | 'broker_only';
  status: PositionStatus | 'UNTRACKED';
  quantity: number;
  /** null when the broker was not asked (unreachable) or the query failed. */
  brokerQuantity: number | null;
  entryPrice: number | null;
  lastPrice: number | null;
  unrealizedPnl: number | null;
  stopLossPrice: number | null;
  profitTargetPrice: number | null;
  stopOrderId: number | null;
  targetOrderId: number | null;
  protection: ProtectionState;
  /** Real ms the position has been without protection (UNPROTECTED / AWAITING_PROTECTION). */
  unprotectedForMs: number | null;
  agentName: string | null;
  entryTime: string | null;
}

export interface ClosedLine {
  symbol: string;
  positionId: string;
  quantity: number;
  entryPrice: number | null;
  exitPrice: number;
  exitReason: string;
  realizedPnl: number;
  profitLossPct: number | null;
  closedAt: string;
}

/** A broker position that is not the bots' (bought by hand, held long, not a USD stock), as the reconciler last saw it. */
export interface ForeignPositionLine {
  conId: number;
  account: string;
  symbol: string;
  secType: string;
  currency: string;
  description: string;
  quantity: number;
  averageCost: number;
  oursQuantity: number;
  foreignQuantity: number;
  handling: string;
  updatedAt: string;
}

export interface HaltStatus {
  reason: string;
  setBy: string;
  /** Market time (ISO) and its New York wall time. */
  setAt: string;
  setAtNewYork: string;
  /** Real time, epoch ms. */
  setAtMs: number;
  detail: Record<string, unknown>;
}

export interface StatusReport {
  generatedAt: string;
  mode: string;
  /** The trading halt in force (no entries, no protection changes, no exits by the bots), or null. */
  halt: HaltStatus | null;
  market: { time: string; newYorkTime: string; phase: MarketPhase; tradingDay: string; clock: string };
  processes: { pm2: Pm2Snapshot['daemon']; pm2Home: string; pm2Problem: string | null; apps: AppStatus[] };
  broker: {
    reachable: boolean;
    endpoint: string;
    clientId: number;
    problem: string | null;
    accountId: string | null;
    netLiquidation: number | null;
    buyingPower: number | null;
    positionsKnown: boolean;
    problems: string[];
  };
  database: { path: string; usable: boolean; problemKind: DbProblemKind | null; problem: string | null };
  positions: PositionLine[];
  /** Broker positions that are not the bots' (from the reconciler's broker_positions); [] when unknown. */
  foreignPositions: ForeignPositionLine[];
  closedToday: ClosedLine[];
  pnl: { realized: number | null; unrealized: number | null; total: number | null; unrealizedComplete: boolean };
  reconciliation: {
    runAt: string;
    trigger: string;
    status: string;
    symbols: number;
    discrepancies: number;
    repaired: number;
    flagged: number;
    error: string | null;
  } | null;
  schedule: {
    recent: Array<{ key: string; kind: string; dueAt: string; firedAt: string; status: string }>;
    next: { key: string; kind: string; dueAt: string; newYorkTime: string } | null;
  };
  events: Array<{ at: string; app: string; level: string; event: string; symbol: string | null; data: Record<string, unknown> }>;
  /** Everything an operator must look at now, most urgent first. */
  alerts: string[];
  /**
   * The alerts outbox and the notifier that delivers it (email, Slack, webhook): per channel what waits, what
   * went, what failed or was held back, and the channel's health. null when the DB cannot be read or predates it.
   */
  alertsOutbox: AlertsOutboxStatus | null;
  /** Disk, clock and log budget as the supervisor last checked them (scripts/status/host-status.ts); null when it has not said. */
  host?: HostStatus | null;
}

export interface AlertChannelStatus {
  channel: string;
  /** Where it sends (no secrets); null for a channel with deliveries that is no longer configured. */
  description: string | null;
  configured: boolean;
  /** Waiting for their first send, a retry, or the end of quiet hours or a group window. */
  pending: number;
  delivered: number;
  failed: number;
  /** Repeats of an unresolved condition held back (throttled). */
  heldBack: number;
  dropped: number;
  oldestPendingAgeMs: number | null;
  /** ok; failing: the last send failed; rate_limited: the receiver asked to wait; idle: nothing sent yet. */
  state: 'ok' | 'failing' | 'rate_limited' | 'idle';
  consecutiveFailures: number;
  failingForMs: number | null;
  lastError: string | null;
  lastDeliveryAgeMs: number | null;
  retryInMs: number | null;
}

export interface AlertsOutboxStatus {
  /** From the notifier's heartbeat: running, stale (hung or dead), not_running (never seen, or stopped). */
  notifier: 'running' | 'stale' | 'not_running';
  /** Alerts the notifier has not picked up yet. */
  unrouted: number;
  oldestUnroutedAgeMs: number | null;
  channels: AlertChannelStatus[];
}
