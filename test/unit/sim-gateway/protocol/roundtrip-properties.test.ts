/**
 * Property-based round trips through the real client, both directions:
 * random orders encoded by @stoqey/ib's Encoder decode to the same values with our decoder, and
 * random orders/executions encoded by us decode to the intended values in @stoqey/ib's Decoder.
 */
import { Order, OrderAction, OrderType, SecType } from '@stoqey/ib';
import fc from 'fast-check';
import { openOrderFields, executionDataFields, errorMessageFields } from '../../../../apps/sim-gateway/protocol/server-messages';
import { captureRequest } from './client-capture';
import { AAPL } from './fixtures';
import { decodeWithClient } from './ib-client-harness';

const RUNS = 150;

const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((value) => !value.includes('\0'));
const price = fc.double({ min: 0.0001, max: 1e6, noNaN: true, noDefaultInfinity: true });
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** Order fields whose presence does not switch extra wire fields on. */
const randomOrder = fc.record({
  action: fc.constantFrom(OrderAction.BUY, OrderAction.SELL),
  totalQuantity: price,
  orderType: fc.constantFrom(OrderType.MKT, OrderType.LMT, OrderType.STP, OrderType.STP_LMT, OrderType.TRAIL, OrderType.TRAIL_LIMIT, OrderType.MOC),
  lmtPrice: optional(price),
  auxPrice: optional(price),
  tif: fc.constantFrom('DAY' as const, 'GTC' as const, 'IOC' as const),
  ocaGroup: text,
  ocaType: optional(fc.integer({ min: 1, max: 3 })),
  account: text,
  orderRef: text,
  transmit: fc.boolean(),
  parentId: fc.nat({ max: 2 ** 31 - 2 }),
  outsideRth: fc.boolean(),
  hidden: fc.boolean(),
  blockOrder: fc.boolean(),
  sweepToFill: fc.boolean(),
  allOrNone: fc.boolean(),
  displaySize: optional(fc.nat({ max: 100000 })),
  minQty: optional(fc.nat({ max: 100000 })),
  trailStopPrice: optional(price),
  trailingPercent: optional(fc.double({ min: 0.01, max: 50, noNaN: true })),
  goodAfterTime: text,
  goodTillDate: text,
  whatIf: fc.boolean(),
  notHeld: fc.boolean(),
  cashQty: optional(price),
  customerAccount: text,
  includeOvernight: fc.boolean(),
});

test('client -> server: every field of a random order survives Encoder -> bytes -> FrameReader -> decodeClientMessage', () => {
  fc.assert(
    fc.property(fc.nat({ max: 2 ** 31 - 2 }), randomOrder, text, (orderId, order, symbol) => {
      const request = captureRequest((encoder) => encoder.placeOrder(orderId, { symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD' }, order as Order));
      if (request.kind !== 'placeOrder') throw new Error(`decoded as ${request.kind}`);
      expect(request.orderId).toBe(orderId);
      expect(request.contract.symbol).toBe(symbol);
      const decoded = request.order as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(order)) {
        expect({ key, value: decoded[key] }).toEqual({ key, value });
      }
    }),
    { numRuns: RUNS },
  );
});

test('server -> client: a random open order decodes to the intended values in the client', () => {
  fc.assert(
    fc.property(
      fc.record({
        orderId: fc.nat({ max: 2 ** 31 - 2 }),
        symbol: text,
        action: fc.constantFrom('BUY', 'SELL'),
        totalQuantity: price,
        orderType: fc.constantFrom('LMT', 'STP', 'STP LMT', 'TRAIL', 'PEG BENCH'),
        lmtPrice: optional(price),
        auxPrice: optional(price),
        ocaGroup: text,
        ocaType: fc.integer({ min: 0, max: 3 }),
        orderRef: text,
        account: text,
        parentId: fc.nat({ max: 2 ** 31 - 2 }),
        permId: fc.nat({ max: 2 ** 31 - 2 }),
        clientId: fc.nat({ max: 32 }),
        trailStopPrice: optional(price),
        trailingPercent: optional(price),
        outsideRth: fc.boolean(),
        status: fc.constantFrom('PreSubmitted', 'Submitted', 'Filled', 'Cancelled'),
      }),
      (input) => {
        const { orderId, symbol, status, ...order } = input;
        const events = decodeWithClient(openOrderFields({ orderId, contract: { ...AAPL, symbol }, order: { ...order, tif: 'DAY' }, orderState: { status } }));
        expect(events.map((event) => event.name)).toEqual(['openOrder']);
        const [decodedId, contract, decodedOrder, orderState] = events[0]!.args as [number, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
        expect(decodedId).toBe(orderId);
        expect(contract.symbol).toBe(symbol);
        expect(orderState.status).toBe(status);
        for (const [key, value] of Object.entries(order)) {
          expect({ key, value: decodedOrder[key] }).toEqual({ key, value });
        }
      },
    ),
    { numRuns: RUNS },
  );
});

test('server -> client: random executions and error texts', () => {
  fc.assert(
    fc.property(text, text, price, price, fc.integer({ min: -1, max: 1000 }), (execId, orderRef, shares, executionPrice, reqId) => {
      const events = decodeWithClient(
        executionDataFields({
          reqId, orderId: 5, contract: AAPL, execId, time: '20261123 09:31:02', account: 'DU1', executionExchange: 'ISLAND', side: 'SLD',
          shares, price: executionPrice, permId: 9, clientId: 7, cumQty: shares, avgPrice: executionPrice, orderRef,
        }),
      );
      expect(events).toEqual([
        { name: 'execDetails', args: [reqId, expect.anything(), expect.objectContaining({ execId, orderRef, shares, price: executionPrice, cumQty: shares, side: 'SLD' })] },
      ]);
    }),
    { numRuns: RUNS },
  );
  const errorText = fc.string({ unit: 'binary', maxLength: 30 }).filter((value) => !value.includes('\0') && !value.includes('\\'));
  fc.assert(
    fc.property(errorText, fc.integer({ min: 100, max: 10000 }), (message, code) => {
      expect(decodeWithClient(errorMessageFields({ id: 17, code, message }))).toEqual([{ name: 'error', args: [new Error(message), code, 17, undefined] }]);
    }),
    { numRuns: RUNS },
  );
});
