import { BrokerTimeout, BrokerUnavailable } from '../../errors/errors';

/**
 * Snapshots whose answers end with a marker that carries NO request id (positionEnd, openOrderEnd: TWS API).
 * A request that timed out may still be answered later, and its late marker would look like the end of the
 * next request, completing it with the wrong (partial) rows. The gateway answers the requests of one
 * connection in order, so markers are counted: request n is complete at the n-th marker, and its rows are
 * those that arrive between marker n-1 and marker n. A timed-out request keeps its place in the count; its
 * late rows and marker are skipped, never given to the next request.
 *
 * If markers are owed for more than one outstanding request when a new one is made, and the oldest of them
 * has waited longer than a request may (its timeout), the gateway is not answering at all (not just late):
 * `onStuck` is called so the connection can be recycled (a new connection starts counting from zero). Two or
 * three requests in flight within the same second are no such sign: counting alone dropped a connection a
 * few hundred ms after it was made, during a 2.5 s silence the liveness check tolerates (chaos seed 32).
 */
export class EndMarkerSequence<Row, Key> {
  private requested = 0;
  private received = 0;
  /** Counts resets: a request made while onStuck recycles the connection belongs to neither connection. */
  private generation = 0;
  private readonly collectors = new Map<number, Collector<Row, Key>>();
  /** When each request still owed was made (by its index), untracked ones included. */
  private readonly madeAtMs = new Map<number, number>();

  constructor(
    private readonly what: string,
    private readonly keyOf: (row: Row) => Key,
    private readonly onStuck: (owed: number) => void,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** A request whose answer nobody waits for (the positions stream subscription): it still owes a marker. */
  requestUntracked(send: () => void): void {
    this.requested += 1;
    this.madeAtMs.set(this.requested, this.nowMs());
    send();
  }

  /** Sends a request; resolves with exactly its own rows once its own marker arrived, or rejects on timeout. */
  request(send: () => void, timeoutMs: number): Promise<Row[]> {
    const owed = this.requested - this.received;
    const oldestWaitedMs = this.nowMs() - (this.madeAtMs.get(this.received + 1) ?? this.nowMs());
    if (owed >= 2 && oldestWaitedMs >= timeoutMs) {
      const generation = this.generation;
      this.onStuck(owed);
      // The connection was recycled (reset) and `send` would go to the dead one: counted on the new
      // connection, this request would own the marker of the next one, and every request after it would be
      // answered with its predecessor's marker and time out.
      if (this.generation !== generation) return Promise.reject(new BrokerUnavailable(`${this.what} NOT sent: the connection was recycled (${owed} earlier requests unanswered); retry once reconnected`));
    }
    const index = ++this.requested;
    this.madeAtMs.set(index, this.nowMs());
    return new Promise<Row[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.collectors.delete(index);
        reject(new BrokerTimeout(`${this.what} got no complete answer within ${timeoutMs} ms; treat as unknown, not empty (its late answer will be skipped)`));
      }, timeoutMs);
      this.collectors.set(index, { rows: new Map(), resolve, reject, timer });
      send();
    });
  }

  /** A row arrived: it belongs to the request currently being answered (the one after the last marker). */
  onRow(row: Row): void {
    const collector = this.collectors.get(this.received + 1);
    collector?.rows.set(this.keyOf(row), row);
  }

  /** Updates a row already collected by the request being answered (an orderStatus after its openOrder). */
  updateRow(match: (row: Row) => boolean, update: (row: Row) => void): void {
    const collector = this.collectors.get(this.received + 1);
    if (!collector) return;
    for (const row of collector.rows.values()) if (match(row)) update(row);
  }

  onEnd(): void {
    this.received += 1;
    this.madeAtMs.delete(this.received);
    const collector = this.collectors.get(this.received);
    if (!collector) return; // a timed-out request's late marker, or the untracked stream's
    this.collectors.delete(this.received);
    clearTimeout(collector.timer);
    collector.resolve([...collector.rows.values()]);
  }

  /** The connection is gone: nothing owed any more, every waiting request fails with `error`. */
  reset(error: Error): void {
    for (const collector of this.collectors.values()) {
      clearTimeout(collector.timer);
      collector.reject(error);
    }
    this.collectors.clear();
    this.madeAtMs.clear();
    this.generation += 1;
    this.requested = 0;
    this.received = 0;
  }

  /** Markers owed (requests sent and not yet ended), for diagnostics and tests. */
  get owed(): number {
    return this.requested - this.received;
  }
}

interface Collector<Row, Key> {
  rows: Map<Key, Row>;
  resolve: (rows: Row[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}
