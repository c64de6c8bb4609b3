import { assembleStatus } from '../../../scripts/status/assemble-status';
import { renderStatus } from '../../../scripts/status/render-status';
import { brokerPosition, closed, inputs, position, NOW_MARKET_MS, reachableBroker, usableDb } from './status-fixtures';

const ANSI = /\x1b\[/;

function busyMorning() {
  return assembleStatus(inputs({
    db: usableDb({ activePositions: [position({ entryTimestamp: new Date(NOW_MARKET_MS - 30_000).toISOString() })], closedToday: [closed()] }),
    broker: reachableBroker({ positions: [brokerPosition('AAPL', 100, 50)], lastPrices: { AAPL: 50.5 } }),
  }));
}

describe('renderStatus', () => {
  it('prints alerts first, then every section, without colour codes unless asked', () => {
    const text = renderStatus(busyMorning(), { color: false });
    expect(text).not.toMatch(ANSI);
    const order = ['STATUS', 'ALERTS (1)', 'PROCESSES', 'BROKER', 'DATABASE', 'ACTIVE POSITIONS (1)', 'CLOSED TODAY (1)', 'RECONCILIATION', 'DAY P&L', 'SCHEDULE', 'RECENT WARNINGS AND ERRORS (0)'];
    const positions = order.map((title) => text.indexOf(title));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text).toMatch(/AAPL .*OPEN .*\+100 .*50\.00 .*50\.50 .*\+\$50\.00 .*UNPROTECTED 30 s/);
    expect(text).toContain('! UNPROTECTED: AAPL +100 has been OPEN for 30 s with no stop/target at the broker');
    expect(text).toMatch(/MSFT .*PROFIT_TARGET .*\+\$18\.00/);
    expect(text).toContain('DAY P&L  realized +$18.00  unrealized +$50.00  total +$68.00');
    expect(text).toContain('net liquidation $100,000.00  buying power $400,000.00');
  });

  it('colours for a terminal', () => {
    expect(renderStatus(busyMorning(), { color: true })).toMatch(ANSI);
  });

  it('explains each source that is down, with the fix, and still prints the others', () => {
    const text = renderStatus(assembleStatus(inputs({
      pm2: { daemon: 'not_running', pm2Home: '/tmp/pm2-home' },
      broker: { reachable: false, endpoint: '127.0.0.1:4300', clientId: 18, problem: 'gateway at 127.0.0.1:4300 is not answering: connect ECONNREFUSED' },
      db: { usable: false, path: '/data/trading.db', problem: { kind: 'missing', message: 'no database at /data/trading.db: ... set DB_PATH to your database.' } },
    })), { color: false });
    expect(text).toContain('PM2 is not running (no daemon under /tmp/pm2-home)');
    expect(text).toContain('BROKER  gateway at 127.0.0.1:4300 is not answering: connect ECONNREFUSED');
    expect(text).toContain('DATABASE  cannot be read (missing)');
    expect(text).toContain('no database at /data/trading.db: ... set DB_PATH to your database.');
    expect(text).toMatch(/exit-manager .*not running .*unknown \(no DB\)/);
    expect(text).not.toContain('CLOSED TODAY');
    expect(text).toContain('DAY P&L  realized —  unrealized —  total —');
  });

  it('marks stale heartbeats, a broker link that is down and whether the exit manager protects', () => {
    const text = renderStatus(assembleStatus(inputs()), { color: false });
    expect(text).toMatch(/exit-manager .*online .*ready .*up .*protecting/);
  });
});
