import { BrokerRequestError } from '../../shared/broker/ib/pending-requests';
import type { Bar } from '../../shared/broker/types';
import { BrokerTimeout, errorMessage } from '../../shared/errors/errors';
import { formatNewYork } from '../../shared/time/trading-calendar';
import { check, type CheckResult } from './doctor-model';
import { formatPrice } from './format';

/**
 * The day-trader scores candidates on RSI(14) and ATR(14) of 5-minute bars and the daily gap: without
 * history it cannot enter. The doctor asks once, for one symbol, with a request the bots never make (so it
 * cannot be refused as identical to one of theirs within 15 s).
 */
export const HISTORY_REQUEST = { barSize: '5 mins', useRth: false } as const;

/**
 * The request sent: about a session (6.5 hours) of 5-minute bars, as seconds that change with the clock's
 * second (23,341 to 23,400 S), so a doctor run a few seconds after the last is not the "identical request
 * within 15 s" IB refuses with 162. (It carries no end time: the adapter's end-time format is not one IB
 * reads, see the report.)
 */
export function historyRequest(nowMs: number): { barSize: '5 mins'; duration: string; useRth: boolean } {
  return { barSize: HISTORY_REQUEST.barSize, duration: `${23_400 - (Math.floor(nowMs / 1000) % 60)} S`, useRth: HISTORY_REQUEST.useRth };
}

export type HistoryOutcome = { bars: Bar[] } | { error: unknown };

export function historicalDataCheck(symbol: string | undefined, outcome: HistoryOutcome | undefined): CheckResult {
  if (!symbol || !outcome) return check('historicalData', 'warn', 'no test symbol to ask history for', { action: 'name one with --symbols' });
  const request = `${HISTORY_REQUEST.barSize} bars`;
  if ('bars' in outcome) {
    const last = outcome.bars[outcome.bars.length - 1];
    if (!last) {
      return check('historicalData', 'warn', `${symbol}: the request for ${request} was answered with no bars`, {
        action: 'try another symbol with --symbols; no bars at all means the day-trader cannot score candidates', details: { symbol, bars: 0 },
      });
    }
    return check('historicalData', 'ok', `${outcome.bars.length} bars of ${HISTORY_REQUEST.barSize} for ${symbol} (last ${formatNewYork(last.timeMs, 'yyyy-LL-dd HH:mm')} ET, close ${formatPrice(last.close)})`, {
      details: { symbol, bars: outcome.bars.length, lastBarMs: last.timeMs, lastClose: last.close },
    });
  }
  const error = outcome.error;
  // BrokerRequestError says "IB error 162: <text>": the code is named once, in the finding.
  const message = errorMessage(error).replace(/^IB error \d+: /, '');
  const details = { symbol, error: message, code: error instanceof BrokerRequestError ? error.code : null };
  if (error instanceof BrokerRequestError && error.code === 162) {
    if (/pacing/i.test(message)) {
      return check('historicalData', 'warn', `${symbol}: IB 162 pacing violation — too many history requests from this login just now (${message})`, {
        action: 'IB allows about 60 requests per 10 minutes and no identical request within 15 s: run the doctor again in a minute', details,
      });
    }
    return check('historicalData', 'fail', `${symbol}: IB 162 — no permission for historical data (${message}): the day-trader cannot compute RSI/ATR, so it never enters`, {
      action: 'historical data needs a market data subscription for the exchange: subscribe in Client Portal → Settings → Market Data Subscriptions', details,
    });
  }
  if (error instanceof BrokerRequestError && error.code === 200) {
    return check('historicalData', 'warn', `${symbol}: could not be checked — IB 200, the contract is unknown or ambiguous on SMART (${message})`, {
      action: 'name another symbol with --symbols (the bots use the scanner\'s conIds, which are never ambiguous)', details,
    });
  }
  if (error instanceof BrokerTimeout) {
    return check('historicalData', 'warn', `${symbol}: no answer within the request timeout (${message})`, {
      action: 'the HMDS data farm may be down (notice 2105): check IB Gateway / TWS, or raise IB_REQUEST_TIMEOUT_MS', details,
    });
  }
  if (error instanceof BrokerRequestError) {
    return check('historicalData', 'fail', `${symbol}: history request refused (IB ${error.code}): ${message}`, { action: 'fix what IB says, then run npm run doctor again', details });
  }
  return check('historicalData', 'warn', `${symbol}: no history: ${message}`, { action: 'run npm run doctor again', details });
}
