/**
 * Property-based robustness: whatever bytes or fields arrive, FrameReader and decodeClientMessage
 * either succeed or throw ProtocolError, never anything else, and always return.
 */
import { BarSizeSetting, ConjunctionConnection, Contract, OrderAction, OrderType, PriceCondition, SecType, TriggerMethod, WhatToShow } from '@stoqey/ib';
import fc from 'fast-check';
import { decodeClientMessage } from '../../../../apps/sim-gateway/protocol/client-messages';
import { ProtocolError } from '../../../../apps/sim-gateway/protocol/errors';
import { encodeFrame, FrameReader } from '../../../../apps/sim-gateway/protocol/framing';
import { ClientMessageId } from '../../../../apps/sim-gateway/protocol/message-ids';
import { captureFields } from './client-capture';

const RUNS = 400;

/** Runs `action`; returns normally on success or ProtocolError, rethrows anything else. */
function onlyProtocolErrors(action: () => unknown): boolean {
  try {
    action();
  } catch (error) {
    if (error instanceof ProtocolError) return true;
    throw error;
  }
  return true;
}

const API_HELLO = Buffer.concat([Buffer.from('API\0'), Buffer.from([0, 0, 0, 9]), Buffer.from('v100..193')]);

const bytes = fc.uint8Array({ maxLength: 64 }).map((array) => Buffer.from(array));

/** Field values that steer the decoders into their branches, plus arbitrary text and numbers. */
const field = fc.oneof(
  fc.constantFrom('', '0', '1', '-1', '2', '3', '8', '2147483647', '1.7976931348623157E308', 'Infinity', 'NaN', '1e+21', '9999999999',
    'BAG', 'PEG BENCH', 'PEG BEST', 'PEG MID', 'PEGBENCH', 'IBKRATS', 'LMT', 'a=b;', '=x;', '0.5', '-0', ' 1'),
  fc.integer().map(String),
  fc.double().map(String),
  fc.string({ maxLength: 8 }),
);
const knownIds = Object.values(ClientMessageId).map(String);
const messageId = fc.oneof(fc.constantFrom(...knownIds), fc.integer({ min: -5, max: 200 }).map(String), fc.string({ maxLength: 3 }));

describe('FrameReader never throws anything but ProtocolError, never hangs', () => {
  test('random chunks, with or without a valid handshake in front', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(bytes, { maxLength: 12 }), (withHello, expectHandshake, chunks) => {
        const reader = new FrameReader({ expectHandshake });
        const stream = withHello && expectHandshake ? [API_HELLO, ...chunks] : chunks;
        // After a ProtocolError every later push must throw ProtocolError ('reader-failed') too.
        for (const chunk of stream) onlyProtocolErrors(() => expect(Array.isArray(reader.push(chunk))).toBe(true));
      }),
      { numRuns: RUNS },
    );
  });

  test('a valid stream with corrupted, inserted or deleted bytes', () => {
    const valid = Buffer.concat([API_HELLO, encodeFrame(['71', '2', '7', '']), encodeFrame(['49', '1']), encodeFrame(['3', 'ünï ✓'])]);
    const corruption = fc.record({ kind: fc.constantFrom('set', 'insert', 'delete'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.array(corruption, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 16 }), (corruptions, chunkSize) => {
        const stream = [...valid];
        for (const change of corruptions) {
          const at = change.at % stream.length;
          if (change.kind === 'set') stream[at] = change.value;
          else if (change.kind === 'insert') stream.splice(at, 0, change.value);
          else stream.splice(at, 1);
        }
        const reader = new FrameReader();
        for (let offset = 0; offset < stream.length; offset += chunkSize) {
          onlyProtocolErrors(() => reader.push(Buffer.from(stream.slice(offset, offset + chunkSize))));
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test('valid frames split anywhere come out unchanged', () => {
    const message = fc.array(fc.string({ unit: 'binary', maxLength: 10 }).filter((text) => !text.includes('\0')), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (messages, cutPoints) => {
        const stream = Buffer.concat([API_HELLO, ...messages.map((fields) => encodeFrame(fields))]);
        const cuts = [...new Set(cutPoints.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
        const reader = new FrameReader();
        const received: string[][] = [];
        let start = 0;
        for (const end of [...cuts, stream.length]) {
          received.push(...reader.push(stream.subarray(start, end)));
          start = end;
        }
        expect(received).toEqual(messages);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('decodeClientMessage never throws anything but ProtocolError', () => {
  test('random field arrays behind every message id', () => {
    fc.assert(
      fc.property(messageId, fc.array(field, { maxLength: 40 }), (id, rest) => onlyProtocolErrors(() => decodeClientMessage([id, ...rest]))),
      { numRuns: RUNS * 5 },
    );
  });

  const stock: Contract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
  const realMessages = [
    captureFields((encoder) =>
      encoder.placeOrder(7, { ...stock, secType: SecType.BAG, comboLegs: [{ conId: 1, ratio: 1, action: OrderAction.BUY, exchange: 'SMART' }] }, {
        action: OrderAction.BUY, orderType: OrderType.PEG_BENCH, totalQuantity: 1, lmtPrice: 1, deltaNeutralOrderType: 'LMT', scalePriceIncrement: 0.1,
        hedgeType: 'D', algoStrategy: 'Vwap', algoParams: [{ tag: 'a', value: 'b' }], orderComboLegs: [{ price: 1 }], transmit: true,
        conditions: [new PriceCondition(1, TriggerMethod.Last, 1, 'SMART', true, ConjunctionConnection.AND)],
      }),
    ),
    captureFields((encoder) => encoder.placeOrder(8, { ...stock, exchange: 'IBKRATS' }, { action: OrderAction.SELL, orderType: OrderType.PEG_BEST, totalQuantity: 1, competeAgainstBestOffset: Infinity })),
    captureFields((encoder) => encoder.reqMktData(1, stock, '233', false, false)),
    captureFields((encoder) => encoder.reqHistoricalData(2, stock, '', '1 D', BarSizeSetting.MINUTES_ONE, WhatToShow.TRADES, 1, 1, true)),
    captureFields((encoder) => encoder.reqExecutions(3, { clientId: '1' })),
    captureFields((encoder) => encoder.reqAccountSummary(4, 'All', 'NetLiquidation')),
  ];

  test('real messages, mutated: a field dropped, inserted, replaced, or the tail cut off', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: field }),
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: field }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...realMessages), fc.array(mutation, { minLength: 1, maxLength: 4 }), (original, mutations) => {
        let fields = [...original];
        for (const change of mutations) {
          const at = fields.length === 0 ? 0 : change.at % fields.length;
          if (change.kind === 'drop') fields.splice(at, 1);
          else if (change.kind === 'insert') fields.splice(at, 0, change.value);
          else if (change.kind === 'replace') fields[at] = change.value;
          else fields = fields.slice(0, at);
        }
        return onlyProtocolErrors(() => decodeClientMessage(fields));
      }),
      { numRuns: RUNS * 5 },
    );
  });

  test('the unmutated real messages decode', () => {
    for (const fields of realMessages) expect(() => decodeClientMessage(fields)).not.toThrow();
  });
});
