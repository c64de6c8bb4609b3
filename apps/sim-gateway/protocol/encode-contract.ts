/**
 * CONTRACT_DATA (10) at v193: 42 fields, one slot per read of decoder.js `decodeMsg_CONTRACT_DATA`.
 * From SIZE_RULES (164) there is no version field and the decoder uses version 8; from
 * LAST_TRADE_DATE (182) a lastTradeDate field follows lastTradeDateOrContractMonth.
 * A secType of "FUND" makes the decoder read 17 fund fields before the ineligibility count; they
 * are inserted with empty values.
 */
import { escapeNonAscii } from './encode-session';
import { defineFieldTemplate } from './field-template';
import { ServerMessageId } from './message-ids';
import type { ServerContract } from './server-contract';
import type { WireField } from './wire-format';

export const CONTRACT_DATA_TEMPLATE = defineFieldTemplate('CONTRACT_DATA', [
  ['messageId', ServerMessageId.CONTRACT_DATA],
  ['reqId', -1],
  ['symbol', ''],
  ['secType', ''],
  ['lastTradeDateOrContractMonth', ''], // readLastTradeDate: "date[-time]"
  ['lastTradeDate', ''],
  ['strike', 0],
  ['right', ''],
  ['exchange', ''],
  ['currency', ''],
  ['localSymbol', ''],
  ['marketName', ''],
  ['tradingClass', ''],
  ['conId', 0],
  ['minTick', 0.01],
  ['multiplier', ''], // readDouble: "" -> 0 (no mdSizeMultiplier at >= SIZE_RULES)
  ['orderTypes', ''], // comma-separated
  ['validExchanges', ''], // comma-separated
  ['priceMagnifier', 1], // version >= 2
  ['underConId', 0], // version >= 4
  ['longName', ''], // version >= 5, \uXXXX un-escaped by the client
  ['primaryExchange', ''], // -> contract.primaryExch
  ['contractMonth', ''], // version >= 6
  ['industry', ''],
  ['category', ''],
  ['subcategory', ''],
  ['timeZoneId', ''],
  ['tradingHours', ''],
  ['liquidHours', ''],
  ['evRule', ''], // version >= 8
  ['evMultiplier', 0],
  ['secIdListCount', 0], // ! version >= 7: pairs follow
  ['aggGroup', 1], // AGG_GROUP
  ['underSymbol', ''], // UNDERLYING_INFO
  ['underSecType', ''],
  ['marketRuleIds', ''], // MARKET_RULES
  ['realExpirationDate', ''], // REAL_EXPIRATION_DATE
  ['stockType', ''], // STOCK_TYPE, e.g. "COMMON"
  ['minSize', 1], // SIZE_RULES: readDecimal
  ['sizeIncrement', 1],
  ['suggestedSizeIncrement', 1],
  ['ineligibilityReasonCount', 0], // ! INELIGIBILITY_REASONS: (id, description) pairs follow
]);

/** FUND_DATA_FIELDS: fundName .. fundAssetType, with fundClosed, fundClosedForNewInvestors and
 * fundClosedForNewMoney (positions 7-9) read as booleans. */
const FUND_DEFAULT_FIELDS: readonly WireField[] = ['', '', '', '', '', '', '', false, false, false, '', '', '', '', '', '', ''];

export interface ContractDataInput {
  readonly reqId: number;
  readonly contract: ServerContract;
  readonly marketName?: string;
  readonly longName?: string;
  readonly minTick?: number;
  /** e.g. "ACTIVETIM,AD,ADJUST,ALERT,ALLOC,...,LMT,MKT,STP,STPLMT,TRAIL". */
  readonly orderTypes?: string;
  /** e.g. "SMART,NASDAQ,ARCA,...". */
  readonly validExchanges?: string;
  readonly industry?: string;
  readonly category?: string;
  readonly subcategory?: string;
  /** IANA-style id as TWS sends it, e.g. "US/Eastern". */
  readonly timeZoneId?: string;
  /** e.g. "20261123:0400-20261123:2000;20261124:CLOSED". */
  readonly tradingHours?: string;
  readonly liquidHours?: string;
  readonly stockType?: string;
  readonly marketRuleIds?: string;
}

export function contractDataFields(input: ContractDataInput): WireField[] {
  const contract = input.contract;
  const fields = CONTRACT_DATA_TEMPLATE.fill({
    reqId: input.reqId,
    symbol: contract.symbol,
    secType: contract.secType,
    lastTradeDateOrContractMonth: contract.lastTradeDateOrContractMonth,
    strike: contract.strike,
    right: contract.right,
    exchange: contract.exchange,
    currency: contract.currency,
    localSymbol: contract.localSymbol,
    marketName: input.marketName,
    tradingClass: contract.tradingClass,
    conId: contract.conId,
    minTick: input.minTick,
    multiplier: contract.multiplier,
    orderTypes: input.orderTypes,
    validExchanges: input.validExchanges,
    longName: input.longName === undefined ? undefined : escapeNonAscii(input.longName),
    primaryExchange: contract.primaryExchange,
    industry: input.industry,
    category: input.category,
    subcategory: input.subcategory,
    timeZoneId: input.timeZoneId,
    tradingHours: input.tradingHours,
    liquidHours: input.liquidHours,
    stockType: input.stockType,
    marketRuleIds: input.marketRuleIds,
  });
  if (contract.secType === 'FUND') {
    fields.splice(CONTRACT_DATA_TEMPLATE.indexOf('ineligibilityReasonCount'), 0, ...FUND_DEFAULT_FIELDS);
  }
  return fields;
}

/** decodeMsg_CONTRACT_DATA_END: version, reqId. Sent after every CONTRACT_DATA of a request. */
export function contractDataEndFields(reqId: number): WireField[] {
  return [ServerMessageId.CONTRACT_DATA_END, 1, reqId];
}
