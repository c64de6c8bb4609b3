import type { ResolvedConfig } from '../../shared/config/schema';
import { check, type CheckResult } from './doctor-model';
import { formatPrice } from './format';
import { describeCode } from './ib-codes';
import type { MarketDataProbe, SymbolProbe } from './market-data-probe';

const SUBSCRIBE =
  'subscribe in Client Portal → Settings → Market Data Subscriptions (a paper account uses the live user\'s subscriptions once ' +
  '"share real-time market data with the paper account" is on in Settings → Paper Trading Account)';

function symbolLine(probe: SymbolProbe, connectionCode: { code?: number; message?: string } | undefined): string {
  // The adapter says once per connection that data is unavailable; the symbols after the first get no code of their own.
  const inherited = probe.data === 'none' && probe.codes.length === 0 && connectionCode?.code !== undefined ? [{ code: connectionCode.code, message: connectionCode.message ?? '' }] : [];
  const codes = [...probe.codes, ...inherited].map((c) => describeCode(c.code, c.message)).join('; ');
  const quote = probe.quote ? `bid ${formatPrice(probe.quote.bid)} ask ${formatPrice(probe.quote.ask)} last ${formatPrice(probe.quote.last)}` : '';
  const what = probe.data === 'unknown' ? 'no answer' : probe.data;
  return [probe.symbol.padEnd(8), what.padEnd(9), [codes, quote].filter(Boolean).join('; ') || (probe.data === 'unknown' ? 'no tick and no error' : '')].join(' ').trimEnd();
}

function listOf(probes: readonly SymbolProbe[]): string {
  return probes.map((p) => p.symbol).join(', ');
}

/**
 * Live, delayed or no data per test symbol, judged for trading: all live is in place; delayed data works but
 * the bots then decide on the market of 15 minutes ago (a warning that says so); no data for any symbol
 * fails (the day-trader cannot enter, the exit manager cannot trail). Pure.
 */
export function marketDataCheck(config: Pick<ResolvedConfig, 'marketData'>, probe: MarketDataProbe | undefined, symbolProblem?: string): CheckResult {
  const type = config.marketData.type;
  if (!probe || probe.symbols.length === 0) {
    return check('marketData', 'warn', `no test symbol to subscribe to${symbolProblem ? `: ${symbolProblem}` : ''}`, {
      action: 'name some with --symbols SPY,AAPL,MSFT', details: { marketDataType: type, symbols: [] },
    });
  }
  const by = (data: SymbolProbe['data']) => probe.symbols.filter((p) => p.data === data);
  const live = by('live');
  const delayed = by('delayed');
  const none = by('none');
  const unknown = by('unknown');
  const lines = probe.symbols.map((p) => symbolLine(p, probe.stateChange));
  const details = {
    marketDataType: type, connectionState: probe.state, stateChange: probe.stateChange ?? null, waitedMs: probe.waitedMs,
    symbols: probe.symbols.map((p) => ({ symbol: p.symbol, data: p.data, codes: p.codes, quote: p.quote ?? null })),
  };
  const code = probe.stateChange?.code;

  if (live.length + delayed.length === 0) {
    if (none.length === 0) {
      return check('marketData', 'warn', `no quote and no error for ${listOf(unknown)} within ${Math.round(probe.waitedMs / 1000)} s (MARKET_DATA_TYPE=${type})`, {
        action: 'check the data farm notices in IB Gateway / TWS (2103/2108: farm broken), or name other symbols with --symbols', lines, details,
      });
    }
    if (type === 'live' && (code === 10089 || none.some((p) => p.codes.some((c) => c.code === 10089)))) {
      return check('marketData', 'fail', 'no live data: the account has no real-time subscription (IB 10089: delayed data is available), and MARKET_DATA_TYPE=live refuses delayed data', {
        action: `set MARKET_DATA_TYPE=auto (live when subscribed, else delayed) or delayed to trade on delayed data, or ${SUBSCRIBE}`, lines, details,
      });
    }
    return check('marketData', 'fail', `no market data at all for ${listOf(none)}${code ? ` (IB ${describeCode(code, probe.stateChange?.message)})` : ''}: the day-trader cannot enter and the exit manager cannot trail`, {
      action: SUBSCRIBE, lines, details,
    });
  }

  const gaps: string[] = [];
  if (none.length > 0) gaps.push(`no data for ${listOf(none)}`);
  if (unknown.length > 0) gaps.push(`no answer for ${listOf(unknown)}`);
  if (delayed.length > 0) {
    const scope = live.length === 0 ? `delayed data only (${listOf(delayed)})` : `delayed data for ${listOf(delayed)}, live for ${listOf(live)}`;
    return check('marketData', 'warn',
      `${scope}: IB's 15-minute delayed quotes — the bots will trade on quotes 15 minutes old (entries, spreads and trailing stops judged on the market of 15 minutes ago; the broker-side stops still trigger on the real market)${gaps.length ? `; ${gaps.join('; ')}` : ''}`,
      { action: `for real-time quotes ${SUBSCRIBE}; to trade on delayed data on purpose, keep MARKET_DATA_TYPE=${type === 'live' ? 'auto' : type}`, lines, details });
  }
  if (gaps.length > 0) {
    return check('marketData', 'warn', `live data for ${listOf(live)}; ${gaps.join('; ')}`, {
      action: `symbols without data are not traded well: ${SUBSCRIBE} for their exchanges`, lines, details,
    });
  }
  const note = type === 'delayed' ? ' (IB sends live data when the account has it, even with MARKET_DATA_TYPE=delayed)' : '';
  return check('marketData', 'ok', `live data for every test symbol (${listOf(live)})${note}`, { lines, details });
}
