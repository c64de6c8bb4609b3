import { closingOrdersFor, orderOwner, scopePositions, type ScopedPosition } from '../../../scripts/liquidate/position-scope';
import { asOrderId, type BrokerOrder, type BrokerPosition } from '../../../shared/broker/types';
import type { ActivePosition } from '../../../shared/db';

function stock(symbol: string, quantity: number, conId: number, overrides: Partial<BrokerPosition> = {}): BrokerPosition {
  return { account: 'DU1', conId, symbol, secType: 'STK', currency: 'USD', description: symbol, quantity, averageCost: 50, ...overrides };
}

function row(symbol: string, quantity: number, overrides: Partial<ActivePosition> = {}): ActivePosition {
  return {
    id: `P-20261123-${symbol}-aaaaaa`, symbol, quantity, entryPrice: 50, entryTimestamp: '2026-11-23T15:00:00.000Z', agentName: 'gap-momentum', profitTargetPrice: null,
    stopLossPrice: null, status: 'PROTECTED', tradingDay: '2026-11-23', entryOrderRef: `P-20261123-${symbol}-aaaaaa`, entryOrderId: 7, requestedQuantity: quantity,
    ocaGroup: null, stopOrderId: null, targetOrderId: null, protectedQuantity: quantity, exitReason: null, conId: null, entryReported: quantity, entryBooked: quantity,
    entryWorking: false, claimedAt: '2026-11-23T14:59:59.000Z', lastUpdated: '2026-11-23T15:00:00.000Z', metadata: {}, ...overrides,
  } as ActivePosition;
}

/** The account of a first real IB login: the bots' NOVA, plus what the owner held before the bots existed. */
const account: BrokerPosition[] = [
  stock('NOVA', 100, 11),
  stock('NOVA', 3, 12, { secType: 'OPT', description: 'NOVA 20270115 50 C (OPT)' }),
  stock('KO', 200, 13),
  stock('BRK B', 5, 14, { description: 'BRK B' }),
  stock('SAP', 10, 15, { currency: 'EUR', description: 'SAP (STK EUR)' }),
  stock('TSLA', -20, 16),
];

const summary = (scope: ScopedPosition[]) => scope.map((s) => [s.instrument.description, s.closeQuantity, s.keepQuantity, s.closeReason ?? null, s.keepReason ?? null]);

