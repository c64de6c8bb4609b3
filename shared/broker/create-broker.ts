import { accountProblemForMode } from '../config/safety';
import type { ResolvedConfig } from '../config/schema';
import type { Logger } from '../log/logger';
import type { HeartbeatPublisher } from '../process/heartbeat-publisher';
import { IbBrokerAdapter } from './ib/ib-broker-adapter';
import { marketDataReason } from './market-data-reason';
import type { BrokerPort, ConnectionEvent } from './types';
import { rejectionContradictedAlert } from '../alerts/broker-alerts';
import type { AlertDraft } from '../alerts/alert-types';
import type { AuditFact } from '../db/repositories/alerts-outbox-repository';
import { errorMessage } from '../errors/errors';

export interface CreateBrokerOptions {
  config: ResolvedConfig;
  clientId: number;
  log: Logger;
  orderIds: { reserve(clientId: number, brokerNextValidId: number, count?: number): number };
  heartbeat?: HeartbeatPublisher;
  /** The process's name in the alert (day-trader, exit-manager...). */
  app?: string;
  /** Where a broker contradiction is recorded (events row + alert): the bots pass their alerts outbox. */
  alerts?: ContradictionRecorder;
}

/** The part of the alerts outbox a broker needs. */
export interface ContradictionRecorder {
  recordEventWithAlert(fact: AuditFact, drafts: AlertDraft): boolean;
}

/**
 * The one way a process gets its broker: the IB adapter with the configured host, port and FIXED client id,
 * the persisted order-id high-water mark, the mode/account check, and the heartbeat kept informed of the
 * link so the supervisor can report "broker down for N seconds" loudly.
 */
export function createBroker(options: CreateBrokerOptions): BrokerPort {
  const { config } = options;
  const broker = new IbBrokerAdapter({
    host: config.ib.host,
    port: config.ib.port,
    clientId: options.clientId,
    connectTimeoutMs: config.ib.connectTimeoutMs,
    requestTimeoutMs: config.ib.requestTimeoutMs,
    livenessIntervalMs: config.ib.livenessIntervalMs,
    livenessTimeoutMs: config.ib.livenessTimeoutMs,
    reconnectMaxDelayMs: config.ib.reconnectMaxDelayMs,
    maxRequestsPerSecond: config.mode === 'SIM' ? 200 : 45,
    marketDataType: config.marketData.type,
    log: options.log,
    orderIds: options.orderIds,
    verifyAccounts: (accounts) => accountProblemForMode(config.mode, config.ib.account, accounts),
  });
  if (options.heartbeat) {
    const heartbeat = options.heartbeat;
    heartbeat.setBrokerConnected(false);
    // "connecting" (never linked since this process started) reads differently from "link lost" in status.
    heartbeat.setDetail({ brokerLinkedOnce: false });
    broker.onConnectionEvent((event) => {
      if (event.kind === 'connected') {
        heartbeat.setBrokerConnected(true);
        heartbeat.setDetail({ brokerLinkedOnce: true });
      }
      if (event.kind === 'disconnected') heartbeat.setBrokerConnected(false);
      if (event.kind === 'market_data') heartbeat.setDetail({ marketData: { type: event.state, code: event.code, reason: marketDataReason(event.code, event.message) } });
      if (event.kind === 'notice' && (event.code === 1100 || event.code === 2103 || event.code === 2105)) options.log.warn('broker_notice', { code: event.code, message: event.message });
      if (event.kind === 'notice' && (event.code === 1101 || event.code === 1102)) options.log.info('broker_notice', { code: event.code, message: event.message });
    });
  }
  if (options.alerts) recordRejectionContradictions(broker, options.alerts, options.log, options.app ?? `client-${options.clientId}`);
  return broker;
}

/**
 * An order the adapter reported rejected that the broker then works or fills (an informational code it did
 * not know) becomes an `events` row and a critical alert, not only a log line: the operator must look.
 */
export function recordRejectionContradictions(broker: Pick<BrokerPort, 'onConnectionEvent'>, alerts: ContradictionRecorder, log: Logger, app: string): void {
  broker.onConnectionEvent((event: ConnectionEvent) => {
    if (event.kind !== 'rejection_contradicted') return;
    const { kind: _kind, ...fields } = event;
    try {
      alerts.recordEventWithAlert({ event: 'order_rejection_contradicted', data: { ...fields }, symbol: event.symbol, level: 'error' },
        rejectionContradictedAlert({ ...fields, orderId: Number(event.orderId), app }));
    } catch (error) {
      log.warn('event_not_recorded', { event: 'order_rejection_contradicted', error: errorMessage(error), what: 'the log line order_rejection_contradicted is the record' });
    }
  });
}
