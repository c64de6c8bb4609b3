/**
 * What IB's market-data and order codes mean to someone setting up an account (TWS API message codes; the
 * simulator answers with the same codes and texts).
 */
const MEANINGS: Record<number, string> = {
  162: 'historical data refused: no permission for the exchange, or a pacing violation',
  200: 'no security definition, or ambiguous on SMART (needs the conId or primary exchange)',
  201: 'order rejected',
  321: 'request refused by validation (read-only API, or an invalid field)',
  354: 'no market data subscription for live data',
  10089: 'no real-time subscription; delayed data is available',
  10090: 'part of the requested data is not subscribed',
  10091: 'part of the requested data is not subscribed',
  10167: 'showing delayed data',
  10168: 'delayed data is not enabled: no data at all',
  10197: 'no market data during a competing live session (the same user is logged in elsewhere)',
};

export function codeMeaning(code: number): string | undefined {
  return MEANINGS[code];
}

/** "10089 no real-time subscription; delayed data is available" (or the text IB sent when the code is not known here). */
export function describeCode(code: number, message?: string): string {
  return `${code} ${MEANINGS[code] ?? (message || 'no description')}`;
}
