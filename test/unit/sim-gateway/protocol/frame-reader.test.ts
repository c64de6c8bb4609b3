/** FrameReader: handshake prefix, fragments of every size, several messages per chunk, garbage. */
import { ProtocolError, ProtocolErrorReason } from '../../../../apps/sim-gateway/protocol/errors';
import { encodeFrame, FrameReader } from '../../../../apps/sim-gateway/protocol/framing';
import { IbClientHarness } from './ib-client-harness';

/** What @stoqey/ib socket.js onConnect writes: API\0, a 4-byte length, the range without NUL. */
function clientHello(range = 'v100..193'): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(range.length);
  return Buffer.concat([Buffer.from('API\0', 'latin1'), length, Buffer.from(range, 'latin1')]);
}

const MESSAGES = [
  ['71', '2', '7', ''],
  ['1', '11', '11', '265598', 'AAPL', 'STK', '', '', '', '', 'SMART', 'NASDAQ', 'USD', 'AAPL', 'NMS', '0', '233,236', '0', '0', ''],
  ['4', '1002', '', '', '2147483647'],
  ['62', '1', '9001', 'All', 'NetLiquidation,BuyingPower'],
  ['99', '1'],
  ['3', 'ünïcode ✓ 𝄞'],
];
const STREAM = Buffer.concat([clientHello(), ...MESSAGES.map((fields) => encodeFrame(fields))]);

/**
 * Bytes of every Buffer allocated through Buffer.alloc/allocUnsafe/allocUnsafeSlow (Buffer.concat allocates
 * through allocUnsafe) until restore(): the copying work of a reader, counted instead of timed.
 */
function countAllocatedBytes(): { bytes: () => number; restore: () => void } {
  let total = 0;
  const spies = (['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const).map((name) => {
    const original = Buffer[name].bind(Buffer) as (size: number, ...rest: unknown[]) => Buffer;
    return jest.spyOn(Buffer, name).mockImplementation(((size: number, ...rest: unknown[]) => {
      total += size;
      return original(size, ...rest);
    }) as never);
  });
  return { bytes: () => total, restore: () => spies.forEach((s) => s.mockRestore()) };
}

function protocolErrorOf(run: () => unknown): ProtocolError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}

function expectReason(run: () => unknown, reason: ProtocolErrorReason): ProtocolError {
  const error = protocolErrorOf(run);
  expect(error.reason).toBe(reason);
  return error;
}

describe('well-formed streams', () => {
  test('handshake and several messages in one chunk', () => {
    const reader = new FrameReader();
    expect(reader.handshake).toBeUndefined();
    expect(reader.push(STREAM)).toEqual(MESSAGES);
    expect(reader.handshake).toEqual({ versionRange: { min: 100, max: 193 }, connectOptions: '', rawPayload: 'v100..193' });
    expect(reader.bufferedByteCount).toBe(0);
  });

  test('split into two chunks at every byte offset', () => {
    for (let splitAt = 0; splitAt <= STREAM.length; splitAt += 1) {
      const reader = new FrameReader();
      const messages = [...reader.push(STREAM.subarray(0, splitAt)), ...reader.push(STREAM.subarray(splitAt))];
      expect({ splitAt, messages }).toEqual({ splitAt, messages: MESSAGES });
    }
  });

  test('split into three chunks at every pair of offsets', () => {
    for (let first = 0; first <= STREAM.length; first += 3) {
      for (let second = first; second <= STREAM.length; second += 1) {
        const reader = new FrameReader();
        const messages = [first, second, STREAM.length].flatMap((end, index, ends) => reader.push(STREAM.subarray(index === 0 ? 0 : ends[index - 1], end)));
        if (messages.length !== MESSAGES.length) throw new Error(`split at ${first}/${second} gave ${messages.length} messages`);
      }
    }
  });

  test('one byte at a time: the handshake appears only once its payload is complete', () => {
    const reader = new FrameReader();
    const messages: string[][] = [];
    const helloLength = clientHello().length;
    for (let index = 0; index < STREAM.length; index += 1) {
      messages.push(...reader.push(STREAM.subarray(index, index + 1)));
      expect(reader.handshake === undefined).toBe(index < helloLength - 1);
    }
    expect(messages).toEqual(MESSAGES);
  });

  test('exactly what the real client socket writes: handshake, START_API, a request', () => {
    const harness = new IbClientHarness(3);
    harness.connect();
    harness.encoder.reqIds(1);
    const reader = new FrameReader();
    expect(reader.push(harness.takeWrittenBytes())).toEqual([['71', '2', '3', ''], ['8', '1', '1']]);
    expect(reader.handshake?.versionRange).toEqual({ min: 100, max: 193 });
  });

  test('a 1 MiB message delivered in 64-byte chunks is assembled in linear time: each byte is copied a bounded number of times', () => {
    const big = ['19', '1', 'x'.repeat(1 << 20)];
    const stream = encodeFrame(big);
    const reader = new FrameReader({ expectHandshake: false });
    // Buffering by concatenating the backlog on every chunk would copy ~n²/128 bytes (8 GiB here); the byte
    // queue copies each byte once when the frame is complete. Counted, not timed: a busy machine cannot fail it.
    const limitBytes = 3 * stream.length;
    const allocated = countAllocatedBytes();
    const messages: string[][] = [];
    try {
      for (let offset = 0; offset < stream.length && allocated.bytes() <= limitBytes; offset += 64) messages.push(...reader.push(stream.subarray(offset, offset + 64)));
    } finally {
      allocated.restore();
    }
    expect(allocated.bytes()).toBeLessThanOrEqual(limitBytes);
    expect(messages).toEqual([big]);
  });

  test('expectHandshake: false reads a server -> client stream', () => {
    const reader = new FrameReader({ expectHandshake: false });
    expect(reader.push(encodeFrame([4, 2, -1, 2104, 'ok', '']))).toEqual([['4', '2', '-1', '2104', 'ok', '']]);
  });
});

