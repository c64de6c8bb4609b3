/**
 * The v100+ connection handshake.
 *
 * 1. The client sends the 4 bytes `API\0`, then ONE length-prefixed payload `v<min>..<max>`
 *    (socket.js `onConnect` + `buildVersionString`: just `v<min>` when min == max), optionally
 *    followed by a space and connect options. Unlike every later message this payload has no
 *    trailing NUL (socket.js `send` skips the NUL for the `API\0` token).
 * 2. The server answers with one normal frame of two fields: server version, connection time.
 *    The trailing NUL after the connection time matters: socket.js `onMessage` keeps text after
 *    the last NUL as a fragment and glues it to the front of the next message, which would
 *    corrupt MANAGED_ACCTS.
 * 3. socket.js `onServerVersion` disconnects with error 506 unless 100 <= version <= 193 (its
 *    `MAX_SUPPORTED_SERVER_VERSION`), then sends START_API.
 */
import { FieldEncodingError, ProtocolError } from './errors';
import { encodeFrame } from './wire-format';

/** The bytes a v100+ client sends before its version range. */
export const API_PREFIX: Buffer = Buffer.from('API\0', 'latin1');

/**
 * The only server version whose layouts this package implements: @stoqey/ib 1.6.10's maximum
 * (`MIN_SERVER_VER.CME_TAGGING_FIELDS_IN_OPEN_ORDER`). Every encoder and decoder here is exact
 * for 193 only.
 */
export const SERVER_VERSION = 193;

/** Lowest version that uses length-prefixed framing (socket.js `MIN_VERSION_V100`). */
export const MIN_V100_CLIENT_VERSION = 100;

export interface ClientVersionRange {
  readonly min: number;
  readonly max: number;
}

export interface ClientHandshake {
  readonly versionRange: ClientVersionRange;
  /** Text after the first space of the payload ("" when none): IB-internal, ignored by TWS. */
  readonly connectOptions: string;
  /** The payload exactly as received, for logs. */
  readonly rawPayload: string;
}

const VERSION_RANGE_PATTERN = /^v(\d{1,9})(?:\.\.(\d{1,9}))?$/;

/** Parses `v100..193` (or `v100`) into {min, max}. */
export function parseClientVersionRange(text: string): ClientVersionRange {
  const match = VERSION_RANGE_PATTERN.exec(text);
  if (!match) {
    throw new ProtocolError('bad-version-range', `expected "v<min>..<max>" or "v<version>", got ${JSON.stringify(text.slice(0, 80))}`);
  }
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (min > max) {
    throw new ProtocolError('bad-version-range', `minimum version ${min} is above maximum ${max} in ${JSON.stringify(text)}`);
  }
  return { min, max };
}

/** Splits the handshake payload into the version range and the optional connect options. */
export function parseHandshakePayload(payload: string): ClientHandshake {
  // Tolerate a trailing NUL: socket.js sends none, but a client that frames the payload like a
  // normal message would; the range itself can never contain one.
  const trimmed = payload.endsWith('\0') ? payload.slice(0, -1) : payload;
  const spaceIndex = trimmed.indexOf(' ');
  const rangeText = spaceIndex === -1 ? trimmed : trimmed.slice(0, spaceIndex);
  const connectOptions = spaceIndex === -1 ? '' : trimmed.slice(spaceIndex + 1);
  return { versionRange: parseClientVersionRange(rangeText), connectOptions, rawPayload: payload };
}

/**
 * The server version to announce to a client offering `range`. Real TWS picks
 * min(its max, client max); we implement exactly one layout, so the client must accept it.
 */
export function chooseServerVersion(range: ClientVersionRange, implementedVersion: number = SERVER_VERSION): number {
  if (range.min > implementedVersion || range.max < implementedVersion) {
    throw new ProtocolError(
      'unsupported-client-version',
      `client accepts v${range.min}..${range.max}, this simulator implements only v${implementedVersion}`,
    );
  }
  return implementedVersion;
}

/**
 * The server's handshake reply: one frame `<serverVersion>\0<connectionTime>\0`.
 * `connectionTime` is free text the client only stores (TWS sends e.g. "20261123 09:30:00 EST").
 */
export function encodeHandshakeReply(serverVersion: number, connectionTime: string): Buffer {
  if (!Number.isInteger(serverVersion) || serverVersion < MIN_V100_CLIENT_VERSION) {
    throw new FieldEncodingError(0, `server version must be an integer >= ${MIN_V100_CLIENT_VERSION}, got ${serverVersion}`);
  }
  return encodeFrame([serverVersion, connectionTime]);
}
