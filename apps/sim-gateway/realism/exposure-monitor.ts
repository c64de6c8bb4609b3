import { isWorking, remainingOf, type SimOrder } from '../engine/types';

export interface ExposureInterval {
  symbol: string;
  startRealMs: number;
  endRealMs: number;
  /** Shares the API clients' sell orders could trade beyond what may be sold. */
  excessShares: number;
  /** A trade by hand (outside the API) happened in the symbol during the interval: its cause was not ours. */
  afterManualTrade: boolean;
  /** What the simulator held when the interval opened: enough to tell which orders overlapped and why. */
  atStart?: ExposureSnapshot;
}

export interface ExposureSnapshot {
  position: number;
  floor: number;
  sells: Array<{ clientId: number; orderId: number; orderRef: string; orderType: string; totalQuantity: number; filled: number; status: string; ocaGroup?: string; ageMs: number }>;
}

export interface ExposureReport {
  checks: number;
  intervals: ExposureInterval[];
  open: ExposureInterval[];
  longestMs: number;
  longestExcludingManualMs: number;
}

/**
 * Watches, inside the simulator (the only place that knows the truth at every instant), whether the API
 * clients' working sell orders could trade more shares than the account may sell: its position minus what
 * it held before any bot traded (long-held shares are never theirs to sell). An interval with such excess
 * is the "longest interval with sell orders exceeding the position" the benchmarks and chaos report; it
 * must be 0. Checked after each engine step (coalesced per symbol), so a fill and the OCA reduction it
 * causes are judged together.
 */
export class ExposureMonitor {
  private readonly open = new Map<string, ExposureInterval>();
  private readonly closed: ExposureInterval[] = [];
  private readonly pending = new Set<string>();
  private readonly manualTradeAtMs = new Map<string, number>();
  private checks = 0;

  constructor(
    private readonly position: (symbol: string) => number,
    private readonly floor: (symbol: string) => number,
    private readonly workingOrders: (symbol: string) => readonly SimOrder[],
  ) {}

  /** Something changed in the symbol: check once the current engine step is over. */
  touch(symbol: string): void {
    if (this.pending.has(symbol)) return;
    this.pending.add(symbol);
    setImmediate(() => {
      this.pending.delete(symbol);
      this.check(symbol);
    });
  }

  onManualTrade(symbol: string): void {
    this.manualTradeAtMs.set(symbol, Date.now());
  }

  check(symbol: string): void {
    this.checks += 1;
    const sellable = Math.max(0, this.position(symbol) - this.floor(symbol));
    const sells = this.workingOrders(symbol).filter((o) => o.clientId !== 0 && isWorking(o) && o.action === 'SELL');
    const exposure = maxSellable(sells);
    const excess = exposure - sellable;
    const now = Date.now();
    const current = this.open.get(symbol);
    if (excess > 0) {
      if (current) current.excessShares = Math.max(current.excessShares, excess);
      else {
        const atStart: ExposureSnapshot = {
          position: this.position(symbol),
          floor: this.floor(symbol),
          sells: sells.map((o) => ({ clientId: o.clientId, orderId: o.orderId, orderRef: o.orderRef, orderType: o.orderType, totalQuantity: o.totalQuantity, filled: o.filled, status: o.status, ocaGroup: o.ocaGroup, ageMs: now - (o.createdRealMs ?? now) })),
        };
        this.open.set(symbol, { symbol, startRealMs: now, endRealMs: now, excessShares: excess, afterManualTrade: now - (this.manualTradeAtMs.get(symbol) ?? -Infinity) < 60_000, atStart });
      }
      return;
    }
    if (current) {
      current.endRealMs = now;
      this.closed.push(current);
      this.open.delete(symbol);
    }
  }

  report(): ExposureReport {
    const now = Date.now();
    const open = [...this.open.values()].map((i) => ({ ...i, endRealMs: now }));
    const all = [...this.closed, ...open];
    const length = (i: ExposureInterval) => i.endRealMs - i.startRealMs;
    return {
      checks: this.checks,
      intervals: this.closed.slice(-50),
      open,
      longestMs: Math.max(0, ...all.map(length)),
      longestExcludingManualMs: Math.max(0, ...all.filter((i) => !i.afterManualTrade).map(length)),
    };
  }
}

/** Orders of one OCA group share their quantity (reduce with block): the group can sell its largest remaining leg. */
function maxSellable(orders: readonly SimOrder[]): number {
  const groups = new Map<string, number>();
  let ungrouped = 0;
  for (const order of orders) {
    const remaining = Math.max(0, remainingOf(order));
    if (!order.ocaGroup) ungrouped += remaining;
    else groups.set(`${order.clientId}:${order.ocaGroup}`, Math.max(groups.get(`${order.clientId}:${order.ocaGroup}`) ?? 0, remaining));
  }
  let total = ungrouped;
  for (const value of groups.values()) total += value;
  return total;
}
