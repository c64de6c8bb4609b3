/**
 * Order messages (OPEN_ORDER, COMPLETED_ORDER, ORDER_STATUS, EXECUTION_DATA, COMMISSION_REPORT and
 * their ends) decoded by @stoqey/ib's own Decoder at server version 193.
 */
import {
  COMPLETED_ORDER_TEMPLATE,
  commissionReportFields,
  completedOrderFields,
  CompletedOrderInput,
  completedOrdersEndFields,
  executionDataEndFields,
  executionDataFields,
  ExecutionInput,
  OPEN_ORDER_TEMPLATE,
  openOrderEndFields,
  openOrderFields,
  OpenOrderInput,
  orderStatusFields,
} from '../../../../apps/sim-gateway/protocol/server-messages';
import { AAPL, AAPL_AS_DECODED, ACCOUNT_ID } from './fixtures';
import { decodeWithClient, decodingErrorsFor, expectExactLayout } from './ib-client-harness';

const BRACKET_STOP_CHILD: OpenOrderInput = {
  orderId: 1002,
  contract: AAPL,
  order: {
    action: 'SELL',
    totalQuantity: 100,
    orderType: 'STP',
    auxPrice: 187.25,
    tif: 'DAY',
    account: ACCOUNT_ID,
    ocaGroup: 'oca-claim-17',
    ocaType: 1,
    orderRef: 'claim-17',
    permId: 551234,
    clientId: 7,
    parentId: 1001,
    outsideRth: true,
  },
  orderState: { status: 'PreSubmitted' },
};

