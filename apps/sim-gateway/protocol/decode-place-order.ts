/**
 * PLACE_ORDER (3) at server version 193, field by field in the order of @stoqey/ib encoder.js
 * `placeOrder`. No version field (omitted from ORDER_CONTAINER = 145 on). Conditional blocks and
 * the condition the encoder uses to send them:
 *
 * - combo legs, order combo leg prices, smart combo routing params: contract secType BAG;
 * - 8 delta-neutral fields: deltaNeutralOrderType non-empty;
 * - 7 scale fields: scalePriceIncrement set;
 * - hedgeParam: hedgeType non-empty; algo params: algoStrategy non-empty;
 * - 5 pegged-to-benchmark fields: orderType "PEG BENCH"/"PEGBENCH";
 * - conditionsIgnoreRth/CancelOrder: at least one condition;
 * - minTradeQty: exchange IBKRATS; minCompeteSize + competeAgainstBestOffset: PEG BEST;
 *   midOffsetAtWhole/Half: PEG MID, or PEG BEST with competeAgainstBestOffset = Infinity.
 *
 * Not sent at 193: faProfile (dropped at FA_PROFILE_DESUPPORT 177), the RFQ fields (only
 * 187 <= v < 190).
 */
import type { ClientContract, ClientOrderComboLeg, PlacedOrder } from './client-order-types';
import type { ClientRequest } from './client-request-types';
import { isBagContract, readContractBase, readDeltaNeutralContract } from './decode-contract';
import { readOrderConditions } from './decode-order-conditions';
import {
  isOrderType,
  readAdjustedFields,
  readAlgoFields,
  readExtendedFields,
  readMiscFields,
  readPegBenchFields,
  readPegBestMidFields,
  readRoutingFields,
  readTrailAndScaleFields,
  readVolatilityFields,
} from './decode-order-fields';
import type { FieldCursor } from './field-cursor';

export type PlaceOrderRequest = Extract<ClientRequest, { kind: 'placeOrder' }>;

/** The cursor starts after the message id; the caller checks that nothing is left over. */
export function decodePlaceOrder(cursor: FieldCursor): PlaceOrderRequest {
  const orderId = cursor.int('orderId');
  const baseContract = readContractBase(cursor);
  const secIdType = cursor.string('contract.secIdType');
  const secId = cursor.string('contract.secId');
  const main = readMainFields(cursor);
  const bag = isBagContract(baseContract) ? readBagFields(cursor) : undefined;
  cursor.string('sharesAllocation'); // deprecated, always "" (encoder.js: "send deprecated sharesAllocation field")
  const extended = readExtendedFields(cursor);
  const volatility = readVolatilityFields(cursor);
  const trailAndScale = readTrailAndScaleFields(cursor);
  const routing = readRoutingFields(cursor);
  const deltaNeutralContract = readDeltaNeutralContract(cursor);
  const algo = readAlgoFields(cursor);
  const pegBench = isOrderType(main.orderType, 'PEG BENCH') ? readPegBenchFields(cursor) : {};
  const conditions = readOrderConditions(cursor);
  const adjusted = readAdjustedFields(cursor);
  const misc = readMiscFields(cursor);
  const pegBestMid = readPegBestMidFields(cursor, baseContract.exchange, main.orderType);
  const tail = {
    customerAccount: cursor.string('customerAccount'),
    professionalCustomer: cursor.bool('professionalCustomer'),
    includeOvernight: cursor.bool('includeOvernight'),
    manualOrderIndicator: cursor.optionalInt('manualOrderIndicator'),
  };

  const contract: ClientContract = {
    ...baseContract,
    secIdType,
    secId,
    ...(bag ? { comboLegs: bag.comboLegs } : {}),
    ...(deltaNeutralContract ? { deltaNeutralContract } : {}),
  };
  const order: PlacedOrder = {
    ...main,
    orderComboLegPrices: bag?.orderComboLegPrices ?? [],
    smartComboRoutingParams: bag?.smartComboRoutingParams ?? [],
    ...extended,
    ...volatility,
    ...trailAndScale,
    ...routing,
    ...algo,
    ...pegBench,
    ...conditions,
    ...adjusted,
    ...misc,
    ...pegBestMid,
    ...tail,
  };
  return { kind: 'placeOrder', orderId, contract, order };
}

function readMainFields(cursor: FieldCursor) {
  return {
    action: cursor.string('action'),
    totalQuantity: cursor.optionalDouble('totalQuantity'),
    orderType: cursor.string('orderType'),
    lmtPrice: cursor.optionalDouble('lmtPrice'),
    auxPrice: cursor.optionalDouble('auxPrice'),
    tif: cursor.string('tif'),
    ocaGroup: cursor.string('ocaGroup'),
    account: cursor.string('account'),
    openClose: cursor.string('openClose'),
    origin: cursor.optionalInt('origin'),
    orderRef: cursor.string('orderRef'),
    transmit: cursor.bool('transmit'),
    parentId: cursor.int('parentId'),
    blockOrder: cursor.bool('blockOrder'),
    sweepToFill: cursor.bool('sweepToFill'),
    displaySize: cursor.optionalInt('displaySize'),
    triggerMethod: cursor.optionalInt('triggerMethod'),
    outsideRth: cursor.bool('outsideRth'),
    hidden: cursor.bool('hidden'),
  };
}

function readBagFields(cursor: FieldCursor) {
  const legCount = cursor.count('comboLegs.count', 8);
  const comboLegs: ClientOrderComboLeg[] = [];
  for (let index = 0; index < legCount; index += 1) {
    const leg = `comboLegs[${index}]`;
    comboLegs.push({
      conId: cursor.int(`${leg}.conId`),
      ratio: cursor.int(`${leg}.ratio`),
      action: cursor.string(`${leg}.action`),
      exchange: cursor.string(`${leg}.exchange`),
      openClose: cursor.int(`${leg}.openClose`),
      shortSaleSlot: cursor.int(`${leg}.shortSaleSlot`),
      designatedLocation: cursor.string(`${leg}.designatedLocation`),
      exemptCode: cursor.int(`${leg}.exemptCode`),
    });
  }
  const priceCount = cursor.count('orderComboLegs.count', 1);
  const orderComboLegPrices: Array<number | undefined> = [];
  for (let index = 0; index < priceCount; index += 1) {
    orderComboLegPrices.push(cursor.optionalDouble(`orderComboLegs[${index}].price`));
  }
  return { comboLegs, orderComboLegPrices, smartComboRoutingParams: cursor.tagValuePairs('smartComboRoutingParams') };
}

