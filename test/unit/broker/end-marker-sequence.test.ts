import { EndMarkerSequence } from '../../../shared/broker/ib/end-marker-sequence';
import { BrokerTimeout } from '../../../shared/errors/errors';

/**
 * positionEnd and openOrderEnd carry no request id: a late answer to a timed-out request must never
 * complete the next request with its (partial, older) rows.
 */
describe('end markers without request ids', () => {
  const make = () => {
    const stuck: number[] = [];
    const clock = { nowMs: 1_000_000 };
    const sequence = new EndMarkerSequence<{ key: number; v: string }, number>('test query', (r) => r.key, (owed) => stuck.push(owed), () => clock.nowMs);
    return { sequence, stuck, clock };
  };

  it('gives each request exactly the rows between the previous marker and its own', async () => {
    const { sequence } = make();
    const first = sequence.request(() => undefined, 1_000);
    sequence.onRow({ key: 1, v: 'a' });
    sequence.onEnd();
    const second = sequence.request(() => undefined, 1_000);
    sequence.onRow({ key: 2, v: 'b' });
    sequence.onEnd();
    await expect(first).resolves.toEqual([{ key: 1, v: 'a' }]);
    await expect(second).resolves.toEqual([{ key: 2, v: 'b' }]);
  });

  it('skips the late answer of a timed-out request instead of completing the next one with it', async () => {
    jest.useFakeTimers();
    try {
      const { sequence } = make();
      const timedOut = sequence.request(() => undefined, 100);
      const rejection = expect(timedOut).rejects.toBeInstanceOf(BrokerTimeout);
      jest.advanceTimersByTime(101);
      await rejection;
      const next = sequence.request(() => undefined, 1_000);
      let settled = false;
      void next.then(() => (settled = true));
      // The late answer of the first request arrives: its row and its marker.
      sequence.onRow({ key: 1, v: 'stale' });
      sequence.onEnd();
      await Promise.resolve();
      expect(settled).toBe(false);
      // Then the real answer of the second.
      sequence.onRow({ key: 1, v: 'fresh' });
      sequence.onRow({ key: 2, v: 'fresh' });
      sequence.onEnd();
      await expect(next).resolves.toEqual([{ key: 1, v: 'fresh' }, { key: 2, v: 'fresh' }]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('counts the untracked stream subscription\'s marker too', async () => {
    const { sequence } = make();
    sequence.requestUntracked(() => undefined);
    const snapshot = sequence.request(() => undefined, 1_000);
    sequence.onRow({ key: 9, v: 'stream' });
    sequence.onEnd(); // the stream subscription's end
    sequence.onRow({ key: 1, v: 'snapshot' });
    sequence.onEnd();
    await expect(snapshot).resolves.toEqual([{ key: 1, v: 'snapshot' }]);
  });

  it('asks for the connection to be recycled when two answers are owed, the oldest past its timeout (the gateway stopped answering)', () => {
    const { sequence, stuck, clock } = make();
    void sequence.request(() => undefined, 60_000).catch(() => undefined);
    void sequence.request(() => undefined, 60_000).catch(() => undefined);
    expect(stuck).toEqual([]);
    clock.nowMs += 60_000;
    void sequence.request(() => undefined, 60_000).catch(() => undefined);
    expect(stuck).toEqual([2]);
    sequence.reset(new Error('recycled'));
    expect(sequence.owed).toBe(0);
  });

  it('a few requests in flight at once are not a stuck gateway: no recycle before the oldest could have timed out', () => {
    const { sequence, stuck, clock } = make();
    const sent: number[] = [];
    sequence.requestUntracked(() => sent.push(0)); // the positions stream of a fresh connection
    void sequence.request(() => sent.push(1), 8_000).catch(() => undefined);
    clock.nowMs += 250; // a short silence: nothing answered yet
    void sequence.request(() => sent.push(2), 8_000).catch(() => undefined);
    clock.nowMs += 7_000;
    void sequence.request(() => sent.push(3), 8_000).catch(() => undefined);
    expect(stuck).toEqual([]);
    expect(sent).toEqual([0, 1, 2, 3]);
    // Answers resume: each request still gets its own marker.
    sequence.onEnd();
    expect(sequence.owed).toBe(3);
    // Once the oldest owed request is past its timeout, the next request recycles.
    clock.nowMs += 1_000;
    void sequence.request(() => sent.push(4), 8_000).catch(() => undefined);
    expect(stuck).toEqual([3]);
    sequence.reset(new Error('recycled'));
  });
});
