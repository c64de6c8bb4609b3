import type { ClosingOrder } from '../../../scripts/liquidate/position-scope';
import { marketableLimit, nextOpenMs, orderRequestFor, planOrders, sessionPath } from '../../../scripts/liquidate/session-path';
import type { Quote } from '../../../shared/broker/types';
import { formatNewYork, newYorkTime } from '../../../shared/time/trading-calendar';

const closing = (symbol: string, side: 'SELL' | 'BUY', quantity: number): ClosingOrder => ({
  key: `${symbol}/STK/USD`, symbol, conId: undefined, side, quantity, brokerQuantity: side === 'SELL' ? quantity : -quantity, positionId: null,
});
const quote = (bid: number, ask: number, delayed = false): Quote => ({ symbol: 'X', bid, ask, receivedAtMs: 0, delayed });

describe('sessionPath', () => {
  it('trades now in regular hours, with marketable limits in extended hours, and refuses a closed market unless queued for the open', () => {
    expect(sessionPath('REGULAR', false)).toBe('market-now');
    expect(sessionPath('REGULAR', true)).toBe('market-now');
    expect(sessionPath('PRE_MARKET', false)).toBe('extended-limit');
    expect(sessionPath('AFTER_HOURS', false)).toBe('extended-limit');
    expect(sessionPath('PRE_MARKET', true)).toBe('at-open');
    expect(sessionPath('CLOSED', false)).toBe('refuse-closed');
    expect(sessionPath('CLOSED', true)).toBe('at-open');
  });
});

describe('nextOpenMs', () => {
  const at = (iso: string) => formatNewYork(nextOpenMs(Date.parse(iso)), 'yyyy-LL-dd HH:mm');
  it('is today\'s open before it, the next trading day\'s after it, skipping weekends and holidays', () => {
    expect(at('2026-11-23T12:00:00Z')).toBe('2026-11-23 09:30'); // Monday 07:00 ET, pre-market
    expect(at('2026-11-23T22:00:00Z')).toBe('2026-11-24 09:30'); // Monday 17:00 ET, after hours
    expect(at('2026-11-28T02:00:00Z')).toBe('2026-11-30 09:30'); // Friday night after Thanksgiving: Monday
    expect(at('2026-11-26T15:00:00Z')).toBe('2026-11-27 09:30'); // Thanksgiving: the day after
    expect(nextOpenMs(newYorkTime('2026-11-23', '09:30'))).toBe(newYorkTime('2026-11-24', '09:30'));
  });
});

describe('marketableLimit', () => {
  it('sells at the bid minus 0.5 % rounded down to the cent, buys at the ask plus 0.5 % rounded up', () => {
    expect(marketableLimit('SELL', quote(51.48, 51.6))).toEqual({ limitPrice: 51.22, basis: 'bid', quotePrice: 51.48, marginPct: 0.5, delayed: false });
    expect(marketableLimit('BUY', quote(9.9, 10))).toEqual({ limitPrice: 10.05, basis: 'ask', quotePrice: 10, marginPct: 0.5, delayed: false });
    expect(marketableLimit('BUY', quote(10, 10.01))!.limitPrice).toBe(10.07); // 10.06005 rounds up
    expect(marketableLimit('SELL', quote(20, 20.1))!.limitPrice).toBe(19.9); // exactly on the cent: no binary-noise cent lost
  });

  it('allows 2 % on a delayed quote, never goes below a cent, and has no price without that side of the quote', () => {
    expect(marketableLimit('SELL', quote(100, 100.2, true))).toMatchObject({ limitPrice: 98, marginPct: 2, delayed: true });
    expect(marketableLimit('SELL', quote(0.01, 0.02))!.limitPrice).toBe(0.01);
    expect(marketableLimit('SELL', { bid: undefined, ask: 5 })).toBeUndefined();
    expect(marketableLimit('BUY', { bid: 5, ask: 0 })).toBeUndefined();
  });
});

describe('planOrders', () => {
  const quotes = (known: Record<string, Quote>) => async (symbol: string) => known[symbol];

  it('in extended hours sends marketable limits outside regular hours, and a DAY market order for the open where no quote came', async () => {
    const plan = await planOrders([closing('NOVA', 'SELL', 100), closing('ZETA', 'SELL', 40), closing('TSLA', 'BUY', 20)], 'extended-limit',
      quotes({ NOVA: quote(51.48, 51.6), TSLA: quote(199, 200) }), 3_000);
    expect(plan.map((p) => [p.symbol, p.type, p.limitPrice ?? null, p.outsideRth, p.fillsAt, p.fallback ?? null])).toEqual([
      ['NOVA', 'LMT', 51.22, true, 'now', null],
      ['ZETA', 'MKT', null, false, 'open', 'no quote within 3 s'],
      ['TSLA', 'LMT', 201, true, 'now', null],
    ]);
    expect(orderRequestFor(plan[0]!, 'LIQ-1')).toEqual({ orderRef: 'LIQ-1', symbol: 'NOVA', side: 'SELL', quantity: 100, type: 'LMT', tif: 'DAY', limitPrice: 51.22, outsideRth: true });
    expect(orderRequestFor(plan[1]!, 'LIQ-2')).toEqual({ orderRef: 'LIQ-2', symbol: 'ZETA', side: 'SELL', quantity: 40, type: 'MKT', tif: 'DAY' });
  });

  it('sends market orders now in regular hours and queues them for the open with --at-open, asking for no quote', async () => {
    const noQuotes = jest.fn(async () => undefined);
    expect((await planOrders([closing('NOVA', 'SELL', 100)], 'market-now', noQuotes, 3_000)).map((p) => [p.type, p.fillsAt])).toEqual([['MKT', 'now']]);
    expect((await planOrders([closing('NOVA', 'SELL', 100)], 'at-open', noQuotes, 3_000)).map((p) => [p.type, p.fillsAt, p.outsideRth])).toEqual([['MKT', 'open', false]]);
    expect(await planOrders([closing('NOVA', 'SELL', 100)], 'refuse-closed', noQuotes, 3_000)).toEqual([]);
    expect(noQuotes).not.toHaveBeenCalled();
  });
});
