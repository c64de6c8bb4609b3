/** Shared sample data for the protocol tests. */
import type { ServerContract } from '../../../../apps/sim-gateway/protocol/server-messages';

export const ACCOUNT_ID = 'DU1234567';

export const AAPL: ServerContract = {
  conId: 265598,
  symbol: 'AAPL',
  secType: 'STK',
  exchange: 'SMART',
  primaryExchange: 'NASDAQ',
  currency: 'USD',
  localSymbol: 'AAPL',
  tradingClass: 'NMS',
};

/** What the client's decoders put in `contract` for AAPL when the message has no primaryExch. */
export const AAPL_AS_DECODED = {
  conId: 265598,
  symbol: 'AAPL',
  secType: 'STK',
  exchange: 'SMART',
  currency: 'USD',
  localSymbol: 'AAPL',
  tradingClass: 'NMS',
};
