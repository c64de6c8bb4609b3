/** Field formatting, encodeFrame, and the handshake helpers. */
import { FieldEncodingError, ProtocolError } from '../../../../apps/sim-gateway/protocol/errors';
import {
  chooseServerVersion,
  encodeFrame,
  encodeHandshakeReply,
  formatWireField,
  parseClientVersionRange,
  parseHandshakePayload,
  UNSET_DOUBLE,
  UNSET_INTEGER,
} from '../../../../apps/sim-gateway/protocol/framing';

describe('encodeFrame', () => {
  test('4-byte big-endian length, then every field followed by NUL', () => {
    const bytes = encodeFrame([9, 1, 1000]);
    expect(bytes.readUInt32BE(0)).toBe(bytes.length - 4);
    expect(bytes.subarray(4).toString('utf8')).toBe('9\u00001\u00001000\u0000');
  });

  test('the length counts UTF-8 bytes, not characters', () => {
    const bytes = encodeFrame(['é✓']);
    expect(bytes.readUInt32BE(0)).toBe(Buffer.byteLength('é✓\0'));
  });

  test('an empty last field still gets its NUL (ERR_MSG ends with one)', () => {
    expect(encodeFrame([4, 2, -1, 2104, 'ok', '']).subarray(4).toString()).toBe('4\u00002\u0000-1\u00002104\u0000ok\u0000\u0000');
  });

  test('a frame the client could not buffer is refused', () => {
    expect(() => encodeFrame(['x'.repeat(0xffffff)])).toThrow(FieldEncodingError);
  });
});

describe('formatWireField', () => {
  test('booleans as 1/0, null/undefined as empty', () => {
    expect([true, false, null, undefined].map((value, index) => formatWireField(value, index))).toEqual(['1', '0', '', '']);
  });

  test('numbers round-trip through the parseFloat/parseInt the client uses', () => {
    for (const value of [0, -1, 189.47, 0.1 + 0.2, 1e-7, 123456789012, 2147483647, -0.0001]) {
      expect(parseFloat(formatWireField(value, 0))).toBe(value === 0 ? 0 : value);
    }
    expect(parseInt(formatWireField(2 ** 52, 0), 10)).toBe(2 ** 52);
  });

  test('Number.MAX_VALUE is written as Java prints it; the unset constants', () => {
    expect(formatWireField(Number.MAX_VALUE, 0)).toBe(UNSET_DOUBLE);
    expect(parseFloat(UNSET_DOUBLE)).toBe(Number.MAX_VALUE);
    expect(formatWireField(UNSET_INTEGER, 0)).toBe('2147483647');
  });

  test('NaN, infinities and NUL inside a string are refused: they would corrupt the message', () => {
    for (const value of [NaN, Infinity, -Infinity, 'a\0b']) {
      expect(() => formatWireField(value, 3)).toThrow(FieldEncodingError);
    }
    expect(() => encodeFrame([4, 'split\0me'])).toThrow(/field #1/);
  });
});

describe('handshake', () => {
  test('parseClientVersionRange', () => {
    expect(parseClientVersionRange('v100..193')).toEqual({ min: 100, max: 193 });
    expect(parseClientVersionRange('v176')).toEqual({ min: 176, max: 176 });
  });

  test('malformed ranges are a ProtocolError', () => {
    for (const text of ['', 'v', '100..193', 'v100..', 'v..193', 'v193..100', 'v100..193x', 'V100..193', 'v1e3']) {
      expect(() => parseClientVersionRange(text)).toThrow(ProtocolError);
    }
    expect(() => parseClientVersionRange('v193..100')).toThrow(/minimum version 193 is above maximum 100/);
  });

  test('the payload may carry connect options after a space, and a trailing NUL is tolerated', () => {
    expect(parseHandshakePayload('v100..193 +PACEAPI')).toMatchObject({ versionRange: { min: 100, max: 193 }, connectOptions: '+PACEAPI' });
    expect(parseHandshakePayload('v100..193\0')).toMatchObject({ versionRange: { min: 100, max: 193 }, connectOptions: '' });
  });

  test('chooseServerVersion: 193 when the client accepts it, a ProtocolError otherwise', () => {
    expect(chooseServerVersion({ min: 100, max: 193 })).toBe(193);
    expect(chooseServerVersion({ min: 100, max: 200 })).toBe(193);
    expect(() => chooseServerVersion({ min: 100, max: 187 })).toThrow(ProtocolError);
    expect(() => chooseServerVersion({ min: 194, max: 200 })).toThrow(/implements only v193/);
  });

  test('encodeHandshakeReply: one frame of version and connection time, each NUL-terminated', () => {
    const reply = encodeHandshakeReply(193, '20261123 09:30:00 EST');
    expect(reply.subarray(4).toString()).toBe('193\u000020261123 09:30:00 EST\u0000');
    expect(() => encodeHandshakeReply(99, 'x')).toThrow(FieldEncodingError);
  });
});
