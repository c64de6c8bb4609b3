import { assembleStatus } from '../../../scripts/status/assemble-status';
import { renderStatus } from '../../../scripts/status/render-status';
import type { TradingHalt } from '../../../shared/db';
import { brokerPosition, heartbeat, inputs, NOW_REAL_MS, position, reachableBroker, usableDb } from './status-fixtures';

/** A bot 682 ms into its life, not linked to the broker yet (the first status screen of `npm start`). */
function justStarted(app: string, detail: Record<string, unknown>, state: 'starting' | 'ready' = 'starting') {
  return heartbeat(app, { state, startedAtMs: NOW_REAL_MS - 682, readyAtMs: null, brokerConnected: false, brokerDownSinceMs: NOW_REAL_MS - 682, detail });
}

const halt: TradingHalt = {
  id: 3, reason: 'emergency liquidation', setBy: 'liquidate', setAt: '2026-11-23T15:10:05.000Z', setAtMs: NOW_REAL_MS - 60_000,
  detail: { path: 'market-now', closes: ['AAPL: SELL 100 MKT'] },
};

describe('status: broker link while a bot is still connecting', () => {
  it('shows "connecting" with no alert while the bot has never been linked and is within the startup grace', () => {
    const report = assembleStatus(inputs({ db: usableDb({ heartbeats: [heartbeat('exit-manager'), justStarted('day-trader', { brokerLinkedOnce: false })] }) }));
    const dayTrader = report.processes.apps.find((a) => a.name === 'day-trader')!;
    expect(dayTrader.heartbeat).toMatchObject({ brokerConnected: false, brokerLink: 'connecting', connectingForMs: 682 });
    expect(report.alerts.filter((a) => a.includes('day-trader'))).toEqual([]);
    const text = renderStatus(report, { color: false });
    expect(text).toMatch(/day-trader .*connecting 682 ms/);
    expect(text).not.toContain('no broker link');
    expect(text).not.toMatch(/day-trader .*DOWN/);
  });

  it('treats a bot that is still starting and does not say brokerLinkedOnce as connecting', () => {
    const report = assembleStatus(inputs({ db: usableDb({ heartbeats: [justStarted('reconciler', {})] }) }));
    expect(report.processes.apps.find((a) => a.name === 'reconciler')!.heartbeat!.brokerLink).toBe('connecting');
    expect(report.alerts).toEqual([]);
  });

  it('raises an alert once connecting lasts longer than the startup grace', () => {
    const slow = heartbeat('day-trader', { state: 'starting', startedAtMs: NOW_REAL_MS - 20_000, brokerConnected: false, brokerDownSinceMs: NOW_REAL_MS - 20_000, detail: { brokerLinkedOnce: false } });
    const report = assembleStatus(inputs({ startupGraceMs: 8_000, db: usableDb({ heartbeats: [heartbeat('exit-manager'), slow] }) }));
    expect(report.processes.apps.find((a) => a.name === 'day-trader')!.heartbeat).toMatchObject({ brokerLink: 'never_linked', connectingForMs: 20_000 });
    expect(report.alerts).toEqual(['day-trader has not reached the broker since it started 20 s ago (startup grace 8 s): is the gateway up and logged in?']);
    expect(renderStatus(report, { color: false })).toMatch(/day-trader .*NOT LINKED since start 20 s/);
  });

  it('still alerts on a link lost after it was up, however young the loss', () => {
    const lost = heartbeat('day-trader', { brokerConnected: false, brokerDownSinceMs: NOW_REAL_MS - 682, detail: { brokerLinkedOnce: true } });
    const report = assembleStatus(inputs({ db: usableDb({ heartbeats: [heartbeat('exit-manager'), lost] }) }));
    expect(report.processes.apps.find((a) => a.name === 'day-trader')!.heartbeat).toMatchObject({ brokerLink: 'down', brokerDownForMs: 682 });
    expect(report.alerts).toEqual(['day-trader has had no broker link for 682 ms']);
    expect(renderStatus(report, { color: false })).toMatch(/day-trader .*DOWN 682 ms/);
  });

  it('reads a link up as up whatever the detail says', () => {
    const report = assembleStatus(inputs({ db: usableDb({ heartbeats: [heartbeat('day-trader', { detail: { brokerLinkedOnce: true } })] }) }));
    expect(report.processes.apps.find((a) => a.name === 'day-trader')!.heartbeat!.brokerLink).toBe('up');
  });
});