function decodeOpenOrder(input: OpenOrderInput) {
  const events = decodeWithClient(openOrderFields(input));
  expect(events.map((event) => event.name)).toEqual(['openOrder']);
  const [orderId, contract, order, orderState] = events[0]!.args as [number, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
  return { orderId, contract, order, orderState };
}

describe('OPEN_ORDER', () => {
  test('has the 133 fields decodeMsg_OPEN_ORDER reads at v193', () => {
    expect(OPEN_ORDER_TEMPLATE.fieldCount).toBe(133);
    expect(openOrderFields(BRACKET_STOP_CHILD)).toHaveLength(133);
    expectExactLayout(openOrderFields(BRACKET_STOP_CHILD));
  });

  test('dropping any single field is noticed by the client (every slot is read)', () => {
    const fields = openOrderFields(BRACKET_STOP_CHILD);
    for (let index = 1; index < fields.length; index += 1) {
      const withoutOne = [...fields.slice(0, index), ...fields.slice(index + 1)];
      expect({ index, errors: decodingErrorsFor(withoutOne).length }).toEqual({ index, errors: 1 });
    }
  });

  test('a bracket stop child arrives with its ids, OCA group, orderRef and prices', () => {
    const { orderId, contract, order, orderState } = decodeOpenOrder(BRACKET_STOP_CHILD);
    expect(orderId).toBe(1002);
    expect(contract).toMatchObject(AAPL_AS_DECODED);
    expect(order).toMatchObject({
      orderId: 1002,
      action: 'SELL',
      totalQuantity: 100,
      orderType: 'STP',
      auxPrice: 187.25,
      tif: 'DAY',
      account: ACCOUNT_ID,
      ocaGroup: 'oca-claim-17',
      ocaType: 1,
      orderRef: 'claim-17',
      permId: 551234,
      clientId: 7,
      parentId: 1001,
      outsideRth: true,
    });
    expect(order.lmtPrice).toBeUndefined();
    expect(order.trailStopPrice).toBeUndefined();
    expect(orderState).toMatchObject({ status: 'PreSubmitted' });
    expect(orderState.commission).toBeUndefined();
  });

  test('a TRAIL order keeps trailStopPrice (read twice by the decoder) and trailingPercent', () => {
    const { order } = decodeOpenOrder({
      ...BRACKET_STOP_CHILD,
      order: { ...BRACKET_STOP_CHILD.order, orderType: 'TRAIL', auxPrice: undefined, trailStopPrice: 181.5, trailingPercent: 2.5 },
    });
    expect(order).toMatchObject({ orderType: 'TRAIL', trailStopPrice: 181.5, trailingPercent: 2.5 });
    expect(order.auxPrice).toBeUndefined();
  });

  test('a STP LMT what-if order carries both prices and the commission estimate', () => {
    const { order, orderState } = decodeOpenOrder({
      orderId: 1003,
      contract: AAPL,
      order: { action: 'BUY', totalQuantity: 10, orderType: 'STP LMT', lmtPrice: 190.1, auxPrice: 190, tif: 'GTC', account: ACCOUNT_ID, permId: 9, clientId: 7, whatIf: true, goodTillDate: '20261130 16:00:00 US/Eastern' },
      orderState: { status: 'PreSubmitted', commission: 1.02, minCommission: 1, maxCommission: 1.5, commissionCurrency: 'USD', initMarginAfter: 5000 },
    });
    expect(order).toMatchObject({ orderType: 'STP LMT', lmtPrice: 190.1, auxPrice: 190, tif: 'GTC', whatIf: true, goodTillDate: '20261130 16:00:00 US/Eastern', parentId: 0 });
    expect(orderState).toMatchObject({ commission: 1.02, minCommission: 1, maxCommission: 1.5, commissionCurrency: 'USD', initMarginAfter: 5000 });
  });

  test('a PEG BENCH order gets the 5 extra pegged-to-benchmark fields the decoder reads', () => {
    const fields = openOrderFields({ ...BRACKET_STOP_CHILD, order: { ...BRACKET_STOP_CHILD.order, orderType: 'PEG BENCH' } });
    expect(fields).toHaveLength(138);
    expectExactLayout(fields);
  });

  test('OPEN_ORDER_END', () => {
    expect(decodeWithClient(openOrderEndFields())).toEqual([{ name: 'openOrderEnd', args: [] }]);
    expectExactLayout(openOrderEndFields());
  });
});

const COMPLETED: CompletedOrderInput = {
  contract: AAPL,
  order: {
    action: 'BUY',
    totalQuantity: 100,
    orderType: 'LMT',
    lmtPrice: 189.5,
    tif: 'DAY',
    account: ACCOUNT_ID,
    orderRef: 'claim-17',
    ocaGroup: 'oca-claim-17',
    permId: 551233,
    filledQuantity: 100,
    parentPermId: 0,
  },
  orderState: { status: 'Filled', completedTime: '20261123 09:31:02 America/New_York', completedStatus: 'Filled Size: 100' },
};

describe('COMPLETED_ORDER', () => {
  test('has the 98 fields decodeMsg_COMPLETED_ORDER reads, every one of them', () => {
    const fields = completedOrderFields(COMPLETED);
    expect(COMPLETED_ORDER_TEMPLATE.fieldCount).toBe(98);
    expect(fields).toHaveLength(98);
    expectExactLayout(fields);
    for (let index = 1; index < fields.length; index += 1) {
      expect({ index, errors: decodingErrorsFor([...fields.slice(0, index), ...fields.slice(index + 1)]).length }).toEqual({ index, errors: 1 });
    }
  });

  test('arrives as completedOrder(contract, order, orderState) with status and fill', () => {
    const events = decodeWithClient(completedOrderFields(COMPLETED));
    expect(events).toHaveLength(1);
    expect(events[0]!.name).toBe('completedOrder');
    const [contract, order, orderState] = events[0]!.args as Array<Record<string, unknown>>;
    expect(contract).toMatchObject(AAPL_AS_DECODED);
    expect(order).toMatchObject({ action: 'BUY', totalQuantity: 100, orderType: 'LMT', lmtPrice: 189.5, orderRef: 'claim-17', ocaGroup: 'oca-claim-17', permId: 551233, filledQuantity: 100, parentPermId: 0 });
    expect(orderState).toEqual({ status: 'Filled', completedTime: '20261123 09:31:02 America/New_York', completedStatus: 'Filled Size: 100' });
  });

  test('PEG BENCH and COMPLETED_ORDERS_END (the id alone)', () => {
    expectExactLayout(completedOrderFields({ ...COMPLETED, order: { ...COMPLETED.order, orderType: 'PEGBENCH' } }));
    expect(completedOrdersEndFields()).toEqual([102]);
    expect(decodeWithClient(completedOrdersEndFields())).toEqual([{ name: 'completedOrdersEnd', args: [] }]);
    expect(decodingErrorsFor([102, 1])).toHaveLength(1);
  });
});

describe('ORDER_STATUS', () => {
  test('arrives as orderStatus with all 11 arguments', () => {
    const fields = orderStatusFields({
      orderId: 1001, status: 'Filled', filled: 100, remaining: 0, avgFillPrice: 189.47, permId: 551233,
      parentId: 0, lastFillPrice: 189.5, clientId: 7, whyHeld: '', mktCapPrice: 0,
    });
    expect(fields).toHaveLength(12);
    expectExactLayout(fields);
    expect(decodeWithClient(fields)).toEqual([
      { name: 'orderStatus', args: [1001, 'Filled', 100, 0, 189.47, 551233, 0, 189.5, 7, '', 0] },
    ]);
  });
});

const EXECUTION: ExecutionInput = {
  reqId: -1,
  orderId: 1001,
  contract: AAPL,
  execId: '0000e0d5.6553f1a1.01.01',
  time: '20261123 09:31:02 America/New_York',
  account: ACCOUNT_ID,
  executionExchange: 'ISLAND',
  side: 'BOT',
  shares: 60,
  price: 189.45,
  permId: 551233,
  clientId: 7,
  cumQty: 60,
  avgPrice: 189.45,
  orderRef: 'claim-17',
  lastLiquidity: 2,
};

describe('EXECUTION_DATA and COMMISSION_REPORT', () => {
  test('EXECUTION_DATA has 32 fields and arrives as execDetails(reqId, contract, execution)', () => {
    const fields = executionDataFields(EXECUTION);
    expect(fields).toHaveLength(32);
    expectExactLayout(fields);
    const events = decodeWithClient(fields);
    expect(events.map((event) => event.name)).toEqual(['execDetails']);
    const [reqId, contract, execution] = events[0]!.args as [number, Record<string, unknown>, Record<string, unknown>];
    expect(reqId).toBe(-1);
    expect(contract).toMatchObject(AAPL_AS_DECODED);
    expect(execution).toEqual({
      orderId: 1001, execId: '0000e0d5.6553f1a1.01.01', time: '20261123 09:31:02 America/New_York', acctNumber: ACCOUNT_ID,
      exchange: 'ISLAND', side: 'BOT', shares: 60, price: 189.45, permId: 551233, clientId: 7, liquidation: 0, cumQty: 60,
      avgPrice: 189.45, orderRef: 'claim-17', evRule: '', evMultiplier: undefined, modelCode: '', lastLiquidity: 2, pendingPriceRevision: false,
    });
  });

  test('EXECUTION_DATA_END', () => {
    expect(decodeWithClient(executionDataEndFields(42))).toEqual([{ name: 'execDetailsEnd', args: [42] }]);
    expectExactLayout(executionDataEndFields(42));
  });

  test('COMMISSION_REPORT: an opening fill has realizedPNL undefined, not 0', () => {
    const fields = commissionReportFields({ execId: EXECUTION.execId, commission: 0.35, currency: 'USD' });
    expectExactLayout(fields);
    expect(decodeWithClient(fields)).toEqual([
      { name: 'commissionReport', args: [{ execId: EXECUTION.execId, commission: 0.35, currency: 'USD', realizedPNL: undefined, yield: undefined, yieldRedemptionDate: 0 }] },
    ]);
    const closing = decodeWithClient(commissionReportFields({ execId: 'x.2', commission: 0.35, currency: 'USD', realizedPnl: -12.5 }));
    expect(closing[0]!.args[0]).toMatchObject({ realizedPNL: -12.5 });
  });
});
