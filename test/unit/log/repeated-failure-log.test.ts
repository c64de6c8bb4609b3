import { memoryLogger } from '../../../shared/log/logger';
import { RepeatedFailureLog } from '../../../shared/log/repeated-failure-log';
import { ManualClock } from '../../../shared/time/clock';

describe('RepeatedFailureLog: one error line per episode of the same failure', () => {
  const setup = (quietMs?: number) => {
    const log = memoryLogger();
    const clock = new ManualClock(Date.parse('2026-11-23T15:00:00Z'));
    const failures = new RepeatedFailureLog({ log, clock, event: 'thing_failed', endEvent: 'thing_failures_ended', what: 'redone later', quietMs });
    const lines = (level?: string) => log.lines.filter((l) => level === undefined || l.level === level).map((l) => [l.event, l.fields]);
    return { log, clock, failures, lines };
  };

  it('says the first failure at error level, counts the repeats at debug, and ends the episode at the first success with count and duration', () => {
    const { clock, failures, lines } = setup();
    for (let i = 0; i < 40; i++) {
      failures.failed('db_locked', { ref: `p${i}`, error: 'database is locked' });
      clock.advance(100);
    }
    expect(lines('error')).toEqual([['thing_failed', expect.objectContaining({ ref: 'p0', error: 'database is locked', episode: 'started', failureKind: 'db_locked', what: expect.stringMatching(/^redone later; .*counted.*thing_failures_ended/) })]]);
    expect(lines('debug')).toHaveLength(39);
    expect(lines('debug')[38]).toEqual(['thing_failed', expect.objectContaining({ ref: 'p39', episode: 'repeated', failuresSoFar: 40 })]);
    expect(lines('warn')).toEqual([]); // not over yet
    expect(failures.failuresOf('db_locked')).toBe(40);

    failures.succeeded();
    failures.succeeded(); // nothing open any more: says nothing
    expect(lines('warn')).toEqual([['thing_failures_ended', expect.objectContaining({ failedEvent: 'thing_failed', failureKind: 'db_locked', failures: 40, durationMs: 4_000, firstError: 'database is locked', endedBy: 'success', startedAt: '2026-11-23T15:00:00.000Z' })]]);
    expect(failures.failuresOf('db_locked')).toBe(0);

    // The next lock is a new episode: said again.
    failures.failed('db_locked', { error: 'database is locked' });
    expect(lines('error')).toHaveLength(2);
  });

  it('says a failure of another kind during an episode at once, and one success ends both', () => {
    const { failures, lines } = setup();
    failures.failed('db_locked', { error: 'database is locked' });
    failures.failed('db_locked', { error: 'database is locked' });
    failures.failed('UNIQUE constraint failed', { error: 'UNIQUE constraint failed' });
    failures.failed('db_locked', { error: 'database is locked' });
    expect(lines('error').map(([, f]) => (f as { failureKind: string }).failureKind)).toEqual(['db_locked', 'UNIQUE constraint failed']);
    failures.succeeded();
    expect(lines('warn').map(([, f]) => [(f as { failureKind: string }).failureKind, (f as { failures: number }).failures])).toEqual([['db_locked', 3], ['UNIQUE constraint failed', 1]]);
  });

  it('starts a new episode after a quiet gap without any success (a lock an hour later is news), closing the old one', () => {
    const { clock, failures, lines } = setup(10_000);
    failures.failed('db_locked', { error: 'database is locked' });
    clock.advance(2_000);
    failures.failed('db_locked', { error: 'database is locked' });
    clock.advance(10_000); // exactly the quiet time: still the same episode
    failures.failed('db_locked', { error: 'database is locked' });
    expect(lines('error')).toHaveLength(1);
    clock.advance(10_001);
    failures.failed('db_locked', { error: 'database is locked' });
    expect(lines('error')).toHaveLength(2);
    expect(lines('warn')).toEqual([['thing_failures_ended', expect.objectContaining({ failures: 3, durationMs: 12_000, endedBy: 'quiet' })]]);
    expect(failures.failuresOf('db_locked')).toBe(1);
  });
});
