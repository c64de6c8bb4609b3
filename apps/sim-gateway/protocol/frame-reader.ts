/**
 * Incremental reader of a TWS v100+ byte stream: TCP delivers fragments and several messages per
 * chunk, so bytes are buffered and cut by the length prefix.
 *
 * Usage on the server side:
 *
 *   const reader = new FrameReader();
 *   socket.on('data', (chunk) => {
 *     const messages = reader.push(chunk);          // may throw ProtocolError: close the socket
 *     if (reader.handshake && !replied) { ...send encodeHandshakeReply...; replied = true; }
 *     for (const fields of messages) handle(decodeClientMessage(fields));
 *   });
 *
 * The handshake (`API\0` + one length-prefixed `v<min>..<max>` payload) is consumed first and
 * exposed through the `handshake` getter; `push` returns only the messages after it. A client
 * sends nothing else before the server's reply, so checking the getter after each push is enough.
 * With `{ expectHandshake: false }` the reader parses a stream without that prefix (the server ->
 * client direction, used by tests).
 *
 * After a ProtocolError the reader is dead: every later push throws ProtocolError
 * ('reader-failed'). Whatever the bytes, push throws nothing but ProtocolError, and every loop
 * iteration consumes bytes or returns, so a push always terminates.
 */
import { ByteQueue } from './byte-queue';
import { ProtocolError } from './errors';
import { API_PREFIX, ClientHandshake, parseHandshakePayload } from './handshake';
import { LENGTH_PREFIX_BYTES, MAX_FRAME_BYTES } from './wire-format';

export interface FrameReaderOptions {
  /** Expect `API\0` + version payload before the first message (default true: client -> server). */
  readonly expectHandshake?: boolean;
  /** Largest accepted frame payload in bytes (default MAX_FRAME_BYTES, the client's own limit). */
  readonly maxFrameBytes?: number;
}

type ReaderState = 'awaiting-prefix' | 'awaiting-version' | 'messages' | 'failed';

// fatal: invalid UTF-8 is garbage, not text to be patched with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class FrameReader {
  private readonly queue = new ByteQueue();
  private readonly maxFrameBytes: number;
  private state: ReaderState;
  private receivedHandshake: ClientHandshake | undefined;
  private failure: ProtocolError | undefined;

  constructor(options: FrameReaderOptions = {}) {
    this.state = options.expectHandshake === false ? 'messages' : 'awaiting-prefix';
    this.maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  }

  /** The client's handshake once its version payload is complete, else undefined. */
  get handshake(): ClientHandshake | undefined {
    return this.receivedHandshake;
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedByteCount(): number {
    return this.queue.length;
  }

  /**
   * Adds a chunk and returns every message it completed, in order, each as its fields (the empty
   * string after the final NUL removed). Throws ProtocolError on garbage; its
   * `messagesBeforeError` holds messages completed in this push before the bad bytes.
   */
  push(chunk: Buffer): string[][] {
    if (this.state === 'failed') {
      throw new ProtocolError('reader-failed', `stream already failed: ${this.failure?.message ?? 'unknown'}`);
    }
    const messages: string[][] = [];
    try {
      this.queue.append(chunk);
      this.drain(messages);
      return messages;
    } catch (error) {
      this.state = 'failed';
      this.queue.clear();
      // Anything but a ProtocolError would be a bug in this file: let it surface unchanged.
      if (!(error instanceof ProtocolError)) throw error;
      this.failure = new ProtocolError(error.reason, error.detail, { messagesBeforeError: messages });
      throw this.failure;
    }
  }

  private drain(messages: string[][]): void {
    for (;;) {
      if (this.state === 'awaiting-prefix') {
        if (!this.consumePrefix()) return;
      } else if (this.state === 'awaiting-version') {
        const payload = this.takeFrame('handshake');
        if (payload === undefined) return;
        this.receivedHandshake = parseHandshakePayload(decodeUtf8(payload));
        this.state = 'messages';
      } else {
        const payload = this.takeFrame('message');
        if (payload === undefined) return;
        messages.push(splitFields(payload));
      }
    }
  }

  /** Checks the `API\0` prefix byte by byte, so garbage fails on its first byte. */
  private consumePrefix(): boolean {
    const available = Math.min(this.queue.length, API_PREFIX.length);
    const head = this.queue.peek(available);
    for (let index = 0; index < available; index += 1) {
      if (head[index] !== API_PREFIX[index]) {
        throw new ProtocolError('bad-handshake-prefix', `expected the bytes "API\\0" first, got 0x${head.subarray(0, available).toString('hex')}`);
      }
    }
    if (available < API_PREFIX.length) return false;
    this.queue.take(API_PREFIX.length);
    this.state = 'awaiting-version';
    return true;
  }

  /** The next frame's payload if complete, else undefined (nothing consumed). */
  private takeFrame(kind: 'handshake' | 'message'): Buffer | undefined {
    if (this.queue.length < LENGTH_PREFIX_BYTES) return undefined;
    const payloadLength = this.queue.peek(LENGTH_PREFIX_BYTES).readUInt32BE(0);
    if (payloadLength > this.maxFrameBytes) {
      throw new ProtocolError('frame-too-large', `${kind} frame announces ${payloadLength} bytes, the limit is ${this.maxFrameBytes}`);
    }
    if (payloadLength === 0) {
      throw kind === 'handshake'
        ? new ProtocolError('bad-version-range', 'empty handshake payload')
        : new ProtocolError('empty-frame', 'a frame of length 0 carries no message id');
    }
    if (this.queue.length < LENGTH_PREFIX_BYTES + payloadLength) return undefined;
    this.queue.take(LENGTH_PREFIX_BYTES);
    return this.queue.take(payloadLength);
  }
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch (decodeError) {
    throw new ProtocolError('malformed-field', `invalid UTF-8 (${String(decodeError)}) in frame starting 0x${bytes.subarray(0, 32).toString('hex')}`);
  }
}

/** "8\01\01\0" -> ["8", "1", "1"]: every field is NUL-terminated, so the payload must end in NUL. */
function splitFields(payload: Buffer): string[] {
  if (payload[payload.length - 1] !== 0) {
    throw new ProtocolError('missing-terminator', `frame of ${payload.length} bytes does not end with NUL`);
  }
  return decodeUtf8(payload.subarray(0, payload.length - 1)).split('\0');
}
