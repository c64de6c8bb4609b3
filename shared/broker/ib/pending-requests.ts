import { BrokerTimeout } from '../../errors/errors';

/** An IB error that answered a request (e.g. 162 pacing, 200 unknown symbol, 321 invalid request). */
export class BrokerRequestError extends Error {
  constructor(readonly code: number, message: string, readonly reqId?: number) {
    super(`IB error ${code}: ${message}`);
    this.name = 'BrokerRequestError';
  }
}

interface Pending {
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Requests that IB answers with a stream ending in an end marker. A request that does not complete in time
 * fails with BrokerTimeout: unknown is not empty (architecture.md), so a caller never reads a timeout as
 * "nothing there".
 */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();

  /** `onTimeout` cancels the request at the broker (IB asks clients to cancel requests they gave up on). */
  track<T>(reqId: number, timeoutMs: number, what: string, start: (resolve: (value: T) => void) => void, onTimeout?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        onTimeout?.();
        reject(new BrokerTimeout(`${what} got no complete answer within ${timeoutMs} ms (request ${reqId}); treat as unknown, not empty`));
      }, timeoutMs);
      this.pending.set(reqId, { reject, timer });
      start((value) => {
        if (!this.pending.has(reqId)) return;
        clearTimeout(timer);
        this.pending.delete(reqId);
        resolve(value);
      });
    });
  }

  has(reqId: number): boolean {
    return this.pending.has(reqId);
  }

  fail(reqId: number, error: Error): boolean {
    const entry = this.pending.get(reqId);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.pending.delete(reqId);
    entry.reject(error);
    return true;
  }

  failAll(makeError: () => Error): void {
    for (const reqId of [...this.pending.keys()]) this.fail(reqId, makeError());
  }
}
