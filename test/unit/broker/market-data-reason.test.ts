import { marketDataReason } from '../../../shared/broker/market-data-reason';

describe('the market-data reason shown in status and on the dashboard', () => {
  it('names a known IB code in a few words, with the code to look up', () => {
    const ib = "Requested market data requires additional subscription for API. See link in 'Market Data Connections' dialog for more details.Delayed market data is available.BLTZ NASDAQ.NMS/TOP/ALL";
    expect(marketDataReason(10089, ib)).toBe('no live subscription for the API (10089)');
    expect(marketDataReason(10168, 'whatever')).toBe('delayed market data is not enabled (10168)');
  });

  it('keeps the first sentence of an unknown message, capped to one line', () => {
    expect(marketDataReason(999, 'Something odd happened. More text here.')).toBe('Something odd happened. (999)');
    const long = `${'x'.repeat(200)}.`;
    const reason = marketDataReason(undefined, long)!;
    expect(reason.length).toBeLessThanOrEqual(80);
    expect(reason.endsWith('…')).toBe(true);
  });

  it('says nothing when IB said nothing', () => {
    expect(marketDataReason(undefined, undefined)).toBeUndefined();
    expect(marketDataReason(2104, undefined)).toBe('IB code 2104');
  });
});
