import type { ProtectionKind, ProtectionView } from './protection';

export interface BlindWindow {
  startRealMs: number;
  /** Undefined while the window is still open. */
  endRealMs?: number;
  reason: string;
}

export interface UnprotectedInterval {
  symbol: string;
  startRealMs: number;
  endRealMs: number;
  durationMs: number;
  /** Part of the interval during which the gateway was down, silent or reconnecting (see BlindWindow). */
  blindMs: number;
  /** durationMs - blindMs: what the bound applies to. */
  effectiveMs: number;
  how: ProtectionKind;
  /** 'fill' when the start is the fill's own gateway stamp, 'poll' when it is the last poll that saw it fine. */
  startSource: 'fill' | 'poll';
  /** 'order' when the end is the protective order's gateway stamp, 'poll' for the poll that saw it, 'flat' when it closed. */
  endSource: 'order' | 'poll' | 'flat';
  openAtEnd?: boolean;
}

interface OpenInterval {
  startRealMs: number;
  startSource: 'fill' | 'poll';
  how: ProtectionKind;
}

/**
 * Turns successive observations of the broker's positions and protection into unprotected intervals.
 * Conservative where the polls cannot see: an interval starts at the fill that opened or grew the position
 * when the gateway stamped one after the last good poll, otherwise at that last good poll; it ends at the
 * gateway stamp of the protective order when it falls inside the interval, otherwise at the poll that saw it.
 * Time when the gateway itself was down, silent or reconnecting is reported apart (blindMs): nobody can
 * place an order through a gateway that is not there.
 */
export class UnprotectedTracker {
  private readonly open = new Map<string, OpenInterval>();
  private readonly lastGoodMs = new Map<string, number>();
  private lastPollMs: number | undefined;
  private readonly windows: BlindWindow[] = [];
  readonly intervals: UnprotectedInterval[] = [];

  /** Starts a blind window; returns a function that ends it. */
  beginBlindWindow(startRealMs: number, reason: string): (endRealMs: number) => void {
    const window: BlindWindow = { startRealMs, reason };
    this.windows.push(window);
    return (endRealMs) => {
      window.endRealMs = Math.max(startRealMs, endRealMs);
    };
  }

  get blindWindows(): readonly BlindWindow[] {
    return this.windows;
  }

  /**
   * One poll. `lastFillRealMs(symbol)` is the gateway stamp of the symbol's latest execution;
   * `pollStartedMs` is when the state was requested (the observation holds from then).
   */
  observe(pollStartedMs: number, views: readonly ProtectionView[], lastFillRealMs: (symbol: string) => number | undefined): void {
    const held = new Set<string>();
    for (const view of views) {
      if (view.quantity === 0) continue;
      held.add(view.symbol);
      const current = this.open.get(view.symbol);
      if (!view.protected) {
        if (current) {
          current.how = worse(current.how, view.how);
          continue;
        }
        const previousGood = this.lastGoodMs.get(view.symbol) ?? this.lastPollMs ?? pollStartedMs;
        const fill = lastFillRealMs(view.symbol);
        const fromFill = fill !== undefined && fill > previousGood && fill <= pollStartedMs;
        this.open.set(view.symbol, { startRealMs: fromFill ? fill : previousGood, startSource: fromFill ? 'fill' : 'poll', how: view.how });
        continue;
      }
      if (current) {
        const stamp = view.protectedSinceRealMs;
        const fromOrder = stamp !== undefined && stamp >= current.startRealMs && stamp <= pollStartedMs;
        this.close(view.symbol, current, fromOrder ? stamp : pollStartedMs, fromOrder ? 'order' : 'poll');
      }
      this.lastGoodMs.set(view.symbol, pollStartedMs);
    }
    for (const [symbol, current] of [...this.open]) {
      if (held.has(symbol)) continue;
      const fill = lastFillRealMs(symbol);
      const end = fill !== undefined && fill >= current.startRealMs && fill <= pollStartedMs ? fill : pollStartedMs;
      this.close(symbol, current, end, 'flat');
    }
    for (const symbol of [...this.lastGoodMs.keys()]) if (!held.has(symbol)) this.lastGoodMs.delete(symbol);
    this.lastPollMs = pollStartedMs;
  }

  /** Symbols unprotected right now, with how long (ms, blind time included). */
  openNow(nowMs: number): Array<{ symbol: string; sinceMs: number; how: ProtectionKind }> {
    return [...this.open].map(([symbol, o]) => ({ symbol, sinceMs: nowMs - o.startRealMs, how: o.how }));
  }

  /** Closes what is still open (a position left unprotected at the end is reported as such). */
  finish(nowMs: number): UnprotectedInterval[] {
    for (const [symbol, current] of [...this.open]) this.close(symbol, current, nowMs, 'poll', true);
    return this.intervals;
  }

  private close(symbol: string, current: OpenInterval, endRealMs: number, endSource: UnprotectedInterval['endSource'], openAtEnd = false): void {
    this.open.delete(symbol);
    const durationMs = Math.max(0, endRealMs - current.startRealMs);
    const blindMs = Math.min(durationMs, overlapMs(current.startRealMs, endRealMs, this.windows, endRealMs));
    this.intervals.push({
      symbol, startRealMs: current.startRealMs, endRealMs, durationMs, blindMs, effectiveMs: durationMs - blindMs, how: current.how,
      startSource: current.startSource, endSource, ...(openAtEnd ? { openAtEnd } : {}),
    });
  }
}

/** Total time of [start, end] covered by the windows (overlapping windows counted once). */
export function overlapMs(start: number, end: number, windows: readonly BlindWindow[], openWindowEnd: number): number {
  const clipped = windows
    .map((w) => [Math.max(start, w.startRealMs), Math.min(end, w.endRealMs ?? openWindowEnd)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let reach = -Infinity;
  for (const [a, b] of clipped) {
    const from = Math.max(a, reach);
    if (b > from) total += b - from;
    reach = Math.max(reach, b);
  }
  return total;
}

const SEVERITY: Record<ProtectionKind, number> = { pair: 0, exit: 0, 'stop-only': 1, undersized: 2, none: 3 };

function worse(a: ProtectionKind, b: ProtectionKind): ProtectionKind {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}
