import { EventEmitter } from 'node:events';
import { EventName, IBApi } from './ib-client';
import { AccountMismatchError, BrokerUnavailable, errorMessage } from '../../errors/errors';
import type { Logger } from '../../log/logger';
import { CLIENT_ID_IN_USE } from './ib-mapping';

export interface IbConnectionOptions {
  host: string;
  port: number;
  clientId: number;
  connectTimeoutMs: number;
  livenessIntervalMs: number;
  livenessTimeoutMs: number;
  reconnectMaxDelayMs: number;
  /** Client-side rate limit; IB allows about 50 messages per second. */
  maxRequestsPerSecond: number;
  log: Logger;
  /** Connect-time account check; a problem refuses the connection for good (AccountMismatchError). */
  verifyAccounts?: (accounts: string[]) => string | undefined;
}

export interface IbConnectionEvents {
  /** A new IBApi is connected and ready (nextValidId received): attach listeners, resubscribe. */
  ready: [ib: IBApi, info: { accounts: string[]; nextValidId: number; serverVersion: number }];
  lost: [reason: string];
}

/**
 * One IBApi per connection attempt, so nothing queued inside a dead client can ever be sent later
 * (@stoqey/ib queues requests made while disconnected). Reconnects with back-off forever, and runs its own
 * liveness check: a gateway that keeps the socket open but stops answering is declared dead after
 * `livenessTimeoutMs` of silence, and probing continues while disconnected.
 */
export class IbConnection extends EventEmitter<IbConnectionEvents> {
  private ib: IBApi | undefined;
  private ready = false;
  private stopped = true;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  private lastReceivedMs = 0;
  /** When the unanswered liveness probe was sent; undefined once any byte has arrived since. */
  private probeSentAtMs: number | undefined;
  private lastProbeAtMs = 0;
  private fatal: Error | undefined;
  private firstConnection: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(private readonly options: IbConnectionOptions) {
    super();
  }

