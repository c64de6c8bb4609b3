/**
 * Market time is a dependency (NautilusTrader's Clock): nothing decides on `Date.now()` directly.
 * Heartbeats, liveness and restarts use real time; trading decisions use the injected Clock.
 */
export interface Clock {
  /** Market time, epoch milliseconds. */
  now(): number;
  /** Market milliseconds per real millisecond: 1 in real time, e.g. 60 on a compressed simulated day. */
  readonly speed: number;
  readonly description: string;
}

/** Real milliseconds to wait for `marketMs` of market time to pass, never below `minRealMs`. */
export function realDelayMs(clock: Clock, marketMs: number, minRealMs = 0): number {
  return Math.max(minRealMs, marketMs / clock.speed);
}

export class SystemClock implements Clock {
  readonly speed = 1;
  readonly description = 'system clock (real time)';
  now(): number {
    return Date.now();
  }
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  readonly description = 'manual clock';
  constructor(private currentMs: number, readonly speed = 1) {}
  now(): number {
    return this.currentMs;
  }
  set(ms: number): void {
    this.currentMs = ms;
  }
  advance(ms: number): void {
    this.currentMs += ms;
  }
}
