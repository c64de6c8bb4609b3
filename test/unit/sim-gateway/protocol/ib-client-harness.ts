/**
 * The unmodified @stoqey/ib 1.6.10 client I/O stack (Socket + Decoder + Encoder) wired to an
 * in-memory stand-in for its Controller, so tests can
 *
 * - feed server bytes through the client's own socket.js framing (`onData`, including its
 *   fragment handling and the handshake reply parsing) into its own decoder.js, and see the
 *   events it emits;
 * - capture the exact bytes the client's socket.js writes for handshake, START_API and every
 *   encoder.js request.
 *
 * The stand-in implements the members of controller.js that Socket, Decoder and Encoder call:
 * serverVersion, pause/resume, onMessage/onTokens/processIngressQueue, emitEvent/emitError/
 * emitInfo (same argument shapes as controller.js) and sendMsg (controller.js -> socket.send,
 * without the rate limiter).
 */
import type { Controller } from '@stoqey/ib/dist/core/io/controller';
import { Decoder } from '@stoqey/ib/dist/core/io/decoder';
import { Encoder } from '@stoqey/ib/dist/core/io/encoder';
import { Socket } from '@stoqey/ib/dist/core/io/socket';
import { encodeHandshakeReply, SERVER_VERSION, WireField } from '../../../../apps/sim-gateway/protocol/framing';
import { currentTimeFields, frame, frameAll } from '../../../../apps/sim-gateway/protocol/server-messages';

export interface ClientEvent {
  readonly name: string;
  readonly args: unknown[];
}

/** The private members of socket.js this harness drives. */
interface SocketInternals {
  client?: { write(bytes: Uint8Array): void; end(): void; destroy(): void };
  onData(bytes: Buffer): void;
  onConnect(): void;
  send(tokens: unknown[]): void;
  readonly serverVersion: number;
}

/** Events the socket emits about its own traffic; not decoded messages. */
const TRAFFIC_EVENTS = new Set(['sent', 'received']);

export const CONNECTION_TIME = '20261123 09:30:00 America/New_York';

export class IbClientHarness {
  readonly decoder: Decoder;
  readonly encoder: Encoder;
  private readonly socket: SocketInternals;
  private readonly recordedEvents: ClientEvent[] = [];
  private readonly writtenChunks: Buffer[] = [];

  constructor(clientId = 7) {
    this.decoder = new Decoder(this);
    this.encoder = new Encoder(this);
    this.socket = new Socket(this as unknown as Controller, { clientId, host: '127.0.0.1', port: 1 }) as unknown as SocketInternals;
    this.socket.client = {
      write: (bytes) => this.writtenChunks.push(Buffer.from(bytes)),
      end: () => undefined,
      destroy: () => undefined,
    };
  }

  /** A client that has sent its handshake, received our reply and sent START_API; events cleared. */
  static connected(clientId = 7): IbClientHarness {
    const harness = new IbClientHarness(clientId);
    harness.connect();
    harness.takeEvents();
    return harness;
  }

  /** Runs socket.js onConnect (writes API\0 + version range) and feeds it our handshake reply. */
  connect(serverVersion = SERVER_VERSION): void {
    this.socket.onConnect();
    this.feed(encodeHandshakeReply(serverVersion, CONNECTION_TIME));
  }

  /** Bytes as the server receives them from this client's socket. */
  feed(bytes: Buffer): void {
    this.socket.onData(bytes);
  }

  /** Decoded events since the last call (socket traffic events left out). */
  takeEvents(): ClientEvent[] {
    const events = this.recordedEvents.filter((event) => !TRAFFIC_EVENTS.has(event.name));
    this.recordedEvents.length = 0;
    return events;
  }

  /** Everything the client wrote since the last call, as one buffer. */
  takeWrittenBytes(): Buffer {
    const bytes = Buffer.concat(this.writtenChunks);
    this.writtenChunks.length = 0;
    return bytes;
  }

  // ---- controller.js members used by Socket, Decoder and Encoder ----

  get serverVersion(): number {
    return this.socket.serverVersion;
  }

  pause(): void {}

  resume(): void {}

  onMessage(tokens: string[]): void {
    this.decoder.enqueueMessage(tokens);
  }

  onTokens(tokens: string[]): void {
    this.decoder.enqueueTokens(tokens);
  }

  processIngressQueue(): void {
    this.decoder.process();
  }

  emitEvent(name: string, ...args: unknown[]): void {
    this.recordedEvents.push({ name, args });
  }

  emitError(message: string, code: number, reqId?: number, advancedOrderReject?: unknown): void {
    this.recordedEvents.push({ name: 'error', args: [new Error(message), code, reqId ?? -1, advancedOrderReject] });
  }

  emitInfo(message: string, code: number): void {
    this.recordedEvents.push({ name: 'info', args: [message, code] });
  }

  sendMsg(...tokens: unknown[]): void {
    this.socket.send(tokens);
  }
}

/** The decoder's own complaints: underrun, "unprocessed data left on queue", unknown message id. */
export function decodingErrors(events: readonly ClientEvent[]): ClientEvent[] {
  return events.filter((event) => event.name === 'error' && event.args[1] === 505);
}

/** A CURRENT_TIME sent after the message under test: if it decodes, the stream is still aligned. */
export const SENTINEL_EPOCH_SECONDS = 1_795_000_123;

/**
 * Feeds one server message, followed by a sentinel CURRENT_TIME in the same chunk, to a connected
 * client and returns the events the message produced. Fails the test if the client's decoder
 * complained (505: underrun, unprocessed fields, unknown id) or the sentinel did not come through.
 */
export function decodeWithClient(fields: ReadonlyArray<WireField>): ClientEvent[] {
  const harness = IbClientHarness.connected();
  harness.feed(frameAll([fields, currentTimeFields(SENTINEL_EPOCH_SECONDS)]));
  const events = harness.takeEvents();
  expect(decodingErrors(events)).toEqual([]);
  expect(events[events.length - 1]).toEqual({ name: 'currentTime', args: [SENTINEL_EPOCH_SECONDS] });
  return events.slice(0, -1);
}

/** What the client's decoder says about `fields` alone (used to prove a layout is exact). */
export function decodingErrorsFor(fields: ReadonlyArray<WireField>): ClientEvent[] {
  const harness = IbClientHarness.connected();
  harness.feed(frame(fields));
  return decodingErrors(harness.takeEvents());
}

/**
 * The layout is exact: the message decodes cleanly, while one field fewer (the last one dropped)
 * or one more (an empty field appended) makes the client's decoder report 505.
 */
export function expectExactLayout(fields: ReadonlyArray<WireField>): void {
  expect(decodingErrorsFor(fields)).toEqual([]);
  expect(decodingErrorsFor(fields.slice(0, -1))).toHaveLength(1);
  expect(decodingErrorsFor([...fields, ''])).toHaveLength(1);
}
