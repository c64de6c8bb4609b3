import { RequestPacer, nonUrgentPerWindow, type PacerTimers } from '../../../shared/broker/ib/request-pacer';

/** Timers the test fires by hand: a window passes when the test says so, never by waiting. */
class HandTimers implements PacerTimers {
  private pending = new Map<number, () => void>();
  private next = 1;
  set(callback: () => void): unknown {
    const id = this.next++;
    this.pending.set(id, callback);
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get count(): number {
    return this.pending.size;
  }
  /** Every window running now ends. */
  elapse(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const callback of due) callback();
  }
}

describe('RequestPacer: non-urgent requests never fill the client library\'s window', () => {
  it('sends up to its share at once, then one more per ended window slot, in order', () => {
    const timers = new HandTimers();
    const pacer = new RequestPacer(3, 100, timers);
    const sent: number[] = [];
    for (let i = 1; i <= 8; i++) pacer.send(() => sent.push(i));
    expect(sent).toEqual([1, 2, 3]);
    expect(pacer.queued).toBe(5);
    timers.elapse();
    expect(sent).toEqual([1, 2, 3, 4, 5, 6]);
    timers.elapse();
    expect(sent).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(pacer.queued).toBe(0);
  });

  it('a request never overtakes one already waiting, even when a slot is free', () => {
    const timers = new HandTimers();
    const pacer = new RequestPacer(1, 100, timers);
    const sent: string[] = [];
    pacer.send(() => sent.push('a'));
    pacer.send(() => sent.push('b'));
    timers.elapse();
    pacer.send(() => sent.push('c'));
    expect(sent).toEqual(['a', 'b']);
    timers.elapse();
    expect(sent).toEqual(['a', 'b', 'c']);
  });

  it('reset drops what waits (it belonged to a dead connection) and starts with a full window', () => {
    const timers = new HandTimers();
    const pacer = new RequestPacer(2, 100, timers);
    const sent: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) pacer.send(() => sent.push(name));
    pacer.reset();
    expect(timers.count).toBe(0);
    expect(pacer.queued).toBe(0);
    pacer.send(() => sent.push('e'));
    pacer.send(() => sent.push('f'));
    expect(sent).toEqual(['a', 'b', 'e', 'f']);
  });

  it('a request that throws is reported and does not stop the ones after it', () => {
    const timers = new HandTimers();
    const errors: unknown[] = [];
    const pacer = new RequestPacer(1, 100, timers, (error) => errors.push(error));
    const sent: string[] = [];
    pacer.send(() => { throw new Error('socket closed'); });
    pacer.send(() => sent.push('after'));
    timers.elapse();
    expect(errors).toHaveLength(1);
    expect(sent).toEqual(['after']);
  });

  it('its share leaves the library room for a protective pair in every window', () => {
    // @stoqey/ib allows rate/10 messages per 100 ms (a fractional allowance still lets the last one through).
    for (const rate of [45, 50, 200]) {
      const libraryWindow = Math.ceil(rate / 10);
      expect(libraryWindow - nonUrgentPerWindow(rate)).toBeGreaterThanOrEqual(2);
    }
    expect(nonUrgentPerWindow(5)).toBe(1);
  });
});

describe('RequestPacer: snapshots first', () => {
  it('a snapshot asked for after a burst of subscriptions leaves before the ones still waiting', () => {
    const timers = new HandTimers();
    const pacer = new RequestPacer(2, 100, timers);
    const sent: string[] = [];
    for (let i = 1; i <= 6; i++) pacer.send(() => sent.push(`mktData${i}`));
    pacer.send(() => sent.push('positions'), true);
    pacer.send(() => sent.push('openOrders'), true);
    expect(sent).toEqual(['mktData1', 'mktData2']);
    timers.elapse();
    expect(sent).toEqual(['mktData1', 'mktData2', 'positions', 'openOrders']);
    timers.elapse();
    timers.elapse();
    expect(sent).toEqual(['mktData1', 'mktData2', 'positions', 'openOrders', 'mktData3', 'mktData4', 'mktData5', 'mktData6']);
  });

  it('with room in the window a snapshot goes at once, like any request', () => {
    const pacer = new RequestPacer(2, 100, new HandTimers());
    const sent: string[] = [];
    pacer.send(() => sent.push('positions'), true);
    expect(sent).toEqual(['positions']);
  });
});
