import { AppError, EXIT_CONFIG } from '../../../shared/errors/errors';

/**
 * What went wrong with market data, so the server can branch on it (an unknown symbol becomes IB
 * error 200 "No security definition"; a bad replay file stops the simulator at start-up).
 */
export type MarketDataErrorReason =
  | 'bad-csv' // a replay file that does not parse or breaks an OHLC/time rule
  | 'bad-directory' // the replay folder is missing or has no <SYMBOL>.csv
  | 'unknown-symbol'
  | 'not-a-trading-day' // a daily bar asked for a weekend or holiday
  | 'bad-argument'; // a malformed day string, a non-positive price, a universe that is too small

/**
 * A user error (bad replay data or a request for data that does not exist). The message names the
 * file and line when a file is at fault, so the operator can fix it without a debugger.
 */
export class MarketDataError extends AppError {
  readonly kind = 'user' as const;
  readonly exitCode = EXIT_CONFIG;
  constructor(
    readonly reason: MarketDataErrorReason,
    detail: string,
    readonly location?: { readonly file: string; readonly line?: number },
  ) {
    super(location ? `${location.file}${location.line === undefined ? '' : `:${location.line}`}: ${detail}` : detail);
  }
}
