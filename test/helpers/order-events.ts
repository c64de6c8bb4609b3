import type { BrokerPort, ConnectionEvent, OrderEvent } from '../../shared/broker/types';

/** Records every order and connection event of a broker so tests can wait for one without racing it. */
export class EventRecorder {
  readonly orderEvents: OrderEvent[] = [];
  readonly connectionEvents: ConnectionEvent[] = [];
  private waiters: Array<() => void> = [];
  private readonly unsubscribe: Array<() => void>;

  constructor(broker: BrokerPort) {
    this.unsubscribe = [
      broker.onOrderEvent((event) => {
        this.orderEvents.push(event);
        this.wake();
      }),
      broker.onConnectionEvent((event) => {
        this.connectionEvents.push(event);
        this.wake();
      }),
    ];
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves with the first recorded order event (past or future) matching; rejects after timeoutMs. */
  waitForOrder<T extends OrderEvent>(predicate: (e: OrderEvent) => e is T, timeoutMs?: number, what?: string): Promise<T>;
  waitForOrder(predicate: (e: OrderEvent) => boolean, timeoutMs?: number, what?: string): Promise<OrderEvent>;
  waitForOrder(predicate: (e: OrderEvent) => boolean, timeoutMs = 10_000, what = 'order event'): Promise<OrderEvent> {
    return this.waitFor(() => this.orderEvents.find(predicate), timeoutMs, what);
  }

  waitForConnection(predicate: (e: ConnectionEvent) => boolean, timeoutMs = 10_000, what = 'connection event', after = 0): Promise<ConnectionEvent> {
    return this.waitFor(() => this.connectionEvents.slice(after).find(predicate), timeoutMs, what);
  }

  waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      const loop = () => {
        if (!check()) this.waiters.push(loop);
      };
      loop();
    });
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }
}
