import { assembleStatus } from '../../../scripts/status/assemble-status';
import { EXIT_MANAGER_CLIENT_ID, brokerPosition, closed, heartbeat, inputs, NOW_MARKET_MS, NOW_REAL_MS, position, protectedPosition, protectionOrders, reachableBroker, usableDb } from './status-fixtures';

const oldFill = new Date(NOW_MARKET_MS - 60_000).toISOString();

describe('assembleStatus', () => {
  it('merges DB rows with broker quantities and prices into positions with unrealized P&L, and day P&L', () => {
    const report = assembleStatus(inputs({
      db: usableDb({
        activePositions: [protectedPosition(), position({ id: 'P-20261123-TSLA-cccccc', symbol: 'TSLA', quantity: -20, entryPrice: 200, entryTimestamp: oldFill })],
        closedToday: [closed(), closed({ symbol: 'NVDA', realizedPnl: -5 })],
      }),
      broker: reachableBroker({
        positions: [brokerPosition('AAPL', 100, 50.01), brokerPosition('TSLA', -20, 200)],
        openOrders: protectionOrders(),
        lastPrices: { AAPL: 51, TSLA: 195 },
      }),
    }));
    const [aapl, tsla] = report.positions;
    expect(aapl).toMatchObject({ symbol: 'AAPL', source: 'db_and_broker', quantity: 100, brokerQuantity: 100, entryPrice: 50, lastPrice: 51, unrealizedPnl: 100, protection: 'PROTECTED', stopOrderId: 21, targetOrderId: 22 });
    // Short: (195 − 200) × −20 = +100.
    expect(tsla).toMatchObject({ symbol: 'TSLA', unrealizedPnl: 100, protection: 'UNPROTECTED' });
    expect(report.pnl).toEqual({ realized: 13, unrealized: 200, total: 213, unrealizedComplete: true });
    expect(report.alerts).toEqual([expect.stringMatching(/^UNPROTECTED: TSLA -20 has been OPEN for 1 m 00 s/)]);
    expect(report.market).toMatchObject({ phase: 'REGULAR', tradingDay: '2026-11-23', newYorkTime: '2026-11-23 10:15:00' });
  });

  it('lists broker positions the DB does not know, and shouts when they have no stop', () => {
    const report = assembleStatus(inputs({
      broker: reachableBroker({ positions: [brokerPosition('GME', 30, 20)], lastPrices: { GME: 21 } }),
    }));
    expect(report.positions).toEqual([expect.objectContaining({ symbol: 'GME', source: 'broker_only', status: 'UNTRACKED', positionId: null, brokerQuantity: 30, unrealizedPnl: 30, protection: 'UNPROTECTED' })]);
    expect(report.alerts[0]).toMatch(/^UNPROTECTED: GME \+30 is held at the broker, unknown to the DB/);
  });

  it('flags quantities that differ between the DB and the broker, and rows the broker does not hold', () => {
    const report = assembleStatus(inputs({
      db: usableDb({ activePositions: [protectedPosition({ quantity: 100 }), position({ id: 'P-20261123-IBM-dddddd', symbol: 'IBM', quantity: 5 })] }),
      broker: reachableBroker({ positions: [brokerPosition('AAPL', 60, 50)], openOrders: protectionOrders() }),
    }));
    expect(report.positions.find((p) => p.symbol === 'IBM')).toMatchObject({ brokerQuantity: 0, protection: 'FLAT_AT_BROKER', source: 'db' });
    expect(report.alerts).toEqual([
      'MISMATCH: AAPL DB +100 vs broker +60 (the reconciler repairs or flags it)',
      'MISMATCH: IBM DB +5 vs broker 0 (the reconciler repairs or flags it)',
    ]);
  });

  it('keeps DB data when the broker is unreachable, with unknown live values left null, never zero', () => {
    const report = assembleStatus(inputs({
      db: usableDb({ activePositions: [protectedPosition()], closedToday: [closed()] }),
      broker: { reachable: false, endpoint: '127.0.0.1:4300', clientId: 18, problem: 'gateway at 127.0.0.1:4300 is not answering: ECONNREFUSED' },
    }));
    expect(report.broker).toMatchObject({ reachable: false, problem: 'gateway at 127.0.0.1:4300 is not answering: ECONNREFUSED', accountId: null, positionsKnown: false });
    expect(report.positions).toEqual([expect.objectContaining({ symbol: 'AAPL', brokerQuantity: null, lastPrice: null, unrealizedPnl: null, protection: 'PROTECTED_UNVERIFIED' })]);
    expect(report.pnl).toEqual({ realized: 18, unrealized: null, total: null, unrealizedComplete: false });
    expect(report.alerts).toContain('broker: gateway at 127.0.0.1:4300 is not answering');
  });

  it('with the DB unusable reports the problem, no heartbeats and no realized P&L, and the broker positions it still knows', () => {
    const report = assembleStatus(inputs({
      db: { usable: false, path: '/data/trading.db', problem: { kind: 'locked', message: 'database /data/trading.db stayed locked ...' } },
      broker: reachableBroker({ positions: [brokerPosition('AAPL', 100, 50)], openOrders: protectionOrders(), lastPrices: { AAPL: 49 } }),
    }));
    expect(report.database).toEqual({ path: '/data/trading.db', usable: false, problemKind: 'locked', problem: 'database /data/trading.db stayed locked ...' });
    expect(report.processes.apps.every((a) => a.heartbeat === null)).toBe(true);
    expect(report.positions).toEqual([expect.objectContaining({ symbol: 'AAPL', source: 'broker_only', protection: 'PROTECTED', unrealizedPnl: -100 })]);
    expect(report.pnl).toEqual({ realized: null, unrealized: -100, total: null, unrealizedComplete: true });
    expect(report.closedToday).toEqual([]);
    expect(report.alerts).toContain('database cannot be read (locked): /data/trading.db');
  });

  it('says nothing about P&L when neither the DB nor the broker can tell which positions exist', () => {
    const report = assembleStatus(inputs({
      db: { usable: false, path: '/x.db', problem: { kind: 'missing', message: 'no database at /x.db' } },
      broker: { reachable: false, endpoint: '127.0.0.1:4300', clientId: 18, problem: 'down' },
      pm2: { daemon: 'not_running', pm2Home: '/tmp/pm2' },
    }));
    expect(report.pnl).toEqual({ realized: null, unrealized: null, total: null, unrealizedComplete: false });
    // PM2 down and no DB: nobody can tell whether the exit manager runs, so nothing is claimed about it.
    expect(report.alerts.some((a) => a.includes('exit-manager'))).toBe(false);
  });

  it('lists every system app with PM2 state and heartbeat: age, staleness, broker link, protecting', () => {
    const base = inputs();
    const report = assembleStatus(inputs({
      pm2: base.pm2.daemon === 'running'
        ? { ...base.pm2, processes: [...base.pm2.processes.filter((p) => p.name !== 'reconciler'), { name: 'reconciler', status: 'errored', pid: null, uptimeMs: null, restarts: 15, memoryBytes: null }, { name: 'my-extra', status: 'online', pid: 9, uptimeMs: 1, restarts: 0, memoryBytes: 1 }] }
        : base.pm2,
      db: usableDb({
        heartbeats: [
          heartbeat('exit-manager', { detail: { protecting: false } }),
          heartbeat('day-trader', { beatAtMs: NOW_REAL_MS - 10_000 }),
          heartbeat('supervisor', { brokerConnected: false, brokerDownSinceMs: NOW_REAL_MS - 45_000 }),
        ],
      }),
    }));
    expect(report.processes.apps.map((a) => a.name)).toEqual(['sim-gateway', 'exit-manager', 'day-trader', 'reconciler', 'supervisor', 'my-extra']);
    const app = (name: string) => report.processes.apps.find((a) => a.name === name)!;
    expect(app('exit-manager')).toMatchObject({ pm2Status: 'online', pid: 1001, restarts: 0, heartbeat: { state: 'ready', ageMs: 400, stale: false, protecting: false, brokerConnected: true } });
    expect(app('day-trader').heartbeat).toMatchObject({ ageMs: 10_000, stale: true, protecting: null });
    expect(app('supervisor').heartbeat).toMatchObject({ brokerConnected: false, brokerDownForMs: 45_000 });
    expect(app('sim-gateway').heartbeat).toBeNull();
    expect(report.alerts).toEqual([
      'exit-manager is running but NOT protecting (no complete broker snapshot yet, or its broker link is down)',
      'day-trader heartbeat is 10 s old (state ready): hung or dead; the supervisor restarts it',
      'reconciler is errored in PM2 (restarts: 15): pm2 logs reconciler',
      'supervisor has had no broker link for 45 s',
    ]);
  });

  it('warns loudly that nothing watches open positions when the exit manager is down', () => {
    const exposed = { activePositions: [protectedPosition()] };
    const broker = reachableBroker({ positions: [brokerPosition('AAPL', 100, 50)], openOrders: protectionOrders() });
    const base = inputs({ broker });
    const stoppedInPm2 = assembleStatus(inputs({
      broker,
      db: usableDb(exposed),
      pm2: base.pm2.daemon === 'running' ? { ...base.pm2, processes: base.pm2.processes.map((p) => (p.name === 'exit-manager' ? { ...p, status: 'stopped', pid: null } : p)) } : base.pm2,
    }));
    expect(stoppedInPm2.alerts[0]).toBe('exit-manager is not running (PM2: stopped): open positions rely on broker-side orders only, nothing trails or closes them');

    const noPm2 = assembleStatus(inputs({ broker, pm2: { daemon: 'not_running', pm2Home: '/tmp/pm2' }, db: usableDb({ ...exposed, heartbeats: [heartbeat('exit-manager', { state: 'stopped', beatAtMs: NOW_REAL_MS - 90_000 })] }) }));
    expect(noPm2.alerts[0]).toBe('exit-manager is not running (last heartbeat 1 m 30 s ago, stopped): open positions rely on broker-side orders only, nothing trails or closes them');
    expect(stoppedInPm2.alerts).toHaveLength(1);

    const flatAccount = assembleStatus(inputs({ pm2: { daemon: 'not_running', pm2Home: '/tmp/pm2' }, db: usableDb({ heartbeats: [] }) }));
    expect(flatAccount.alerts).toEqual([]);
  });

  it('carries the reconciliation, schedule and events, and flags a FLAGGED reconciliation', () => {
    const report = assembleStatus(inputs({
      db: usableDb({
        reconciliation: { id: 3, runAt: '2026-11-23T15:10:00.000Z', tradingDay: '2026-11-23', trigger: 'interval', status: 'FLAGGED', symbols: 4, discrepancies: 2, repaired: 1, flagged: 1, unrealizedPnl: null, details: [], error: null },
        recentTriggers: [{ key: '2026-11-23:scan:09:35', kind: 'SCAN', tradingDay: '2026-11-23', dueAt: '2026-11-23T14:35:00.000Z', firedAt: '2026-11-23T14:35:01.000Z', status: 'DONE', detail: {} }],
        problemEvents: [{ id: 9, at: '2026-11-23T15:01:00.000Z', app: 'exit-manager', event: 'protection_rejected', level: 'error', symbol: 'AAPL', data: { code: 201 } }],
      }),
      nextTrigger: { key: '2026-11-23:scan:12:00', kind: 'SCAN', tradingDay: '2026-11-23', dueAtMs: Date.parse('2026-11-23T17:00:00Z'), scanTime: '12:00' },
    }));
    expect(report.reconciliation).toEqual({ runAt: '2026-11-23T15:10:00.000Z', trigger: 'interval', status: 'FLAGGED', symbols: 4, discrepancies: 2, repaired: 1, flagged: 1, error: null });
    expect(report.schedule).toEqual({
      recent: [{ key: '2026-11-23:scan:09:35', kind: 'SCAN', dueAt: '2026-11-23T14:35:00.000Z', firedAt: '2026-11-23T14:35:01.000Z', status: 'DONE' }],
      next: { key: '2026-11-23:scan:12:00', kind: 'SCAN', dueAt: '2026-11-23T17:00:00.000Z', newYorkTime: '2026-11-23 12:00' },
    });
    expect(report.events).toEqual([{ at: '2026-11-23T15:01:00.000Z', app: 'exit-manager', level: 'error', event: 'protection_rejected', symbol: 'AAPL', data: { code: 201 } }]);
    expect(report.alerts).toEqual(['last reconciliation FLAGGED at 2026-11-23T15:10:00.000Z: 1 flagged']);
  });

  it('produces JSON with the same top-level keys whatever is down', () => {
    const keys = Object.keys(assembleStatus(inputs())).sort();
    const allDown = assembleStatus(inputs({
      db: { usable: false, path: '/x.db', problem: { kind: 'corrupt', message: 'corrupt' } },
      broker: { reachable: false, endpoint: 'h:1', clientId: EXIT_MANAGER_CLIENT_ID, problem: 'down' },
      pm2: { daemon: 'unknown', pm2Home: '/p', problem: 'PM2 daemon did not answer' },
    }));
    expect(Object.keys(allDown).sort()).toEqual(keys);
    expect(Object.keys(allDown.broker).sort()).toEqual(Object.keys(assembleStatus(inputs()).broker).sort());
    expect(allDown.processes.apps.every((a) => a.pm2Status === 'unknown')).toBe(true);
    expect(allDown.alerts).toContain('pm2: PM2 daemon did not answer');
  });
});
