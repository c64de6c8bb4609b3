import { asOrderId } from '../../../shared/broker/types';
import { protectionOf, protectionOfUntracked, type ProtectionInput } from '../../../scripts/status/protection-state';
import { EXIT_MANAGER_CLIENT_ID, NOW_MARKET_MS, order, position, protectedPosition, protectionOrders } from './status-fixtures';

function verdict(overrides: Partial<ProtectionInput>) {
  return protectionOf({
    row: position(), brokerQuantity: 100, openOrders: [], exitManagerClientId: EXIT_MANAGER_CLIENT_ID, nowMarketMs: NOW_MARKET_MS, clockSpeed: 1,
    unprotectedAfterMs: 5_000, ...overrides,
  });
}

describe('protection state of a DB position', () => {
  it('gives an OPEN position a grace period, then calls it UNPROTECTED, measured in REAL time', () => {
    const fillAt = NOW_MARKET_MS - 3_000;
    expect(verdict({ row: position({ entryTimestamp: new Date(fillAt).toISOString() }) })).toEqual({ state: 'AWAITING_PROTECTION', unprotectedForMs: 3_000 });
    expect(verdict({ row: position({ entryTimestamp: new Date(NOW_MARKET_MS - 6_000).toISOString() }) })).toEqual({ state: 'UNPROTECTED', unprotectedForMs: 6_000 });
    // On a x60 compressed clock, 60 market seconds are one real second: still inside the grace period.
    expect(verdict({ row: position({ entryTimestamp: new Date(NOW_MARKET_MS - 60_000).toISOString() }), clockSpeed: 60 })).toEqual({ state: 'AWAITING_PROTECTION', unprotectedForMs: 1_000 });
  });

  it('counts an OPEN row as protected once both legs work at the broker (the row is marked a moment later)', () => {
    expect(verdict({ openOrders: protectionOrders() }).state).toBe('PROTECTED');
    expect(verdict({ openOrders: [protectionOrders()[0]!] }).state).toBe('UNPROTECTED');
  });

  it('verifies a PROTECTED row against the broker by order ref, or by the recorded order id of the exit manager', () => {
    const row = protectedPosition();
    expect(verdict({ row, openOrders: protectionOrders() }).state).toBe('PROTECTED');
    const byIdOnly = protectionOrders().map((o) => ({ ...o, orderRef: 'replaced-by-hand' }));
    expect(verdict({ row, openOrders: byIdOnly }).state).toBe('PROTECTED');
    // The same order ids from another client are other orders (IB ids are per client).
    expect(verdict({ row, openOrders: byIdOnly.map((o) => ({ ...o, clientId: 99 })) }).state).toBe('PROTECTION_MISSING');
    expect(verdict({ row, openOrders: [order({ orderRef: 'P-20261123-AAPL-aaaaaa:TP:1', orderId: asOrderId(22) })] }).state).toBe('PROTECTION_MISSING');
    expect(verdict({ row, openOrders: undefined }).state).toBe('PROTECTED_UNVERIFIED');
  });

  it('reports pending entries, closing positions and rows the broker does not hold as what they are', () => {
    expect(verdict({ row: position({ status: 'PENDING_ENTRY', quantity: 0 }) }).state).toBe('PENDING_ENTRY');
    expect(verdict({ row: position({ status: 'CLOSING' }) }).state).toBe('CLOSING');
    expect(verdict({ row: protectedPosition(), brokerQuantity: 0 }).state).toBe('FLAT_AT_BROKER');
    expect(verdict({ row: position(), brokerQuantity: null, openOrders: undefined }).state).toBe('UNPROTECTED');
  });
});

describe('protection state of a broker position unknown to the DB', () => {
  it('is protected only by a working stop on the closing side', () => {
    expect(protectionOfUntracked('AAPL', 100, [order({ clientId: 0, orderRef: '' })])).toBe('PROTECTED');
    expect(protectionOfUntracked('AAPL', 100, [order({ side: 'BUY' })])).toBe('UNPROTECTED');
    expect(protectionOfUntracked('AAPL', -100, [order({ side: 'BUY', type: 'TRAIL' })])).toBe('PROTECTED');
    expect(protectionOfUntracked('AAPL', 100, [order({ type: 'LMT' })])).toBe('UNPROTECTED');
    expect(protectionOfUntracked('AAPL', 100, undefined)).toBe('PROTECTED_UNVERIFIED');
  });
});
