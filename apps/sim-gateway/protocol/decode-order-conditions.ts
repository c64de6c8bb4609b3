/**
 * The order-conditions block of PLACE_ORDER (encoder.js `placeOrder`, PEGGED_TO_BENCHMARK part):
 * a count, then per condition its type code and conjunction ("a"/"o"), then type-specific fields;
 * when the count is > 0, two flags follow (conditionsIgnoreRth, conditionsCancelOrder).
 * An unknown type code makes the rest of the message unreadable (its field count is unknown).
 */
import type { ClientOrderCondition } from './client-order-types';
import { ProtocolError } from './errors';
import type { FieldCursor } from './field-cursor';

/** @stoqey/ib OrderConditionType values. */
const CONDITION_TYPE = { price: 1, time: 3, margin: 4, execution: 5, volume: 6, percentChange: 7 } as const;

/** Smallest condition on the wire: type, conjunction, isMore, value (time and margin). */
const MIN_FIELDS_PER_CONDITION = 4;

export interface DecodedConditions {
  readonly conditions: ClientOrderCondition[];
  readonly conditionsIgnoreRth: boolean;
  readonly conditionsCancelOrder: boolean;
}

export function readOrderConditions(cursor: FieldCursor): DecodedConditions {
  const conditionCount = cursor.count('conditions.count', MIN_FIELDS_PER_CONDITION);
  const conditions: ClientOrderCondition[] = [];
  for (let index = 0; index < conditionCount; index += 1) {
    conditions.push(readCondition(cursor, `conditions[${index}]`));
  }
  if (conditionCount === 0) return { conditions, conditionsIgnoreRth: false, conditionsCancelOrder: false };
  return {
    conditions,
    conditionsIgnoreRth: cursor.bool('conditionsIgnoreRth'),
    conditionsCancelOrder: cursor.bool('conditionsCancelOrder'),
  };
}

function readCondition(cursor: FieldCursor, name: string): ClientOrderCondition {
  const typeCode = cursor.int(`${name}.type`);
  const conjunction = cursor.string(`${name}.conjunctionConnection`);
  switch (typeCode) {
    case CONDITION_TYPE.execution:
      return {
        kind: 'execution',
        conjunction,
        secType: cursor.string(`${name}.secType`),
        exchange: cursor.string(`${name}.exchange`),
        symbol: cursor.string(`${name}.symbol`),
      };
    case CONDITION_TYPE.margin:
      return { kind: 'margin', conjunction, isMore: cursor.bool(`${name}.isMore`), percent: cursor.optionalDouble(`${name}.percent`) };
    case CONDITION_TYPE.time:
      return { kind: 'time', conjunction, isMore: cursor.bool(`${name}.isMore`), time: cursor.string(`${name}.time`) };
    case CONDITION_TYPE.price:
      return {
        kind: 'price',
        conjunction,
        isMore: cursor.bool(`${name}.isMore`),
        price: cursor.optionalDouble(`${name}.price`),
        conId: cursor.int(`${name}.conId`),
        exchange: cursor.string(`${name}.exchange`),
        triggerMethod: cursor.int(`${name}.triggerMethod`),
      };
    case CONDITION_TYPE.volume:
      return {
        kind: 'volume',
        conjunction,
        isMore: cursor.bool(`${name}.isMore`),
        volume: cursor.optionalDouble(`${name}.volume`),
        conId: cursor.int(`${name}.conId`),
        exchange: cursor.string(`${name}.exchange`),
      };
    case CONDITION_TYPE.percentChange:
      return {
        kind: 'percentChange',
        conjunction,
        isMore: cursor.bool(`${name}.isMore`),
        changePercent: cursor.optionalDouble(`${name}.changePercent`),
        conId: cursor.int(`${name}.conId`),
        exchange: cursor.string(`${name}.exchange`),
      };
    default:
      throw new ProtocolError('malformed-field', `PLACE_ORDER: ${name}.type ${typeCode} is not a known order condition type`);
  }
}
