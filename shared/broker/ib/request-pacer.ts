/** What the pacer needs of a timer: injected so its unit test runs without waiting. */
export interface PacerTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const REAL_TIMERS: PacerTimers = {
  // Unref'd: a data request still waiting never keeps a finishing process alive.
  set: (callback, ms) => setTimeout(callback, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** @stoqey/ib paces every message of a connection in windows of a tenth of a second (rate / 10 per 100 ms). */
export const CLIENT_WINDOW_MS = 100;

/** Share of the client library's window the non-urgent requests may use: the rest is kept for orders. */
export const NON_URGENT_SHARE = 0.6;

/** How many non-urgent requests may go out per window, given the client's messages per second. */
export function nonUrgentPerWindow(maxRequestsPerSecond: number): number {
  return Math.max(1, Math.floor((maxRequestsPerSecond / (1_000 / CLIENT_WINDOW_MS)) * NON_URGENT_SHARE));
}

/**
 * Keeps orders from queueing behind data requests. `@stoqey/ib` paces all of a connection's messages through
 * one first-in-first-out queue (IB disconnects a client that sends more than about 50 a second), so a stop
 * placed just after a burst of market-data subscriptions or snapshot requests waited for all of them: the
 * fill → stop benchmark's worst stage. The adapter sends its non-urgent requests through this pacer, at most
 * `perWindow` in any `windowMs` (the same sliding window as the library's, a share of its size), and its
 * orders and cancels straight to the client, which therefore always has room for them.
 */
export class RequestPacer {
  /** Snapshots the bots decide on (positions, open orders, executions) go ahead of market data and lookups. */
  private readonly waitingFirst: Array<() => void> = [];
  private readonly waiting: Array<() => void> = [];
  private readonly timers = new Set<unknown>();
  private available: number;

  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number = CLIENT_WINDOW_MS,
    private readonly clock: PacerTimers = REAL_TIMERS,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.available = perWindow;
  }

  /**
   * Sends now when the window has room and nothing waits ahead; otherwise in turn. `first`: a snapshot the
   * exit manager's restart waits for (its positions and orders) is not queued behind a burst of market-data
   * subscriptions (at IB's 45 messages a second only two of them leave per window).
   */
  send(request: () => void, first = false): void {
    if (this.available > 0 && this.queued === 0) this.take(request);
    else (first ? this.waitingFirst : this.waiting).push(request);
  }

  /** Requests not sent yet. */
  get queued(): number {
    return this.waitingFirst.length + this.waiting.length;
  }

  /** The connection is gone: what waits would go to a dead client, and the next one starts with a full window. */
  reset(): void {
    for (const handle of this.timers) this.clock.clear(handle);
    this.timers.clear();
    this.waitingFirst.length = 0;
    this.waiting.length = 0;
    this.available = this.perWindow;
  }

  private take(request: () => void): void {
    this.available -= 1;
    const handle = this.clock.set(() => {
      this.timers.delete(handle);
      this.available += 1;
      this.drain();
    }, this.windowMs);
    this.timers.add(handle);
    try {
      request();
    } catch (error) {
      this.onError(error);
    }
  }

  private drain(): void {
    while (this.available > 0 && this.queued > 0) this.take((this.waitingFirst.length > 0 ? this.waitingFirst : this.waiting).shift()!);
  }
}
