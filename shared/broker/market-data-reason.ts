/**
 * IB's market-data messages are long and end with exchange codes ("Requested market data requires additional
 * subscription for API. See link in 'Market Data Connections' dialog for more details.Delayed market data is
 * available.BLTZ NASDAQ.NMS/TOP/ALL"). The status console and the dashboard show one line per process, so the
 * reason published there says what it means for the bots, with the code to look up; the log keeps IB's text.
 */
const KNOWN_REASONS: Readonly<Record<number, string>> = {
  354: 'no market data subscription',
  10089: 'no live subscription for the API',
  10090: 'part of the requested data needs a subscription',
  10167: 'live data not subscribed, delayed data shown',
  10168: 'delayed market data is not enabled',
  10197: 'no market data during a competing live session',
};

const MAX_REASON_CHARS = 80;

export function marketDataReason(code: number | undefined, message: string | undefined): string | undefined {
  const known = code !== undefined ? KNOWN_REASONS[code] : undefined;
  if (known) return `${known} (${code})`;
  if (!message) return code !== undefined ? `IB code ${code}` : undefined;
  const firstSentence = message.split(/(?<=\.)\s*/)[0]!.trim();
  const short = firstSentence.length > MAX_REASON_CHARS ? `${firstSentence.slice(0, MAX_REASON_CHARS - 1)}…` : firstSentence;
  return code !== undefined ? `${short} (${code})` : short;
}