describe('garbage is a ProtocolError saying what was wrong', () => {
  test('a wrong prefix fails on its first byte (an HTTP request, a pre-v100 client)', () => {
    const error = expectReason(() => new FrameReader().push(Buffer.from('GET / HTTP/1.1\r\n')), 'bad-handshake-prefix');
    expect(error.message).toMatch(/expected the bytes "API\\0" first, got 0x47455420/);
    const reader = new FrameReader();
    expect(reader.push(Buffer.from('AP'))).toEqual([]);
    expectReason(() => reader.push(Buffer.from('X')), 'bad-handshake-prefix');
    expectReason(() => new FrameReader().push(Buffer.from('76\0')), 'bad-handshake-prefix');
  });

  test('a bad version range', () => {
    const length = Buffer.from([0, 0, 0, 5]);
    expectReason(() => new FrameReader().push(Buffer.concat([Buffer.from('API\0'), length, Buffer.from('hello')])), 'bad-version-range');
    expectReason(() => new FrameReader().push(Buffer.concat([Buffer.from('API\0'), Buffer.alloc(4)])), 'bad-version-range');
  });

  test('an absurd length fails at once, before any payload arrives', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0x7fffffff);
    const error = expectReason(() => new FrameReader().push(Buffer.concat([clientHello(), header])), 'frame-too-large');
    expect(error.message).toMatch(/2147483647 bytes, the limit is 16777215/);
    expectReason(() => new FrameReader({ expectHandshake: false }).push(Buffer.from([0xff, 0xff, 0xff, 0xff])), 'frame-too-large');
  });

  test('an empty frame, a frame without final NUL, invalid UTF-8', () => {
    expectReason(() => new FrameReader({ expectHandshake: false }).push(Buffer.alloc(4)), 'empty-frame');
    expectReason(() => new FrameReader({ expectHandshake: false }).push(Buffer.from([0, 0, 0, 2, 0x38, 0x31])), 'missing-terminator');
    expectReason(() => new FrameReader({ expectHandshake: false }).push(Buffer.from([0, 0, 0, 3, 0x38, 0xc3, 0])), 'malformed-field');
  });

  test('messages completed before the garbage are handed over with the error; the reader is then dead', () => {
    const reader = new FrameReader();
    const good = encodeFrame(['49', '1']);
    const error = expectReason(() => reader.push(Buffer.concat([clientHello(), good, Buffer.from([0, 0, 0, 0])])), 'empty-frame');
    expect(error.messagesBeforeError).toEqual([['49', '1']]);
    expect(reader.handshake?.versionRange.max).toBe(193);
    expectReason(() => reader.push(good), 'reader-failed');
    expect(reader.bufferedByteCount).toBe(0);
  });
});