describe('status: the day-trader\'s market data', () => {
  const withMarketData = (marketData: unknown) => assembleStatus(inputs({
    db: usableDb({ heartbeats: [heartbeat('exit-manager'), heartbeat('day-trader', { detail: marketData === undefined ? {} : { marketData } })] }),
  }));
  const dayTrader = (report: ReturnType<typeof withMarketData>) => report.processes.apps.find((a) => a.name === 'day-trader')!.heartbeat!;

  it.each([
    [{ type: 'live' }, { type: 'live', reason: null }, /day-trader .*market data live/],
    [{ type: 'delayed', reason: 'no live subscription (10089)' }, { type: 'delayed', reason: 'no live subscription (10089)' }, /market data delayed \(no live subscription \(10089\)\)/],
    [undefined, { type: 'unknown', reason: null }, /day-trader .*market data unknown/],
    ['garbage', { type: 'unknown', reason: null }, /day-trader .*market data unknown/],
    [{ type: 'weird', reason: 42 }, { type: 'unknown', reason: null }, /day-trader .*market data unknown/],
  ])('heartbeat detail %j reads as %j', (detail, expected, rendered) => {
    const report = withMarketData(detail);
    expect(dayTrader(report).marketData).toEqual(expected);
    expect(renderStatus(report, { color: false })).toMatch(rendered);
    expect(report.alerts).toEqual([]);
  });

  it('alerts when the day-trader gets no market data at all, with the reason', () => {
    const report = withMarketData({ type: 'unavailable', reason: 'delayed market data is not enabled (10168)' });
    expect(dayTrader(report).marketData).toEqual({ type: 'unavailable', reason: 'delayed market data is not enabled (10168)' });
    expect(report.alerts).toEqual(['day-trader gets no market data: delayed market data is not enabled (10168) (it cannot price entries)']);
  });

  it('only the day-trader carries a market-data state', () => {
    const report = withMarketData({ type: 'live' });
    expect(report.processes.apps.find((a) => a.name === 'exit-manager')!.heartbeat!.marketData).toBeNull();
  });
});

describe('status: trading halt', () => {
  it('puts the halt in the JSON and a banner at the very top of the text', () => {
    const report = assembleStatus(inputs({ db: usableDb({ halt }) }));
    expect(report.halt).toEqual({
      reason: 'emergency liquidation', setBy: 'liquidate', setAt: '2026-11-23T15:10:05.000Z', setAtNewYork: '2026-11-23 10:10:05', setAtMs: NOW_REAL_MS - 60_000,
      detail: { path: 'market-now', closes: ['AAPL: SELL 100 MKT'] },
    });
    const text = renderStatus(report, { color: false });
    const banner = 'TRADING HALTED by liquidate at 2026-11-23 10:10:05 ET (emergency liquidation) — no entries, no protection changes; lift with npm run liquidate -- --resume';
    expect(text.split('\n').slice(0, 3)).toEqual(['='.repeat(120), banner, '='.repeat(120)]);
  });

  it('has halt null and no banner without a halt, or with a DB that cannot be read', () => {
    expect(assembleStatus(inputs()).halt).toBeNull();
    const noDb = assembleStatus(inputs({ db: { usable: false, path: '/x.db', problem: { kind: 'missing', message: 'no database' } } }));
    expect(noDb.halt).toBeNull();
    expect(renderStatus(noDb, { color: false })).not.toContain('TRADING HALTED');
  });

  it('does not call an exit manager that stands still during a halt a problem', () => {
    const heartbeats = [heartbeat('exit-manager', { detail: { protecting: false } })];
    expect(assembleStatus(inputs({ db: usableDb({ heartbeats }) })).alerts).toEqual([expect.stringContaining('NOT protecting')]);
    const halted = assembleStatus(inputs({ db: usableDb({ heartbeats, halt }) }));
    expect(halted.alerts).toEqual([]);
    expect(renderStatus(halted, { color: false })).toMatch(/exit-manager .*not protecting \(halted\)/);
  });
});

