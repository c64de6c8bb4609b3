import { IbBrokerAdapter } from '../../shared/broker/ib/ib-broker-adapter';
import type { ConnectInfo } from '../../shared/broker/types';
import type { ResolvedConfig } from '../../shared/config/schema';
import { errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import { check, type CheckResult } from './doctor-model';

/**
 * Order ids for the doctor's one possible order (--probe-order). In memory: the doctor keeps no state and
 * writes nothing to the bots' DB. IB wants an id above every id this client was shown by reqAllOpenOrders
 * (TWS API, "Placing orders"), so the open-orders check raises the floor.
 */
export class DoctorOrderIds {
  private last = 0;
  private floor = 0;

  reserve(_clientId: number, brokerNextValidId: number, count = 1): number {
    const first = Math.max(brokerNextValidId, this.floor, this.last + 1);
    this.last = first + count - 1;
    return first;
  }

  above(orderId: number): void {
    this.floor = Math.max(this.floor, orderId + 1);
  }
}

export type GatewayConnection =
  | { reachable: true; broker: IbBrokerAdapter; info: ConnectInfo; connectMs: number }
  | { reachable: false; reason: string };

/**
 * The doctor's own link, built like the bots' (createBroker) but WITHOUT the connect-time account check:
 * the bots refuse a wrong account outright, the doctor must still see which accounts the gateway manages
 * and say so (the account check below). It never places an order unless --probe-order asked for one.
 */
export async function connectGateway(config: ResolvedConfig, clientId: number, log: Logger, orderIds: DoctorOrderIds): Promise<GatewayConnection> {
  const broker = new IbBrokerAdapter({
    host: config.ib.host, port: config.ib.port, clientId, connectTimeoutMs: config.ib.connectTimeoutMs, requestTimeoutMs: config.ib.requestTimeoutMs,
    livenessIntervalMs: config.ib.livenessIntervalMs, livenessTimeoutMs: config.ib.livenessTimeoutMs, reconnectMaxDelayMs: config.ib.reconnectMaxDelayMs,
    maxRequestsPerSecond: config.mode === 'SIM' ? 200 : 45, marketDataType: config.marketData.type, log, orderIds,
  });
  const startedMs = Date.now();
  try {
    const info = await broker.connect();
    return { reachable: true, broker, info, connectMs: Date.now() - startedMs };
  } catch (error) {
    // Stops the adapter's reconnect loop: the doctor asks once.
    await broker.disconnect();
    return { reachable: false, reason: errorMessage(error) };
  }
}

/** The IB Gateway / TWS settings that decide whether a client can connect at all. */
export function connectionSettingsToCheck(config: ResolvedConfig): string[] {
  return [
    'IB Gateway or TWS is running and logged in (paper login for MODE=PAPER); a paper login shows a disclaimer that must be accepted before the API answers (IBC: AcceptNonBrokerageAccountWarning=yes)',
    'TWS: Global Configuration → API → Settings → "Enable ActiveX and Socket Clients" checked (IB Gateway has no such box: its API is always on)',
    `"Socket port" = ${config.ib.port} (IB_PORT; IB Gateway 4002 paper / 4001 live, TWS 7497 paper / 7496 live)`,
    `"Trusted IPs" contains 127.0.0.1 (or "Allow connections from localhost only" checked with the bots on the same machine; IB_HOST=${config.ib.host})`,
    'the "Accept incoming connection?" prompt was not refused (IBC: AcceptIncomingConnectionAction=accept, or a trusted IP so it never shows)',
  ];
}

export function gatewayCheck(config: ResolvedConfig, clientId: number, connection: GatewayConnection): CheckResult {
  const endpoint = `${config.ib.host}:${config.ib.port}`;
  if (connection.reachable) {
    return check('gateway', 'ok', `answered at ${endpoint} as client ${clientId} in ${connection.connectMs} ms`, {
      details: { endpoint, clientId, connectMs: connection.connectMs },
    });
  }
  const reason = connection.reason;
  const details = { endpoint, clientId, reason };
  if (/\b326\b/.test(reason)) {
    return check('gateway', 'fail', `the gateway at ${endpoint} refused client id ${clientId}: it is already in use (IB 326)`, {
      action: 'another doctor (or a process with CLIENT_ID_DOCTOR) is connected: wait for it, or set CLIENT_ID_DOCTOR to a free id', details,
    });
  }
  if (config.mode === 'SIM') {
    return check('gateway', 'fail', `nothing answered at ${endpoint} within ${config.ib.connectTimeoutMs} ms: ${reason}`, {
      action: `start the simulator: npm start (it starts sim-gateway on IB_PORT=${config.ib.port}), or npm run sim-gateway -- --port ${config.ib.port}; check IB_PORT`,
      details,
    });
  }
  return check('gateway', 'fail', `nothing answered at ${endpoint} within ${config.ib.connectTimeoutMs} ms: ${reason}`, {
    action: 'check these settings, in IB Gateway under Configure → Settings → API → Settings (TWS: Global Configuration → API → Settings), then run npm run doctor again:',
    lines: connectionSettingsToCheck(config),
    details,
  });
}

/** The link went down while the checks ran: what they could not ask is unknown, not fine. */
export function connectionLostCheck(config: ResolvedConfig, clientId: number, reasons: readonly string[]): CheckResult {
  const endpoint = `${config.ib.host}:${config.ib.port}`;
  const ibLost = reasons.some((r) => /\b1100\b/.test(r));
  return check('gateway', 'fail', `answered at ${endpoint} as client ${clientId}, then the link went down during the checks: ${reasons.join('; ')}`, {
    action: ibLost
      ? 'the gateway is up but has lost its connection to IB (1100): wait for 1101/1102 (IB Gateway / TWS shows it), then run npm run doctor again'
      : 'the gateway restarted or closed the connection (a daily restart, IBC, a crash): run npm run doctor again once it is back',
    details: { endpoint, clientId, lost: [...reasons] },
  });
}
