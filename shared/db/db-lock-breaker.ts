import type Database from 'better-sqlite3';
import { isBusyError } from './db-errors';

type Db = Database.Database;

export interface DbLockBreakerOptions {
  /** The connection's normal busy timeout: what a write waits for someone else's lock while none is known. */
  busyTimeoutMs: number;
  /** While a lock is known, one write per this interval waits the normal busy timeout (default: max(250, 4 × busyTimeoutMs)). */
  probeEveryMs?: number;
  /** Real time (default Date.now): busy timeouts are real milliseconds, whatever the market clock says. */
  realNowMs?: () => number;
  /** Told when writes start failing fast (a lock is held elsewhere) and when a write got through again. */
  onChange?: (change: DbLockChange) => void;
}

export type DbLockChange =
  | { kind: 'failing_fast'; sinceMs: number; busyTimeoutMs: number; probeEveryMs: number }
  | { kind: 'restored'; sinceMs: number; lockedForMs: number; refusedFast: number };

/**
 * better-sqlite3 waits for another connection's write lock synchronously, so every write attempted during a
 * lock stops the whole event loop for the busy timeout. One such wait is cheap; a burst of them is not: the
 * exit manager handling 30 broker events (each a write) during a 4 s lock held by someone else stopped for
 * 30 × 50 ms, its heartbeat went stale and the supervisor killed it as hung (chaos seeds 12-14).
 *
 * This breaker makes the cost of a lock bounded per interval instead of per write: after a write fails with
 * SQLITE_BUSY, the connection's busy_timeout drops to 0 (a write then fails at once, with the same
 * SQLITE_BUSY its caller already handles), except for one write per `probeEveryMs` that waits the normal
 * timeout so the lock is noticed gone even when other writers keep the DB briefly busy. The first write that
 * succeeds restores the normal timeout. Reads never wait in WAL mode and are not touched.
 *
 * Installed on the connection itself (prepare, exec, transaction), so every repository gets it without
 * knowing; a transaction counts as one write: the statements inside it follow its outermost call.
 */
export class DbLockBreaker {
  /** Since when (real ms) writes fail fast because of a lock held elsewhere; undefined: they wait normally. */
  private failingSinceMs: number | undefined;
  private nextProbeAtMs = 0;
  private refusedFast = 0;
  private depth = 0;
  /** A write statement succeeded inside the current outermost call: the write lock was ours. */
  private wroteInside = false;
  private currentTimeoutMs: number;
  private readonly probeEveryMs: number;
  private readonly realNowMs: () => number;

  constructor(private readonly db: Db, private readonly options: DbLockBreakerOptions) {
    this.probeEveryMs = options.probeEveryMs ?? Math.max(250, 4 * options.busyTimeoutMs);
    this.realNowMs = options.realNowMs ?? Date.now;
    this.currentTimeoutMs = options.busyTimeoutMs;
  }

  /** Wraps the connection's prepare, exec and transaction so that every write goes through `guard`. */
  install(): this {
    const { db } = this;
    const prepare = db.prepare.bind(db);
    db.prepare = ((source: string) => {
      const statement = prepare(source);
      if (!statement.reader) this.wrapWriter(statement);
      return statement;
    }) as Db['prepare'];
    const exec = db.exec.bind(db);
    // exec may only read (or only BEGIN deferred): its success proves nothing about the lock.
    db.exec = ((source: string) => this.guard(() => exec(source), false)) as Db['exec'];
    const transaction = db.transaction.bind(db);
    db.transaction = ((fn: (...args: unknown[]) => unknown) => this.wrapTransaction(transaction(fn))) as Db['transaction'];
    return this;
  }

  /**
   * Runs one write. Only the outermost call decides (a transaction's inner statements run with whatever
   * timeout their transaction started with).
   */
  guard<T>(call: () => T, successMeansLockFree: boolean): T {
    if (this.depth > 0) {
      const result = call();
      if (successMeansLockFree) this.wroteInside = true;
      return result;
    }
    this.depth = 1;
    this.wroteInside = false;
    const nowMs = this.realNowMs();
    const failing = this.failingSinceMs !== undefined;
    const probing = failing && nowMs >= this.nextProbeAtMs;
    if (probing) {
      this.nextProbeAtMs = nowMs + this.probeEveryMs;
      this.setTimeout(this.options.busyTimeoutMs);
    }
    try {
      const result = call();
      if (this.failingSinceMs !== undefined && (successMeansLockFree || this.wroteInside)) this.restore();
      return result;
    } catch (error) {
      if (isBusyError(error)) {
        if (!failing) this.startFailingFast(nowMs);
        else if (!probing) this.refusedFast += 1;
      }
      throw error;
    } finally {
      this.depth = 0;
      if (this.failingSinceMs !== undefined) this.setTimeout(0);
    }
  }

  private startFailingFast(nowMs: number): void {
    this.failingSinceMs = nowMs;
    this.nextProbeAtMs = nowMs + this.probeEveryMs;
    this.refusedFast = 0;
    this.options.onChange?.({ kind: 'failing_fast', sinceMs: nowMs, busyTimeoutMs: this.options.busyTimeoutMs, probeEveryMs: this.probeEveryMs });
  }

  private restore(): void {
    const sinceMs = this.failingSinceMs!;
    this.failingSinceMs = undefined;
    this.setTimeout(this.options.busyTimeoutMs);
    this.options.onChange?.({ kind: 'restored', sinceMs, lockedForMs: this.realNowMs() - sinceMs, refusedFast: this.refusedFast });
  }

  private setTimeout(ms: number): void {
    if (this.currentTimeoutMs === ms) return;
    // pragma() prepares through the native handle, not the wrapped prepare: no recursion into guard.
    this.db.pragma(`busy_timeout = ${Math.floor(ms)}`);
    this.currentTimeoutMs = ms;
  }

  private wrapWriter(statement: Database.Statement): void {
    // iterate() is left alone: it steps lazily, after any guard would have returned; writers here never use it.
    for (const method of ['run', 'get', 'all'] as const) {
      const original = statement[method] as (...args: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => this.guard(() => original.apply(statement, args), true);
    }
  }

  /** better-sqlite3's transaction function and its variants, each guarded; IMMEDIATE/EXCLUSIVE take the lock up front. */
  private wrapTransaction<F extends Database.Transaction<(...args: unknown[]) => unknown>>(tx: F): F {
    // The wrappers are plain functions: better-sqlite3 hands its own `this` on to the transaction's function.
    const breaker = this;
    const variants = ['default', 'deferred', 'immediate', 'exclusive'] as const;
    const wrapped = Object.fromEntries(variants.map((variant) => {
      const original = tx[variant] as unknown as (...args: unknown[]) => unknown;
      const takesLock = variant === 'immediate' || variant === 'exclusive';
      return [variant, function (this: unknown, ...args: unknown[]) {
        return breaker.guard(() => original.apply(this, args), takesLock);
      }];
    })) as Record<(typeof variants)[number], (...args: unknown[]) => unknown>;
    const properties = Object.fromEntries([...variants.map((v) => [v, { value: wrapped[v] }]), ['database', { value: this.db, enumerable: true }]]);
    for (const variant of variants) Object.defineProperties(wrapped[variant], properties);
    return wrapped.default as unknown as F;
  }
}