describe('status: positions that are not the bots\'', () => {
  const records = [
    { conId: 101, account: 'DU1', symbol: 'KO', secType: 'STK', currency: 'USD', description: 'KO', quantity: 200, averageCost: 40, oursQuantity: 0, foreignQuantity: 200, handling: 'ignored', updatedAt: '2026-11-23T15:09:00.000Z' },
    { conId: 102, account: 'DU1', symbol: 'AAPL', secType: 'OPT', currency: 'USD', description: 'AAPL 20270115 50 C (OPT)', quantity: 2, averageCost: 310, oursQuantity: 0, foreignQuantity: 2, handling: 'not-tradable', updatedAt: '2026-11-23T15:09:00.000Z' },
    { conId: 103, account: 'DU1', symbol: 'SAP', secType: 'STK', currency: 'EUR', description: 'SAP (STK EUR)', quantity: 10, averageCost: 120, oursQuantity: 0, foreignQuantity: 10, handling: 'not-tradable', updatedAt: '2026-11-23T15:09:00.000Z' },
    { conId: 104, account: 'DU1', symbol: 'AAPL', secType: 'STK', currency: 'USD', description: 'AAPL', quantity: 130, averageCost: 50, oursQuantity: 100, foreignQuantity: 30, handling: 'ours', updatedAt: '2026-11-23T15:09:00.000Z' },
    { conId: 105, account: 'DU1', symbol: 'MSFT', secType: 'STK', currency: 'USD', description: 'MSFT', quantity: 50, averageCost: 300, oursQuantity: 50, foreignQuantity: 0, handling: 'ours', updatedAt: '2026-11-23T15:09:00.000Z' },
  ];
  const broker = reachableBroker({
    positions: [
      brokerPosition('AAPL', 130, 50, { conId: 104 }), brokerPosition('AAPL', 2, 310, { conId: 102, secType: 'OPT', description: 'AAPL 20270115 50 C (OPT)' }),
      brokerPosition('KO', 200, 40, { conId: 101 }), brokerPosition('SAP', 10, 120, { conId: 103, currency: 'EUR', description: 'SAP (STK EUR)' }),
    ],
  });

  it('lists them in their own section and keeps them out of the bots\' positions and their alerts', () => {
    const report = assembleStatus(inputs({ broker, db: usableDb({ activePositions: [position({ quantity: 100 })], brokerPositions: records }) }));
    expect(report.foreignPositions.map((f) => [f.description, f.handling, f.foreignQuantity])).toEqual([
      ['AAPL', 'ours', 30], ['AAPL 20270115 50 C (OPT)', 'not-tradable', 2], ['KO', 'ignored', 200], ['SAP (STK EUR)', 'not-tradable', 10],
    ]);
    // The bots' AAPL row is compared with the AAPL stock (not the option), and its 30 foreign shares are no mismatch.
    expect(report.positions.map((p) => [p.symbol, p.source, p.brokerQuantity])).toEqual([['AAPL', 'db_and_broker', 130]]);
    expect(report.alerts.filter((a) => a.startsWith('MISMATCH') || a.includes('KO') || a.includes('SAP'))).toEqual([]);
    const text = renderStatus(report, { color: false });
    expect(text).toContain('NOT THE BOTS\' POSITIONS (4)');
    expect(text).toMatch(/KO .*STK .*USD .*\+200 .*ignored: never touched by the bots/);
    expect(text).toMatch(/AAPL 20270115 50 C \(OPT\) .*OPT .*not a USD stock: never touched/);
    expect(text).toMatch(/AAPL .*\+130 .*\+30 \(bots \+100\)/);
  });

  it('never counts an option or a foreign-currency stock as an untracked position, even without the reconciler\'s table', () => {
    const report = assembleStatus(inputs({ broker, db: usableDb({ brokerPositions: undefined }) }));
    expect(report.positions.map((p) => [p.symbol, p.brokerQuantity])).toEqual([['AAPL', 130], ['KO', 200]]);
    expect(report.foreignPositions).toEqual([]);
    expect(renderStatus(report, { color: false })).not.toContain('NOT THE BOTS');
  });
});
