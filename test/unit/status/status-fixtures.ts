import type { BrokerOrder, BrokerPosition } from '../../../shared/broker/types';
import { asOrderId } from '../../../shared/broker/types';
import type { ActivePosition, ClosedPosition, Heartbeat } from '../../../shared/db';
import type { BrokerSnapshot, DbSnapshot, StatusInputs } from '../../../scripts/status/status-model';

/** Hand-made inputs for the pure status modules: a quiet morning that each test bends one way. */
export const NOW_REAL_MS = Date.parse('2026-11-23T15:00:00Z');
/** 10:15 New York, regular session. */
export const NOW_MARKET_MS = Date.parse('2026-11-23T15:15:00Z');
export const EXIT_MANAGER_CLIENT_ID = 12;

export function position(overrides: Partial<ActivePosition> = {}): ActivePosition {
  // Asserted, not annotated: the row type grows (conId, entry bookkeeping) while this fixture keeps working.
  return {
    id: 'P-20261123-AAPL-aaaaaa', symbol: 'AAPL', quantity: 100, entryPrice: 50, entryTimestamp: '2026-11-23T15:00:00.000Z', agentName: 'gap-momentum',
    profitTargetPrice: null, stopLossPrice: null, status: 'OPEN', tradingDay: '2026-11-23', entryOrderRef: 'P-20261123-AAPL-aaaaaa', entryOrderId: 7,
    requestedQuantity: 100, ocaGroup: null, stopOrderId: null, targetOrderId: null, protectedQuantity: 0, exitReason: null,
    claimedAt: '2026-11-23T14:59:59.000Z', lastUpdated: '2026-11-23T15:00:00.000Z', metadata: {}, conId: null, entryReported: 100, entryBooked: 100,
    entryWorking: false, ...overrides,
  } as ActivePosition;
}

export function protectedPosition(overrides: Partial<ActivePosition> = {}): ActivePosition {
  return position({ status: 'PROTECTED', stopLossPrice: 49.5, profitTargetPrice: 50.9, stopOrderId: 21, targetOrderId: 22, ocaGroup: 'P-20261123-AAPL-aaaaaa:OCA:1', protectedQuantity: 100, ...overrides });
}

/** A broker position as the adapter reports it: a US stock in USD unless told otherwise. */
export function brokerPosition(symbol: string, quantity: number, averageCost: number, overrides: Partial<BrokerPosition> = {}): BrokerPosition {
  return { account: 'DU1', conId: 0, symbol, secType: 'STK', currency: 'USD', description: symbol, quantity, averageCost, ...overrides };
}

export function order(overrides: Partial<BrokerOrder> = {}): BrokerOrder {
  return {
    orderId: asOrderId(21), clientId: EXIT_MANAGER_CLIENT_ID, permId: 1001, orderRef: 'P-20261123-AAPL-aaaaaa:SL:1', symbol: 'AAPL', side: 'SELL', type: 'STP',
    quantity: 100, stopPrice: 49.5, status: 'Submitted', filledQuantity: 0, remainingQuantity: 100, ...overrides,
  };
}

export function protectionOrders(): BrokerOrder[] {
  return [
    order(),
    order({ orderId: asOrderId(22), permId: 1002, orderRef: 'P-20261123-AAPL-aaaaaa:TP:1', type: 'LMT', stopPrice: undefined, limitPrice: 50.9 }),
  ];
}

export function closed(overrides: Partial<ClosedPosition> = {}): ClosedPosition {
  return {
    id: 1, symbol: 'MSFT', closeDate: '2026-11-23', positionId: 'P-20261123-MSFT-bbbbbb', quantity: 10, entryPrice: 100, exitPrice: 102, exitReason: 'PROFIT_TARGET',
    profitLossPct: 2, realizedPnl: 18, commission: 2, agentName: 'gap-momentum', entryTimestamp: '2026-11-23T14:40:00.000Z', timestamp: '2026-11-23T15:05:00.000Z',
    ...overrides,
  };
}

export function heartbeat(app: string, overrides: Partial<Heartbeat> = {}): Heartbeat {
  return {
    app, pid: 100, state: 'ready', beatAtMs: NOW_REAL_MS - 400, startedAtMs: NOW_REAL_MS - 3_600_000, readyAtMs: NOW_REAL_MS - 3_590_000, progressAtMs: NOW_REAL_MS - 500,
    loopLagMs: 2, brokerConnected: true, brokerDownSinceMs: null, detail: app === 'exit-manager' ? { protecting: true } : {}, ...overrides,
  };
}

export function usableDb(overrides: Partial<Extract<DbSnapshot, { usable: true }>> = {}): DbSnapshot {
  return {
    usable: true, path: '/data/trading.db', heartbeats: [heartbeat('exit-manager'), heartbeat('day-trader'), heartbeat('reconciler'), heartbeat('supervisor', { brokerConnected: null })],
    activePositions: [], closedToday: [], reconciliation: undefined, recentTriggers: [], problemEvents: [], halt: undefined, brokerPositions: undefined, ...overrides,
  };
}

export function reachableBroker(overrides: Partial<Extract<BrokerSnapshot, { reachable: true }>> = {}): BrokerSnapshot {
  return {
    reachable: true, endpoint: '127.0.0.1:4300', clientId: 18, accountId: 'DU1000001', netLiquidation: 100_000, buyingPower: 400_000, positions: [], openOrders: [],
    lastPrices: {}, problems: [], ...overrides,
  };
}

export function inputs(overrides: Partial<StatusInputs> = {}): StatusInputs {
  return {
    nowRealMs: NOW_REAL_MS, nowMarketMs: NOW_MARKET_MS, clockSpeed: 1, clockDescription: 'system clock (real time)', mode: 'SIM',
    exitManagerClientId: EXIT_MANAGER_CLIENT_ID, heartbeatStaleMs: 3_000, startupGraceMs: 8_000, unprotectedAfterMs: 5_000, nextTrigger: undefined,
    pm2: {
      daemon: 'running', pm2Home: '/home/me/.pm2',
      processes: ['sim-gateway', 'exit-manager', 'day-trader', 'reconciler', 'supervisor'].map((name, i) => ({
        name, status: 'online', pid: 1000 + i, uptimeMs: 3_600_000, restarts: 0, memoryBytes: 60 * 1024 * 1024,
      })),
    },
    broker: reachableBroker(),
    db: usableDb(),
    ...overrides,
  };
}
