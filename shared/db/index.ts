import type Database from 'better-sqlite3';
import type { Clock } from '../time/clock';
import { ActivePositionsRepository } from './repositories/active-positions-repository';
import { ClosedPositionsRepository } from './repositories/closed-positions-repository';
import { EventsRepository } from './repositories/events-repository';
import { HeartbeatsRepository } from './repositories/heartbeats-repository';
import { OrderIdHighWater } from './repositories/order-id-high-water';
import { OrdersRepository } from './repositories/orders-repository';
import { PipelineRepository } from './repositories/pipeline-repository';
import { PositionLedger } from './repositories/position-ledger';
import { ReconciliationLogRepository } from './repositories/reconciliation-log-repository';
import { TradesRepository } from './repositories/trades-repository';
import { TradingHaltsRepository } from './repositories/trading-halts-repository';
import { BrokerPositionsRepository } from './repositories/broker-positions-repository';
import { AlertsOutboxRepository } from './repositories/alerts-outbox-repository';
import { DEFAULT_ALERT_THRESHOLDS, type AlertThresholds } from '../alerts/alert-types';

export { openDatabase, integrityCheck, schemaVersion, type Db } from './open-database';
export { DbLockBreaker, type DbLockBreakerOptions, type DbLockChange } from './db-lock-breaker';
export { deferCheckpoints, walBacklogPages, WalCheckpointer } from './wal-checkpointer';
export { mapDbError, isBusyError } from './db-errors';
export * from './types';
export * from './ids';
export { ActivePositionsRepository, type ClaimRequest, type ClaimResult } from './repositories/active-positions-repository';
export { ClosedPositionsRepository } from './repositories/closed-positions-repository';
export { PositionLedger, type EntryFillResult, type ExitResult } from './repositories/position-ledger';
export { TradesRepository, type TradeRow } from './repositories/trades-repository';
export { OrdersRepository, type OrderRecord, type OrderRecordStatus, type OrderPurpose, TERMINAL_ORDER_STATUSES } from './repositories/orders-repository';
export { OrderIdHighWater } from './repositories/order-id-high-water';
export { HeartbeatsRepository, type Heartbeat, type HeartbeatState } from './repositories/heartbeats-repository';
export { EventsRepository } from './repositories/events-repository';
export { PipelineRepository, type SignalRecord } from './repositories/pipeline-repository';
export { ReconciliationLogRepository, type ReconciliationRun, type ReconciliationStatus } from './repositories/reconciliation-log-repository';
export { BrokerPositionsRepository, type BrokerPositionRow, type PositionHandling } from './repositories/broker-positions-repository';
export { PortfolioSnapshotsRepository, hasPortfolioSnapshots, type PortfolioSnapshot, type StoredPositionSnapshot, type EquityPoint, type SnapshotDay, type HighWaterMark } from './repositories/portfolio-snapshots-repository';
export { DbChangeProbe } from './repositories/db-change-probe';
export { TradingHaltsRepository, type TradingHalt } from './repositories/trading-halts-repository';
export { AlertsOutboxRepository, type ListedAlert, type AuditFact } from './repositories/alerts-outbox-repository';
export { AlertDeliveriesRepository, type ClaimedMessage, type NextMessage, type SendOutcome, type ChannelHealth, type OutboxCounts, type RouteDecision } from './repositories/alert-deliveries-repository';
export { AlertOutboxCounts, type ChannelCounts } from './repositories/alert-outbox-counts';
export { executionBase, executionVersion } from './execution-ids';
export { syncActivePositions, type SyncResult, type BrokerPositionSnapshotRow, type PositionDifference } from './repositories/sync-active-positions';

/** Every repository over one connection, for an app's context. */
export interface Repositories {
  positions: ActivePositionsRepository;
  closed: ClosedPositionsRepository;
  ledger: PositionLedger;
  trades: TradesRepository;
  orders: OrdersRepository;
  orderIds: OrderIdHighWater;
  heartbeats: HeartbeatsRepository;
  events: EventsRepository;
  pipeline: PipelineRepository;
  reconciliation: ReconciliationLogRepository;
  halts: TradingHaltsRepository;
  brokerPositions: BrokerPositionsRepository;
  /** The alerts outbox (created on first use: a read-only DB of an older schema has no table for it). */
  readonly alerts: AlertsOutboxRepository;
}

export interface RepositoryOptions {
  /** Money thresholds of the alerts a close makes (config `alerts.thresholds`); default: the schema's defaults. */
  alertThresholds?: AlertThresholds;
}

export function createRepositories(db: Database.Database, clock: Clock, app: string, options: RepositoryOptions = {}): Repositories {
  const alertThresholds = options.alertThresholds ?? DEFAULT_ALERT_THRESHOLDS;
  let alerts: AlertsOutboxRepository | undefined;
  return {
    positions: new ActivePositionsRepository(db, clock),
    closed: new ClosedPositionsRepository(db, clock),
    ledger: new PositionLedger(db, clock, app, alertThresholds),
    trades: new TradesRepository(db),
    orders: new OrdersRepository(db, clock),
    orderIds: new OrderIdHighWater(db, clock),
    heartbeats: new HeartbeatsRepository(db),
    events: new EventsRepository(db, clock),
    pipeline: new PipelineRepository(db, clock),
    reconciliation: new ReconciliationLogRepository(db, clock, app),
    halts: new TradingHaltsRepository(db, clock, app),
    brokerPositions: new BrokerPositionsRepository(db, clock),
    get alerts() {
      alerts ??= new AlertsOutboxRepository(db, clock, app, alertThresholds);
      return alerts;
    },
  };
}
