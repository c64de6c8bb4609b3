/**
 * The contract as our server encoders take it. Which of these fields a message carries differs per
 * message (PORTFOLIO_VALUE has primaryExch but no exchange, POSITION the reverse, ...): each
 * encoder picks its own, in its decoder's order.
 */
export interface ServerContract {
  readonly conId: number;
  readonly symbol: string;
  /** "STK", "OPT", "FUT", ... */
  readonly secType: string;
  /** Routing exchange, e.g. "SMART". */
  readonly exchange: string;
  readonly currency: string;
  /** Listing exchange, e.g. "NASDAQ" (the client's `primaryExch`). */
  readonly primaryExchange?: string;
  readonly localSymbol?: string;
  readonly tradingClass?: string;
  readonly lastTradeDateOrContractMonth?: string;
  readonly strike?: number;
  /** "C"/"P" for options; anything else reads as undefined on the client. */
  readonly right?: string;
  readonly multiplier?: number;
}
