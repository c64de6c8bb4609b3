import type { DelayRange } from './realism-settings';

interface Item {
  dueMs: number;
  deliver: () => void;
}

/**
 * Delivers messages late, as a real gateway does (positions after the fills that caused them, executions
 * after their order statuses), without ever reordering messages that share a key: each key is a FIFO queue
 * whose items leave no earlier than their due time and never before the item ahead of them.
 */
export class DelayedDelivery {
  private readonly queues = new Map<string, Item[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly random: () => number) {}

  /** A delay drawn from the range (and, with `slow.probability`, from the slow range instead). */
  draw(range: DelayRange, slow?: { probability: number; range: DelayRange }): number {
    const chosen = slow && slow.probability > 0 && this.random() < slow.probability ? slow.range : range;
    return chosen.minMs + (chosen.maxMs - chosen.minMs) * this.random();
  }

  /** Delivers now when nothing is queued under `key` and the delay is 0 (the ideal profile stays synchronous). */
  schedule(key: string, delayMs: number, deliver: () => void): void {
    if (this.stopped) return;
    const queue = this.queues.get(key);
    if (delayMs <= 0 && !queue?.length) {
      deliver();
      return;
    }
    const item = { dueMs: Date.now() + Math.max(0, delayMs), deliver };
    if (queue) queue.push(item);
    else this.queues.set(key, [item]);
    if (!this.timers.has(key)) this.arm(key);
  }

  /** Everything still queued is delivered now (a test or the admin endpoint wants the books to settle). */
  flush(): void {
    for (const key of [...this.queues.keys()]) {
      clearTimeout(this.timers.get(key));
      this.timers.delete(key);
      for (const item of this.queues.get(key) ?? []) item.deliver();
      this.queues.delete(key);
    }
  }

  pending(): number {
    let n = 0;
    for (const queue of this.queues.values()) n += queue.length;
    return n;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queues.clear();
  }

  private arm(key: string): void {
    const head = this.queues.get(key)?.[0];
    if (!head) {
      this.queues.delete(key);
      return;
    }
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      const queue = this.queues.get(key);
      const now = Date.now();
      while (queue?.length && queue[0]!.dueMs <= now + 1) queue.shift()!.deliver();
      this.arm(key);
    }, Math.max(0, head.dueMs - Date.now())));
  }
}