describe('scopePositions: what the emergency button closes', () => {
  it('by default closes only the bots\' positions and leaves everything else, options and other currencies included', () => {
    const scope = scopePositions(account, [row('NOVA', 100)], { allStock: false, dbUsable: true });
    expect(summary(scope)).toEqual([
      ['NOVA', 100, 0, 'bots', null],
      ['BRK B', 0, 5, null, 'not-the-bots'],
      ['KO', 0, 200, null, 'not-the-bots'],
      ['NOVA 20270115 50 C (OPT)', 0, 3, null, 'not-usd-stock'],
      ['SAP (STK EUR)', 0, 10, null, 'not-usd-stock'],
      ['TSLA', 0, -20, null, 'not-the-bots'],
    ]);
    expect(scope[0]!.positionId).toBe('P-20261123-NOVA-aaaaaa');
    expect(closingOrdersFor(scope)).toEqual([{ key: 'con:11', symbol: 'NOVA', conId: 11, side: 'SELL', quantity: 100, brokerQuantity: 100, positionId: 'P-20261123-NOVA-aaaaaa' }]);
  });

  it('with --all-stock closes every US stock in USD (share classes and shorts too), never an option or a EUR stock', () => {
    const scope = scopePositions(account, [row('NOVA', 100)], { allStock: true, dbUsable: true });
    expect(closingOrdersFor(scope).map((o) => [o.symbol, o.side, o.quantity])).toEqual([['BRK B', 'SELL', 5], ['KO', 'SELL', 200], ['NOVA', 'SELL', 100], ['TSLA', 'BUY', 20]]);
    expect(scope.filter((s) => s.keepQuantity !== 0).map((s) => s.instrument.description)).toEqual(['NOVA 20270115 50 C (OPT)', 'SAP (STK EUR)']);
  });

  it('with the DB unreadable closes every US stock in USD (nobody can tell the bots\' apart), still never an option', () => {
    const scope = scopePositions(account, [], { allStock: false, dbUsable: false });
    expect(scope.filter((s) => s.closeQuantity !== 0).every((s) => s.closeReason === 'db-unusable')).toBe(true);
    expect(closingOrdersFor(scope).map((o) => o.symbol)).toEqual(['BRK B', 'KO', 'NOVA', 'TSLA']);
  });

  it('closes the bots\' shares of a stock the owner also holds, and leaves the owner\'s', () => {
    const scope = scopePositions([stock('KO', 130, 13)], [row('KO', 100)], { allStock: false, dbUsable: true });
    expect(summary(scope)).toEqual([['KO', 100, 30, 'bots', 'not-the-bots']]);
  });

  it('keeps leaving the owner\'s shares when the bots\' part changed meanwhile (a stop filled during the cancel)', () => {
    const before = scopePositions([stock('KO', 130, 13)], [row('KO', 100)], { allStock: false, dbUsable: true });
    // The stop sold the bots' 100; the row is still there (the halt stops the exit manager's bookkeeping of nothing).
    expect(summary(scopePositions([stock('KO', 30, 13)], [row('KO', 100)], { allStock: false, dbUsable: true }, before))).toEqual([['KO', 0, 30, null, 'not-the-bots']]);
    // Half of the bots' part sold: the other half is closed, the owner's 30 still left.
    expect(summary(scopePositions([stock('KO', 80, 13)], [row('KO', 100)], { allStock: false, dbUsable: true }, before))).toEqual([['KO', 50, 30, 'bots', 'not-the-bots']]);
    // A foreign position stays foreign even if a row appears for its symbol meanwhile.
    const foreign = scopePositions([stock('IBM', 10, 17)], [], { allStock: false, dbUsable: true });
    expect(summary(scopePositions([stock('IBM', 10, 17)], [row('IBM', 10)], { allStock: false, dbUsable: true }, foreign))).toEqual([['IBM', 0, 10, null, 'not-the-bots']]);
  });

  it('counts an entry still in flight as the bots\' up to what it asked for', () => {
    const pending = row('NOVA', 0, { status: 'PENDING_ENTRY', requestedQuantity: 100 });
    expect(summary(scopePositions([stock('NOVA', 60, 11)], [pending], { allStock: false, dbUsable: true }))).toEqual([['NOVA', 60, 0, 'bots', null]]);
    expect(summary(scopePositions([stock('NOVA', 160, 11)], [pending], { allStock: false, dbUsable: true }))).toEqual([['NOVA', 100, 60, 'bots', 'not-the-bots']]);
  });

  it('closes nothing when the row and the broker disagree on the side, and ignores a row of another instrument (conId)', () => {
    expect(summary(scopePositions([stock('NOVA', -30, 11)], [row('NOVA', 100)], { allStock: false, dbUsable: true }))).toEqual([['NOVA', 0, -30, null, 'not-the-bots']]);
    expect(summary(scopePositions([stock('NOVA', 100, 11)], [row('NOVA', 100, { conId: 99 })], { allStock: false, dbUsable: true }))).toEqual([['NOVA', 0, 100, null, 'not-the-bots']]);
  });

  it('reads a position without instrument fields as a US stock in USD', () => {
    const bare = { account: 'DU1', symbol: 'NOVA', quantity: 100, averageCost: 50 } as BrokerPosition;
    expect(summary(scopePositions([bare], [row('NOVA', 100)], { allStock: false, dbUsable: true }))).toEqual([['NOVA', 100, 0, 'bots', null]]);
  });
});

describe('orderOwner', () => {
  const order = (clientId: number, orderRef: string): BrokerOrder => ({
    orderId: asOrderId(1), clientId, permId: 1, orderRef, symbol: 'NOVA', side: 'SELL', type: 'STP', quantity: 100, status: 'Submitted', filledQuantity: 0, remainingQuantity: 100,
  });
  const bots = new Set([11, 12, 13]);

  it('tells the bots\' orders from an earlier liquidation\'s and from orders placed by hand or by another program', () => {
    expect(orderOwner(order(12, 'P-20261123-NOVA-3f9a1c:SL:1'), bots)).toBe('bots');
    expect(orderOwner(order(11, 'P-20261123-NOVA-3f9a1c'), bots)).toBe('bots');
    expect(orderOwner(order(19, 'LIQ-20261123T151502.123Z-NOVA'), bots)).toBe('liquidation');
    expect(orderOwner(order(0, ''), bots)).toBe('other');
    expect(orderOwner(order(12, 'my own stop'), bots)).toBe('other');
    expect(orderOwner(order(77, 'P-20261123-NOVA-3f9a1c:SL:1'), bots)).toBe('other');
  });
});
