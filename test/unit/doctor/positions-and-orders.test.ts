import type { BrokerOrder, BrokerPosition } from '../../../shared/broker/types';
import { asOrderId } from '../../../shared/broker/types';
import { loadConfig } from '../../../shared/config/load-config';
import { foreignPositionsCheck } from '../../../scripts/doctor/foreign-positions-check';
import { openOrdersCheck, whyNotOurs } from '../../../scripts/doctor/open-orders-check';

const ACCOUNT = 'DU1234567';

function position(symbol: string, quantity: number, averageCost: number, instrument: Partial<BrokerPosition> = {}): BrokerPosition {
  return { account: ACCOUNT, conId: symbol.length * 1000 + quantity, symbol, secType: 'STK', currency: 'USD', description: symbol, quantity, averageCost, ...instrument };
}

const HOLDINGS = [
  position('NOVA', 100, 50),
  position('NOVA', 2, 3.1, { secType: 'OPT', description: 'NOVA 20270115 50 C (OPT)' }),
  position('SAP', 40, 118.4, { currency: 'EUR', description: 'SAP (STK EUR)' }),
  position('BRK B', 15, 400),
];

const configWith = (policy: string) => loadConfig({ env: { FOREIGN_POSITIONS: policy } });

describe('foreignPositionsCheck', () => {
  it('lists every position the bots did not open; options and other currencies are never touched; ignore leaves stocks alone', () => {
    const result = foreignPositionsCheck(configWith('ignore'), { positions: HOLDINGS, dbRows: [], tradingAccount: ACCOUNT, prices: new Map() });
    expect(result.status).toBe('warn');
    expect(result.finding).toMatch(/^4 position\(s\) the bots did not open: NOVA \+100, NOVA 20270115 50 C \(OPT\) \+2, SAP \(STK EUR\) \+40, BRK B \+15; FOREIGN_POSITIONS=ignore: US stocks are left alone/);
    expect(result.lines!.find((l) => l.startsWith('NOVA 20270115'))).toContain('an option: never touched by the bots');
    expect(result.lines!.find((l) => l.startsWith('SAP'))).toContain('a stock in EUR: never touched');
    expect(result.lines!.find((l) => l.startsWith('NOVA '))).toContain('left alone: never protected, never sold, not flattened at the close (FOREIGN_POSITIONS=ignore)');
  });

  it('counts only the shares beyond the bots\' active rows, and nothing when the DB explains them all', () => {
    const partial = foreignPositionsCheck(configWith('ignore'), { positions: [position('NOVA', 150, 50)], dbRows: [{ symbol: 'NOVA', quantity: 100 }], tradingAccount: ACCOUNT, prices: new Map() });
    expect(partial.finding).toMatch(/NOVA \+50/);
    const ours = foreignPositionsCheck(configWith('ignore'), { positions: [position('NOVA', 100, 50)], dbRows: [{ symbol: 'NOVA', quantity: 100 }], tradingAccount: ACCOUNT, prices: new Map() });
    expect(ours).toMatchObject({ status: 'ok', finding: 'none: every position is the bots\' (1)' });
    expect(foreignPositionsCheck(configWith('ignore'), { positions: [], dbRows: [], tradingAccount: ACCOUNT, prices: new Map() }).finding).toBe('the account holds no positions');
  });

  it('says what protect and adopt do, priced from the average cost; adopt sells at the end-of-day flatten', () => {
    const protect = foreignPositionsCheck(configWith('protect'), { positions: [position('NOVA', 100, 50)], dbRows: [], tradingAccount: ACCOUNT, prices: new Map([['NOVA', 50.2]]) });
    expect(protect.status).toBe('warn');
    expect(protect.lines![0]).toContain('protect: the exit manager places a GTC stop 49.55 / target 50.90 for all 100, from the average cost 50.00');
    const adopt = foreignPositionsCheck(configWith('adopt'), { positions: [position('NOVA', 100, 50)], dbRows: [], tradingAccount: ACCOUNT, prices: new Map() });
    expect(adopt.lines![0]).toContain('SOLD at the end-of-day flatten 10 min before the close');
  });

  it('fails when protect or adopt would close a long-held stock at once (its price is past the pair priced from the cost)', () => {
    const gain = foreignPositionsCheck(configWith('protect'), { positions: [position('NOVA', 100, 20)], dbRows: [], tradingAccount: ACCOUNT, prices: new Map([['NOVA', 50]]) });
    expect(gain.status).toBe('fail');
    expect(gain.finding).toContain('FOREIGN_POSITIONS=protect would close NOVA at once');
    expect(gain.lines![0]).toContain('the target would SELL it at once');
    const loss = foreignPositionsCheck(configWith('adopt'), { positions: [position('NOVA', 100, 80)], dbRows: [], tradingAccount: ACCOUNT, prices: new Map([['NOVA', 50]]) });
    expect(loss.status).toBe('fail');
    expect(loss.lines![0]).toContain('the stop would SELL it at once');
    // ignore never touches it, whatever the price.
    expect(foreignPositionsCheck(configWith('ignore'), { positions: [position('NOVA', 100, 20)], dbRows: [], tradingAccount: ACCOUNT, prices: new Map([['NOVA', 50]]) }).status).toBe('warn');
  });

  it('never touches positions of another account, and says so when the DB cannot tell which stocks are the bots\'', () => {
    const other = foreignPositionsCheck(configWith('adopt'), { positions: [position('NOVA', 100, 20, { account: 'DU7654321' })], dbRows: [], tradingAccount: ACCOUNT, prices: new Map([['NOVA', 50]]) });
    expect(other.status).toBe('warn');
    expect(other.lines![0]).toContain('account DU7654321, not the one the bots trade: never touched');
    const unreadable = foreignPositionsCheck(configWith('ignore'), { positions: [position('NOVA', 100, 50)], dbRows: undefined, tradingAccount: ACCOUNT, prices: new Map() });
    expect(unreadable.finding).toContain('the DB could not be read');
    expect(foreignPositionsCheck(configWith('ignore'), { positions: [], dbRows: [], tradingAccount: ACCOUNT, prices: new Map() }, 'timed out').status).toBe('warn');
  });
});

