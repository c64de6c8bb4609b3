/**
 * Typed errors of the TWS wire protocol layer (see docs/style.md: callers branch on the class and
 * its `reason`, never on message text).
 *
 * - `ProtocolError`: the peer sent bytes we cannot accept (bad handshake, absurd frame length,
 *   truncated or malformed message). The only sane reaction is to log it and close that one
 *   connection: after a framing error the stream position is unknown, so nothing after it can be
 *   trusted. A real gateway answers unparsable requests with error 320 ("error reading request").
 * - `FieldEncodingError`: our own code tried to put a value on the wire that the client would
 *   misread (a NUL inside a string shifts every later field; NaN parses as NaN). That is a bug in
 *   the simulator, never the client's fault.
 */

export type ProtocolErrorReason =
  | 'bad-handshake-prefix' // the first 4 bytes were not "API\0"
  | 'bad-version-range' // the handshake payload was not "v<min>[..<max>][ options]"
  | 'unsupported-client-version' // the client cannot speak the server version we implement
  | 'frame-too-large' // a length prefix above MAX_FRAME_BYTES (garbage or a hostile peer)
  | 'empty-frame' // a length prefix of 0: a message needs at least its id
  | 'missing-terminator' // a frame whose payload does not end with NUL
  | 'truncated-message' // fewer fields than the message layout needs
  | 'unexpected-fields' // more fields than the message layout has (the sender is misaligned)
  | 'malformed-field' // a field that does not parse as the type its position requires
  | 'unsupported-server-version' // asked to decode a layout we do not implement
  | 'reader-failed'; // push() after an earlier ProtocolError: the stream is unusable

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /**
   * Set by `FrameReader.push`: complete messages that arrived in the same chunk before the bad
   * bytes. A gateway reads sequentially, so it would have acted on them before failing.
   */
  readonly messagesBeforeError: ReadonlyArray<ReadonlyArray<string>>;
  constructor(
    readonly reason: ProtocolErrorReason,
    /** What was wrong, without the reason prefix. */
    readonly detail: string,
    options: { messagesBeforeError?: ReadonlyArray<ReadonlyArray<string>> } = {},
  ) {
    super(`${reason}: ${detail}`);
    this.messagesBeforeError = options.messagesBeforeError ?? [];
  }
}

export class FieldEncodingError extends Error {
  override readonly name = 'FieldEncodingError';
  constructor(
    readonly fieldIndex: number,
    message: string,
  ) {
    super(`field #${fieldIndex}: ${message}`);
  }
}
