import { BrokerRequestError } from '../../../shared/broker/ib/pending-requests';
import { BrokerTimeout } from '../../../shared/errors/errors';
import { historicalDataCheck, historyRequest } from '../../../scripts/doctor/historical-data-check';
import { marketDataCheck } from '../../../scripts/doctor/market-data-check';
import type { MarketDataProbe, SymbolProbe } from '../../../scripts/doctor/market-data-probe';

const config = (type: 'live' | 'delayed' | 'auto') => ({ marketData: { type } });

function probe(symbols: SymbolProbe[], stateChange?: MarketDataProbe['stateChange']): MarketDataProbe {
  return { symbols, state: stateChange?.state ?? 'live', stateChange, waitedMs: 120 };
}

const live = (symbol: string): SymbolProbe => ({ symbol, data: 'live', codes: [], quote: { bid: 10, ask: 10.02, last: 10.01 } });
const delayed = (symbol: string): SymbolProbe => ({ symbol, data: 'delayed', codes: [{ code: 10167, message: 'Displaying delayed market data.' }], quote: { bid: 10, ask: 10.02 } });
const none = (symbol: string, code?: number): SymbolProbe => ({ symbol, data: 'none', codes: code ? [{ code, message: '' }] : [] });

describe('marketDataCheck', () => {
  it('is ok when every test symbol streams live data', () => {
    const result = marketDataCheck(config('auto'), probe([live('SPY'), live('AAPL')]));
    expect(result.status).toBe('ok');
    expect(result.finding).toBe('live data for every test symbol (SPY, AAPL)');
    expect(result.lines).toEqual(['SPY      live      bid 10.00 ask 10.02 last 10.01', 'AAPL     live      bid 10.00 ask 10.02 last 10.01']);
  });

  it('warns on delayed-only data and says the bots will trade on 15-minute-old quotes', () => {
    const result = marketDataCheck(config('auto'), probe([delayed('SPY'), delayed('AAPL')], { state: 'delayed', code: 10089 }));
    expect(result.status).toBe('warn');
    expect(result.finding).toMatch(/^delayed data only \(SPY, AAPL\): IB's 15-minute delayed quotes — the bots will trade on quotes 15 minutes old/);
    expect(result.lines![0]).toContain('10167 showing delayed data');
  });

  it('fails when no symbol gets any data, naming the IB code', () => {
    const result = marketDataCheck(config('auto'), probe([none('SPY', 354), none('AAPL')], { state: 'unavailable', code: 10168, message: 'not enabled' }));
    expect(result.status).toBe('fail');
    expect(result.finding).toContain('no market data at all for SPY, AAPL (IB 10168 delayed data is not enabled');
    // The symbol without a code of its own shows the connection's.
    expect(result.lines).toEqual(['SPY      none      354 no market data subscription for live data', 'AAPL     none      10168 delayed data is not enabled: no data at all']);
  });

  it('fails with MARKET_DATA_TYPE=live on a delayed-only account and says to switch to auto or delayed', () => {
    const result = marketDataCheck(config('live'), probe([none('SPY', 10089)], { state: 'unavailable', code: 10089 }));
    expect(result.status).toBe('fail');
    expect(result.finding).toContain('MARKET_DATA_TYPE=live refuses delayed data');
    expect(result.action).toMatch(/^set MARKET_DATA_TYPE=auto/);
  });

  it('warns, not fails, when some symbols have data and others none or no answer', () => {
    const result = marketDataCheck(config('auto'), probe([live('SPY'), none('XYZ', 10197), { symbol: 'MSFT', data: 'unknown', codes: [{ code: 200, message: 'ambiguous' }] }]));
    expect(result.status).toBe('warn');
    expect(result.finding).toBe('live data for SPY; no data for XYZ; no answer for MSFT');
  });

  it('warns when nothing at all was answered, and when there is no test symbol', () => {
    expect(marketDataCheck(config('auto'), probe([{ symbol: 'SPY', data: 'unknown', codes: [] }])).status).toBe('warn');
    const noSymbols = marketDataCheck(config('auto'), undefined, 'the scanner failed');
    expect(noSymbols).toMatchObject({ status: 'warn', finding: 'no test symbol to subscribe to: the scanner failed' });
  });
});

describe('historicalDataCheck', () => {
  const bars = [{ timeMs: Date.UTC(2026, 10, 23, 15, 0), open: 1, high: 1, low: 1, close: 10.5, volume: 1 }];

  it('is ok with bars', () => {
    expect(historicalDataCheck('SPY', { bars })).toMatchObject({ status: 'ok', finding: '1 bars of 5 mins for SPY (last 2026-11-23 10:00 ET, close 10.50)' });
  });

  it('fails on 162 without permission, warns on 162 pacing, 200 and timeouts', () => {
    const permission = historicalDataCheck('SPY', { error: new BrokerRequestError(162, 'Historical Market Data Service error message:No market data permissions for NYSE STK') });
    expect(permission.status).toBe('fail');
    expect(permission.finding).toBe('SPY: IB 162 — no permission for historical data (Historical Market Data Service error message:No market data permissions for NYSE STK): the day-trader cannot compute RSI/ATR, so it never enters');
    expect(historicalDataCheck('SPY', { error: new BrokerRequestError(162, 'Historical data request pacing violation') }).status).toBe('warn');
    expect(historicalDataCheck('SPY', { error: new BrokerRequestError(200, 'ambiguous') }).status).toBe('warn');
    expect(historicalDataCheck('SPY', { error: new BrokerTimeout('no answer') }).status).toBe('warn');
    expect(historicalDataCheck('SPY', { bars: [] }).status).toBe('warn');
  });

  it('asks for a session of 5-minute bars that differs from the request of a second earlier (IB refuses identical ones within 15 s)', () => {
    const now = Date.UTC(2026, 10, 23, 15, 0, 7);
    expect(historyRequest(now)).toEqual({ barSize: '5 mins', duration: '23393 S', useRth: false });
    expect(historyRequest(now + 1000).duration).not.toBe(historyRequest(now).duration);
  });
});