  get api(): IBApi | undefined {
    return this.ready ? this.ib : undefined;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Starts connecting (and reconnecting); resolves on the first ready connection, rejects if that attempt fails. */
  start(): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.ready) return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => (this.firstConnection = { resolve, reject }));
    if (this.stopped) {
      this.stopped = false;
      // Checked four times per probe interval so a dead link is declared soon after the timeout passes.
      this.livenessTimer = setInterval(() => this.checkLiveness(), Math.max(50, Math.floor(this.options.livenessIntervalMs / 4)));
      this.connectNow();
    }
    return promise;
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.reconnectTimer = undefined;
    this.livenessTimer = undefined;
    this.teardown('stopped');
  }

  private connectNow(): void {
    if (this.stopped) return;
    this.attempt += 1;
    const { host, port, clientId } = this.options;
    const ib = new IBApi({ host, port, clientId, maxReqPerSec: this.options.maxRequestsPerSecond });
    this.ib = ib;
    let accounts: string[] = [];
    let settled = false;
    const fail = (reason: string, fatalError?: Error) => {
      if (settled || this.ib !== ib) return;
      settled = true;
      clearTimeout(timeout);
      if (fatalError) this.fatal = fatalError;
      this.teardown(reason);
      this.firstConnection?.reject(fatalError ?? new BrokerUnavailable(`cannot reach the gateway at ${host}:${port} as client ${clientId}: ${reason}. Is it running (SIM: npm start; PAPER/LIVE: IB Gateway or TWS with the API enabled)?`));
      this.firstConnection = undefined;
      if (!fatalError) this.scheduleReconnect();
    };
    const timeout = setTimeout(() => fail(`no handshake within ${this.options.connectTimeoutMs} ms`), this.options.connectTimeoutMs);
    ib.on(EventName.received, () => {
      this.lastReceivedMs = Date.now();
      this.probeSentAtMs = undefined;
    });
    ib.on(EventName.connected, () => disableNagle(ib));
    let nextValidId: number | undefined;
    let accountsAsked = false;
    // managedAccounts and nextValidId arrive in either order after the handshake (TWS API): the link is ready
    // only with both, since the account check needs the accounts and orders need the id.
    const readyIfComplete = () => {
      if (settled || this.ib !== ib || nextValidId === undefined) return;
      if (accounts.length === 0) {
        if (!accountsAsked) {
          accountsAsked = true;
          // Give the unsolicited message a moment, then ask for it explicitly.
          setTimeout(() => this.ib === ib && !settled && accounts.length === 0 && ib.reqManagedAccts(), 500);
        }
        return;
      }
      settled = true;
      clearTimeout(timeout);
      const problem = this.options.verifyAccounts?.(accounts);
      if (problem) {
        const error = new AccountMismatchError(`refusing to trade: ${problem}`);
        this.fatal = error;
        this.teardown('account mismatch');
        this.firstConnection?.reject(error);
        this.firstConnection = undefined;
        this.options.log.error('broker_account_mismatch', { problem, accounts });
        return;
      }
      this.ready = true;
      this.attempt = 0;
      this.lastReceivedMs = Date.now();
      this.probeSentAtMs = undefined;
      this.options.log.info('broker_connected', { host, port, clientId, accounts, nextValidId, serverVersion: ib.serverVersion });
      this.emit('ready', ib, { accounts, nextValidId, serverVersion: ib.serverVersion });
      this.firstConnection?.resolve();
      this.firstConnection = undefined;
    };
    ib.on(EventName.managedAccounts, (list: string) => {
      accounts = list.split(',').map((a) => a.trim()).filter(Boolean);
      readyIfComplete();
    });
    ib.on(EventName.info, (_message: string, code: number) => {
      if (code === CLIENT_ID_IN_USE && !settled) fail(`client id ${clientId} is already in use (IB 326): another process with the same CLIENT_ID is connected`);
    });
    ib.on(EventName.error, (error: Error, code: number) => {
      if (!settled && (code === 502 || code === 504 || code === CLIENT_ID_IN_USE || code === 506)) fail(`${error.message} (IB ${code})`);
    });
    ib.on(EventName.disconnected, () => {
      if (!settled) return fail('connection closed during the handshake');
      if (this.ib === ib) this.lose('gateway closed the connection');
    });
    ib.on(EventName.nextValidId, (id: number) => {
      if (this.ib !== ib) return;
      // Later ones answer reqIds; only the first of the handshake matters here.
      if (nextValidId === undefined) nextValidId = id;
      readyIfComplete();
    });
    try {
      ib.connect(clientId);
    } catch (error) {
      fail(errorMessage(error));
    }
  }

  /**
   * Silence is measured from the moment we asked (the oldest unanswered probe), not from the last byte:
   * a quiet link with nothing to say is not a dead one, so a gateway frozen for less than the timeout never
   * drops the connection, and one frozen for longer is declared dead within timeout + one probe interval.
   */
  private checkLiveness(): void {
    if (this.stopped) return;
    const ib = this.ib;
    if (!this.ready || !ib) return;
    const now = Date.now();
    if (this.probeSentAtMs !== undefined) {
      if (now - this.probeSentAtMs <= this.options.livenessTimeoutMs) return;
      // Timers run before pending socket reads: after our own event loop was blocked (a long DB lock, a GC),
      // the answer may be waiting unread. Decide only after the I/O phase has had its turn.
      setImmediate(() => {
        if (this.ib !== ib || !this.ready || this.probeSentAtMs === undefined) return;
        const unansweredMs = Date.now() - this.probeSentAtMs;
        if (unansweredMs <= this.options.livenessTimeoutMs) return;
        const silentMs = Date.now() - this.lastReceivedMs;
        this.options.log.warn('broker_silent', { silentMs, unansweredMs, limitMs: this.options.livenessTimeoutMs });
        this.lose(`gateway silent for ${silentMs} ms (a request unanswered for ${unansweredMs} ms)`);
      });
      return;
    }
    if (now - this.lastProbeAtMs < this.options.livenessIntervalMs) return;
    this.lastProbeAtMs = now;
    this.probeSentAtMs = now;
    ib.reqCurrentTime(); // any byte received clears the probe
  }

  /**
   * Drops a connection that is up but no longer trustworthy (answers stopped arriving for its snapshot
   * requests) and reconnects: a new connection owes nothing from the old one.
   */
  recycle(reason: string): void {
    this.options.log.warn('broker_connection_recycled', { reason });
    this.lose(reason);
  }

  private lose(reason: string): void {
    if (!this.ready) return;
    this.teardown(reason);
    this.options.log.warn('broker_disconnected', { reason });
    this.emit('lost', reason);
    this.scheduleReconnect();
  }

  private teardown(reason: string): void {
    const ib = this.ib;
    this.ready = false;
    this.ib = undefined;
    if (!ib) return;
    ib.removeAllListeners();
    ib.on(EventName.error, () => undefined); // a late socket error on a dead client must not crash the process
    try {
      ib.disconnect();
    } catch (error) {
      this.options.log.debug('broker_disconnect_failed', { reason, error: errorMessage(error) });
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer || this.fatal) return;
    const delayMs = Math.min(this.options.reconnectMaxDelayMs, 250 * 2 ** Math.min(this.attempt, 8));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectNow();
    }, delayMs);
  }
}

/**
 * @stoqey/ib opens its socket with Nagle's algorithm on. Small writes (an order is a few hundred bytes)
 * then wait for the ACK of the previous one, and with delayed ACKs that is up to 40 ms on Linux: exactly
 * the latency of a stop or exit order. The socket is internal to the package, so this reaches in, guarded.
 */
function disableNagle(ib: IBApi): void {
  const socket = (ib as unknown as { controller?: { socket?: { client?: { setNoDelay?: (on: boolean) => void } } } }).controller?.socket?.client;
  socket?.setNoDelay?.(true);
}
