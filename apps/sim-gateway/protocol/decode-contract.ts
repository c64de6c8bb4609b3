/**
 * The contract fields shared by client requests. Every request that carries a contract at server
 * version 193 starts with the same 12 fields (encoder.js `reqMktData`, `placeOrder`,
 * `reqContractDetails`, `reqHistoricalData`); what follows differs per request and is read by
 * the request's decoder.
 */
import type { ClientComboLeg, ClientContract, ClientDeltaNeutralContract } from './client-order-types';
import type { FieldCursor } from './field-cursor';

/** conId, symbol, secType, lastTradeDateOrContractMonth, strike, right, multiplier, exchange,
 * primaryExch, currency, localSymbol, tradingClass. */
export function readContractBase(cursor: FieldCursor): ClientContract {
  return {
    conId: cursor.optionalInt('contract.conId'),
    symbol: cursor.string('contract.symbol'),
    secType: cursor.string('contract.secType'),
    lastTradeDateOrContractMonth: cursor.string('contract.lastTradeDateOrContractMonth'),
    strike: cursor.optionalDouble('contract.strike'),
    right: cursor.string('contract.right'),
    multiplier: cursor.optionalDouble('contract.multiplier'),
    exchange: cursor.string('contract.exchange'),
    primaryExchange: cursor.string('contract.primaryExch'),
    currency: cursor.string('contract.currency'),
    localSymbol: cursor.string('contract.localSymbol'),
    tradingClass: cursor.string('contract.tradingClass'),
  };
}

/** encoder.js sends combo legs only when `SecType.BAG === contract.secType?.toUpperCase()`. */
export function isBagContract(contract: ClientContract): boolean {
  return contract.secType.toUpperCase() === 'BAG';
}

/** Count, then conId, ratio, action, exchange per leg (REQ_MKT_DATA, REQ_HISTORICAL_DATA). */
export function readShortComboLegs(cursor: FieldCursor): ClientComboLeg[] {
  const legCount = cursor.count('comboLegs.count', 4);
  const legs: ClientComboLeg[] = [];
  for (let index = 0; index < legCount; index += 1) {
    legs.push({
      conId: cursor.int(`comboLegs[${index}].conId`),
      ratio: cursor.int(`comboLegs[${index}].ratio`),
      action: cursor.string(`comboLegs[${index}].action`),
      exchange: cursor.string(`comboLegs[${index}].exchange`),
    });
  }
  return legs;
}

/** A flag, then conId, delta, price when set (REQ_MKT_DATA, PLACE_ORDER). */
export function readDeltaNeutralContract(cursor: FieldCursor): ClientDeltaNeutralContract | undefined {
  if (!cursor.bool('deltaNeutralContract.present')) return undefined;
  return {
    conId: cursor.int('deltaNeutralContract.conId'),
    delta: cursor.optionalDouble('deltaNeutralContract.delta'),
    price: cursor.optionalDouble('deltaNeutralContract.price'),
  };
}