function order(clientId: number, orderRef: string, extra: Partial<BrokerOrder> = {}): BrokerOrder {
  return { orderId: asOrderId(7), clientId, permId: 9, orderRef, symbol: 'NOVA', side: 'SELL', type: 'STP', quantity: 100, stopPrice: 49.5, status: 'Submitted', filledQuantity: 0, remainingQuantity: 100, ...extra };
}

describe('open orders not ours', () => {
  const clients = { bots: new Set([11, 12, 13]), liquidate: 19, doctor: 17 };

  it('tells the bots\' orders (their client and a position-id ref) from everything else', () => {
    expect(whyNotOurs(order(12, 'P-20261123-NOVA-3f9a1c:SL:1'), clients)).toBeUndefined();
    expect(whyNotOurs(order(11, 'P-20261123-NOVA-3f9a1c'), clients)).toBeUndefined();
    expect(whyNotOurs(order(19, 'LIQ-20261123T151502.123Z-NOVA'), clients)).toBeUndefined();
    expect(whyNotOurs(order(0, ''), clients)).toBe('placed in TWS by hand (client 0)');
    expect(whyNotOurs(order(44, 'P-20261123-NOVA-3f9a1c:SL:1'), clients)).toBe('client 44 is not one of the bots\'');
    expect(whyNotOurs(order(12, 'my-own-stop'), clients)).toBe('client 12 is a bot\'s, but its ref "my-own-stop" is not one of ours');
  });

  it('warns with each order not ours and what liquidate does to it', () => {
    const result = openOrdersCheck([order(12, 'P-20261123-NOVA-3f9a1c:SL:1'), order(0, '', { type: 'LMT', limitPrice: 60, stopPrice: undefined })], clients);
    expect(result.status).toBe('warn');
    expect(result.lines).toEqual(['SELL 100 NOVA LMT 60.00 (order 7, client 0, ref "", Submitted): placed in TWS by hand (client 0)']);
    expect(result.action).toContain('npm run liquidate -- --yes cancels these too');
    expect(openOrdersCheck([order(12, 'P-20261123-NOVA-3f9a1c:SL:1')], clients)).toMatchObject({ status: 'ok', finding: 'all 1 working order(s) are the bots\'' });
    expect(openOrdersCheck(undefined, clients, 'timeout').status).toBe('warn');
  });
});
