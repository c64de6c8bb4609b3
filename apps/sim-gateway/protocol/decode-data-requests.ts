/**
 * Client requests that carry a contract or a long parameter list, at server version 193, in the
 * field order of @stoqey/ib encoder.js (method named in each comment). The cursor starts after
 * the message id.
 */
import type { ClientRequest } from './client-request-types';
import { isBagContract, readContractBase, readDeltaNeutralContract, readShortComboLegs } from './decode-contract';
import type { FieldCursor } from './field-cursor';

type RequestOf<K extends ClientRequest['kind']> = Extract<ClientRequest, { kind: K }>;

/** `reqMktData`: version 11, reqId, contract, [BAG legs], delta-neutral flag [+3], genericTickList,
 * snapshot, regulatorySnapshot, mktDataOptions (always "" from this client). */
export function decodeReqMktData(cursor: FieldCursor): RequestOf<'reqMktData'> {
  cursor.int('version');
  const reqId = cursor.int('reqId');
  const baseContract = readContractBase(cursor);
  const comboLegs = isBagContract(baseContract) ? readShortComboLegs(cursor) : undefined;
  const deltaNeutralContract = readDeltaNeutralContract(cursor);
  return {
    kind: 'reqMktData',
    reqId,
    contract: {
      ...baseContract,
      ...(comboLegs ? { comboLegs } : {}),
      ...(deltaNeutralContract ? { deltaNeutralContract } : {}),
    },
    genericTickList: cursor.string('genericTickList'),
    snapshot: cursor.bool('snapshot'),
    regulatorySnapshot: cursor.bool('regulatorySnapshot'),
    mktDataOptions: cursor.string('mktDataOptions'),
  };
}

/** `reqContractDetails`: version 8, reqId, contract, includeExpired, secIdType, secId, issuerId. */
export function decodeReqContractData(cursor: FieldCursor): RequestOf<'reqContractData'> {
  cursor.int('version');
  const reqId = cursor.int('reqId');
  const baseContract = readContractBase(cursor);
  return {
    kind: 'reqContractData',
    reqId,
    contract: {
      ...baseContract,
      includeExpired: cursor.bool('contract.includeExpired'),
      secIdType: cursor.string('contract.secIdType'),
      secId: cursor.string('contract.secId'),
      issuerId: cursor.string('contract.issuerId'),
    },
  };
}

/** `reqHistoricalData`: no version (SYNT_REALTIME_BARS), reqId, contract, includeExpired,
 * endDateTime, barSizeSetting, durationStr, useRTH, whatToShow, formatDate, [BAG legs],
 * keepUpToDate, chartOptions. Note barSizeSetting comes BEFORE durationStr on the wire although
 * the API method takes them the other way round. */
export function decodeReqHistoricalData(cursor: FieldCursor): RequestOf<'reqHistoricalData'> {
  const reqId = cursor.int('reqId');
  const baseContract = readContractBase(cursor);
  const includeExpired = cursor.bool('contract.includeExpired');
  const endDateTime = cursor.string('endDateTime');
  const barSizeSetting = cursor.string('barSizeSetting');
  const durationStr = cursor.string('durationStr');
  const useRTH = cursor.bool('useRTH');
  const whatToShow = cursor.string('whatToShow');
  const formatDate = cursor.int('formatDate');
  const comboLegs = isBagContract(baseContract) ? readShortComboLegs(cursor) : undefined;
  return {
    kind: 'reqHistoricalData',
    reqId,
    contract: { ...baseContract, includeExpired, ...(comboLegs ? { comboLegs } : {}) },
    endDateTime,
    barSizeSetting,
    durationStr,
    useRTH,
    whatToShow,
    formatDate,
    keepUpToDate: cursor.bool('keepUpToDate'),
    chartOptions: cursor.tagValues('chartOptions'),
  };
}

/** `reqScannerSubscription`: no version (SCANNER_GENERIC_OPTS), reqId, 20 subscription fields,
 * then the filter options and the subscription options, each one `tag=value;` string. */
export function decodeReqScannerSubscription(cursor: FieldCursor): RequestOf<'reqScannerSubscription'> {
  const reqId = cursor.int('reqId');
  const subscription = {
    numberOfRows: cursor.optionalInt('numberOfRows'),
    instrument: cursor.string('instrument'),
    locationCode: cursor.string('locationCode'),
    scanCode: cursor.string('scanCode'),
    abovePrice: cursor.optionalDouble('abovePrice'),
    belowPrice: cursor.optionalDouble('belowPrice'),
    aboveVolume: cursor.optionalInt('aboveVolume'),
    marketCapAbove: cursor.optionalDouble('marketCapAbove'),
    marketCapBelow: cursor.optionalDouble('marketCapBelow'),
    moodyRatingAbove: cursor.string('moodyRatingAbove'),
    moodyRatingBelow: cursor.string('moodyRatingBelow'),
    spRatingAbove: cursor.string('spRatingAbove'),
    spRatingBelow: cursor.string('spRatingBelow'),
    maturityDateAbove: cursor.string('maturityDateAbove'),
    maturityDateBelow: cursor.string('maturityDateBelow'),
    couponRateAbove: cursor.optionalDouble('couponRateAbove'),
    couponRateBelow: cursor.optionalDouble('couponRateBelow'),
    excludeConvertible: cursor.bool('excludeConvertible'),
    averageOptionVolumeAbove: cursor.optionalInt('averageOptionVolumeAbove'),
    scannerSettingPairs: cursor.string('scannerSettingPairs'),
    stockTypeFilter: cursor.string('stockTypeFilter'),
  };
  return {
    kind: 'reqScannerSubscription',
    reqId,
    subscription,
    filterOptions: cursor.tagValues('scannerSubscriptionFilterOptions'),
    subscriptionOptions: cursor.tagValues('scannerSubscriptionOptions'),
  };
}

/** `reqExecutions`: version 3, reqId, then the ExecutionFilter fields. */
export function decodeReqExecutions(cursor: FieldCursor): RequestOf<'reqExecutions'> {
  cursor.int('version');
  return {
    kind: 'reqExecutions',
    reqId: cursor.int('reqId'),
    filter: {
      clientId: cursor.optionalInt('filter.clientId'),
      acctCode: cursor.string('filter.acctCode'),
      time: cursor.string('filter.time'),
      symbol: cursor.string('filter.symbol'),
      secType: cursor.string('filter.secType'),
      exchange: cursor.string('filter.exchange'),
      side: cursor.string('filter.side'),
    },
  };
}
