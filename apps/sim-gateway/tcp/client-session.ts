import type net from 'node:net';
import type { Logger } from '../../../shared/log/logger';
import type { MarketSnapshot } from '../engine/types';
import { ProtocolError } from '../protocol/errors';
import { FrameReader } from '../protocol/frame-reader';
import { chooseServerVersion, encodeHandshakeReply } from '../protocol/handshake';
import { decodeClientMessage } from '../protocol/client-messages';
import type { ClientRequest } from '../protocol/client-request-types';
import { frame, type WireField } from '../protocol/server-messages';
import { errorMessageFields } from '../protocol/server-messages';
import { DelayedDelivery } from '../realism/delayed-delivery';

/** A delayed (reqMarketDataType 3/4) subscription: streamed from the market 15 minutes ago. */
export interface DelayedSubscription {
  symbol: string;
  /** The delayed state last sent: a new trade of the symbol does not always move the view of 15 minutes ago. */
  lastSent: Readonly<MarketSnapshot> | undefined;
}

export type RequestedMarketDataType = 1 | 2 | 3 | 4;

/** What one connected client subscribed to. */
export interface SessionSubscriptions {
  /** Live (or frozen) market data: the gateway streams every trade to these. */
  marketData: Map<number, { symbol: string; rtVolume: boolean }>;
  /** Delayed market data (tick types 66-76), streamed by handlers/delayed-market-data.ts. */
  delayedMarketData: Map<number, DelayedSubscription>;
  positions: boolean;
  accountUpdates: boolean;
  accountSummary: Set<number>;
  pnl: Set<number>;
  pnlSingle: Map<number, string>;
  scanners: Map<number, { scanCode: string; rows: number; abovePrice?: number; belowPrice?: number; aboveVolume?: number }>;
}

export interface SessionHost {
  readonly silent: boolean;
  connectionTime(): string;
  onRequest(session: ClientSession, request: ClientRequest): void;
  onClosed(session: ClientSession): void;
  readonly log: Logger;
}

/**
 * One TCP connection from an API client: framing, handshake, decoding; hands decoded requests to the
 * gateway. Everything sent in one turn of the event loop (a feed step's trades, the answers to one chunk
 * of requests) is queued and written as ONE buffer at the end of that turn (nextTick): a write per trade
 * and client, or a writev of many small frames, costs more than all the rest of the fan-out.
 */
export class ClientSession {
  clientId: number | undefined;
  /**
   * The market data type this client asked for with reqMarketDataType: 1 live (default, as in TWS), 2 frozen,
   * 3 delayed, 4 delayed-frozen. What it gets depends on the account's permissions (realism.marketData).
   */
  marketDataType: RequestedMarketDataType = 1;
  readonly subscriptions: SessionSubscriptions = {
    marketData: new Map(), delayedMarketData: new Map(), positions: false, accountUpdates: false, accountSummary: new Set(), pnl: new Set(), pnlSingle: new Map(), scanners: new Map(),
  };
  /**
   * Answers whose end marker carries no request id (positionEnd, openOrderEnd), one FIFO per kind: a gateway
   * answers one connection's requests in order, so an answer held back (the late-answer quirks) holds back
   * the later answers of its kind, which then arrive right after its late end marker.
   */
  readonly orderedAnswers = new DelayedDelivery(() => 0);
  private readonly reader = new FrameReader();
  private replied = false;
  private closed = false;
  /** Frames waiting for the end of this turn of the event loop; undefined when no flush is scheduled. */
  private pending: Buffer[] | undefined;
  /** Bytes that arrived while the gateway was frozen: a frozen process does not read, it does not lose. */
  private heldWhileSilent: Buffer[] = [];
  private messagesThisSecond = 0;
  private rateWindowStartMs = Date.now();
  readonly remote: string;

  constructor(private readonly socket: net.Socket, private readonly host: SessionHost) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', (error) => host.log.debug('client_socket_error', { remote: this.remote, error: error.message }));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  send(fields: ReadonlyArray<WireField>): void {
    if (this.closed || this.host.silent) return;
    this.queue(frame(fields));
  }

  sendAll(messages: ReadonlyArray<ReadonlyArray<WireField>>): void {
    if (this.closed || this.host.silent || messages.length === 0) return;
    for (const fields of messages) this.queue(frame(fields));
  }

  private queue(bytes: Buffer): void {
    if (this.pending) {
      this.pending.push(bytes);
      return;
    }
    this.pending = [bytes];
    process.nextTick(() => this.flush());
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending || this.closed) return;
    this.socket.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
  }

  sendError(id: number, code: number, message: string): void {
    this.send(errorMessageFields({ id, code, message }));
  }

  /** Counts a message for the pacing rule (IB: about 50 per second per client); true when over. */
  countMessage(limitPerSecond: number): boolean {
    const nowMs = Date.now();
    if (nowMs - this.rateWindowStartMs >= 1_000) {
      this.rateWindowStartMs = nowMs;
      this.messagesThisSecond = 0;
    }
    this.messagesThisSecond += 1;
    return this.messagesThisSecond === limitPerSecond + 1;
  }

  /** The gateway thawed: handle what arrived while it was frozen, in order. */
  thaw(): void {
    const held = this.heldWhileSilent;
    this.heldWhileSilent = [];
    for (const chunk of held) this.onData(chunk);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.socket.end();
    this.socket.destroy();
    this.onClose();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    // A silent gateway keeps the socket open but answers nothing (a frozen IB Gateway); what the client sent
    // in the meantime is read and answered when it thaws, like bytes waiting in the kernel's socket buffer.
    if (this.host.silent) {
      this.heldWhileSilent.push(chunk);
      return;
    }
    let messages: string[][];
    try {
      messages = this.reader.push(chunk);
      if (this.reader.handshake && !this.replied) {
        const version = chooseServerVersion(this.reader.handshake.versionRange);
        this.queue(encodeHandshakeReply(version, this.host.connectionTime()));
        this.replied = true;
      }
    } catch (error) {
      this.host.log.warn('protocol_error', { remote: this.remote, clientId: this.clientId, error: (error as Error).message });
      this.close();
      return;
    }
    for (const fields of messages) {
      let request: ClientRequest;
      try {
        request = decodeClientMessage(fields);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        // A malformed message is answered like TWS does (320 error reading request), the connection stays up.
        this.host.log.warn('bad_client_message', { clientId: this.clientId, messageId: fields[0], error: error.message });
        this.sendError(-1, 320, `Error reading request: ${error.reason}`);
        continue;
      }
      this.host.onRequest(this, request);
      if (this.closed) return;
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.orderedAnswers.stop();
    this.host.onClosed(this);
  }
}
