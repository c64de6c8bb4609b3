/**
 * Field formatting and message framing (server -> client direction) and the wire constants.
 * Every message, both directions, is a 4-byte big-endian length followed by its fields, each
 * UTF-8 and terminated by NUL. Import it through `framing.ts`.
 */
import { FieldEncodingError } from './errors';

/** One field as our encoders produce it, before formatting. */
export type WireField = string | number | boolean | null | undefined;

/**
 * Largest frame either side accepts. The client (`@stoqey/ib` socket.js `MAX_V100_MESSAGE_LENGTH`)
 * disconnects once it has buffered more than 0xffffff bytes, so a bigger frame can never be
 * delivered; on our reading side anything bigger is garbage or hostile.
 */
export const MAX_FRAME_BYTES = 0xffffff;

/** Bytes of the big-endian length prefix. */
export const LENGTH_PREFIX_BYTES = 4;

/**
 * Java's `Double.MAX_VALUE` as TWS prints it. decoder.js `readDouble`/`readDoubleOrUndefined` map
 * `parseFloat` of it to `undefined`: the way to say "unset" in a field read with `readDouble`,
 * where an empty string would read as 0.
 */
export const UNSET_DOUBLE = '1.7976931348623157E308';

/**
 * Java's `Integer.MAX_VALUE`. decoder.js `readIntOrUndefined` maps it (and "") to `undefined`;
 * plain `readInt` does not (it returns 2147483647), so only use it where the decoder reads
 * `readIntOrUndefined`.
 */
export const UNSET_INTEGER = 2147483647;

/**
 * Formats one field the way the client parses it.
 *
 * - booleans: "1"/"0" (decoder.js `readBool` is `!!parseInt(token)`);
 * - null/undefined: "" (read as 0 by `readInt`/`readDouble`, as undefined by the `...OrUndefined`
 *   readers);
 * - numbers: `String(n)`, the shortest text that round-trips through `parseFloat`; integers below
 *   1e21 print without exponent, so `parseInt` reads them whole. `Number.MAX_VALUE` is written
 *   as UNSET_DOUBLE. NaN and infinities are refused: the client would read NaN/Infinity as a
 *   price instead of "unset".
 * - strings: verbatim, but a NUL inside would split the field and shift every later one, so it is
 *   refused.
 */
export function formatWireField(value: WireField, fieldIndex: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (value === Number.MAX_VALUE) return UNSET_DOUBLE;
    if (!Number.isFinite(value)) {
      throw new FieldEncodingError(fieldIndex, `${value} is not a finite number; use UNSET_DOUBLE or "" for unset`);
    }
    return String(value);
  }
  if (value.includes('\0')) {
    throw new FieldEncodingError(fieldIndex, `string contains NUL, which would split it into two fields: ${JSON.stringify(value)}`);
  }
  return value;
}

/** Frames one message: length prefix, then every field followed by NUL. */
export function encodeFrame(fields: ReadonlyArray<WireField>): Buffer {
  const text = fields.map((field, index) => formatWireField(field, index) + '\0').join('');
  const payload = Buffer.from(text, 'utf8');
  if (LENGTH_PREFIX_BYTES + payload.length > MAX_FRAME_BYTES) {
    throw new FieldEncodingError(0, `frame of ${payload.length} bytes exceeds the client's limit of ${MAX_FRAME_BYTES}`);
  }
  const frame = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, LENGTH_PREFIX_BYTES);
  return frame;
}

/**
 * For fields the decoder reads with plain `readDouble`, where "" means 0: undefined becomes
 * UNSET_DOUBLE so the client sees `undefined`, not a zero price or P&L.
 */
export function doubleOrUnset(value: number | undefined): number | string {
  return value === undefined ? UNSET_DOUBLE : value;
}
