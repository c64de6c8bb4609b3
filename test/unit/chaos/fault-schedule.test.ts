import { buildSchedule, CRASH_POINTS, describeFault, splitByWeight, type ScheduleLimits } from '../../../scripts/chaos/fault-schedule';
import { SeededRandom } from '../../../scripts/chaos/random';
import { reproduceCommand, resolveRun, resolveSeeds } from '../../../scripts/chaos/resolve-options';

const limits: ScheduleLimits = { livenessTimeoutMs: 3_000, livenessIntervalMs: 1_000, heartbeatStaleMs: 3_000, busyTimeoutMs: 5_000, brokerDownAlertMs: 5_000, requestTimeoutMs: 8_000 };

describe('the seeded PRNG', () => {
  it('repeats its sequence for a seed, differs across seeds, and forks independent streams', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => new SeededRandom(8).next())).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
    // A fork's sequence depends only on seed and label: drawing from the parent does not move it.
    const parent = new SeededRandom(7);
    parent.next();
    expect(parent.fork('x').next()).toBe(new SeededRandom(7).fork('x').next());
    expect(new SeededRandom(7).fork('x').next()).not.toBe(new SeededRandom(7).fork('y').next());
  });

  it('picks weighted keys in proportion and never a zero weight', () => {
    const r = new SeededRandom(1);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10_000; i++) counts[r.weighted({ a: 1, b: 3, c: 0 })] += 1;
    expect(counts.c).toBe(0);
    expect(counts.b / counts.a).toBeGreaterThan(2.5);
    expect(counts.b / counts.a).toBeLessThan(3.5);
  });
});

describe('the fault schedule', () => {
  it('is the same for the same seed and different for another', () => {
    const request = { seed: 42, faults: 120, dayWeights: [3, 3, 3, 1.5, 3], limits };
    expect(buildSchedule(request)).toEqual(buildSchedule(request));
    expect(buildSchedule({ ...request, seed: 43 })).not.toEqual(buildSchedule(request));
  });

  it('has exactly the requested faults, indexed in time order, spread over the days by window length', () => {
    const schedule = buildSchedule({ seed: 1, faults: 120, dayWeights: [2, 2, 1], limits });
    expect(schedule).toHaveLength(120);
    expect(schedule.map((f) => f.index)).toEqual(schedule.map((_, i) => i));
    expect(schedule.filter((f) => f.day === 0)).toHaveLength(48);
    expect(schedule.filter((f) => f.day === 2)).toHaveLength(24);
    for (let i = 1; i < schedule.length; i++) {
      const [a, b] = [schedule[i - 1]!, schedule[i]!];
      expect(a.day < b.day || (a.day === b.day && a.at <= b.at)).toBe(true);
    }
  });

  it('covers every kind, the realistic gateway\'s included, in the short run\'s faults, whatever the seed', () => {
    const short = resolveRun({ short: true }).faults;
    for (const seed of [1, 3, 20261207, 987654]) {
      const specs = buildSchedule({ seed, faults: short, dayWeights: [1], limits }).map((f) => f.spec);
      const kinds = new Set(specs.map((s) => s.kind));
      for (const kind of ['sigkill', 'sigkill-in-flight', 'sigstop', 'gateway-restart', 'gateway-silence', 'drop-connections', 'reject-orders', 'price-jump',
        'db-lock', 'ids-backwards', 'replay-executions', 'positions-timeout', 'manual-open', 'manual-close',
        'position-lag', 'corrections', 'reject-modify', 'ib-link-loss', 'historical-pacing', 'open-orders-timeout', 'preset-warning'] as const) {
        expect({ seed, kind, present: kinds.has(kind) }).toEqual({ seed, kind, present: true });
      }
      expect(specs).toContainEqual({ kind: 'sigkill', app: 'exit-manager' });
      for (const crashPoint of Object.values(CRASH_POINTS)) expect(specs.some((s) => s.kind === 'sigkill-in-flight' && s.crashPoint === crashPoint)).toBe(true);
    }
    expect(buildSchedule({ seed: 3, faults: 100, dayWeights: [1, 1], limits }).some((f) => f.spec.kind === 'gateway-outage')).toBe(true);
  });

  it('keeps parameters inside the limits that make each fault meaningful', () => {
    for (const fault of buildSchedule({ seed: 5, faults: 400, dayWeights: [1, 1, 1], limits })) {
      const spec = fault.spec;
      if (spec.kind === 'db-lock') {
        expect(spec.holdMs).toBeGreaterThan(limits.heartbeatStaleMs); // longer than the staleness limit: heartbeats do go stale
        expect(spec.holdMs).toBeLessThan(limits.busyTimeoutMs); // shorter than busy_timeout: writers wait, none fails
      }
      if (spec.kind === 'gateway-silence' && !spec.detectable) expect(spec.seconds * 1000).toBeLessThanOrEqual(limits.livenessTimeoutMs - 500);
      if (spec.kind === 'gateway-silence' && spec.detectable) expect(spec.seconds * 1000).toBeGreaterThan(limits.livenessTimeoutMs);
      if (spec.kind === 'gateway-outage') expect(spec.downMs).toBeGreaterThan(limits.brokerDownAlertMs);
      if (spec.kind === 'sigkill-in-flight') expect(fault.at).toBeLessThanOrEqual(0.6); // entries (and so new protection) stop before the close
      if (spec.kind === 'positions-timeout' || spec.kind === 'open-orders-timeout') expect(spec.lateMs).toBeGreaterThan(limits.requestTimeoutMs); // a LATE end marker
      if (spec.kind === 'position-lag') expect(spec.lag.minMs).toBeGreaterThanOrEqual(1_000); // beyond the profile's usual 80-700 ms
      if (spec.kind === 'reject-modify') expect([104, 105, 110, 201]).toContain(spec.code);
      if (spec.kind === 'ib-link-loss') expect([1101, 1102]).toContain(spec.restoreCode);
      if (spec.kind === 'corrections') expect(spec.probability).toBeGreaterThan(0.05); // above the profile's own rate
      expect(describeFault(spec).length).toBeGreaterThan(5);
    }
  });

  it('splits by weight with the largest remainders', () => {
    expect(splitByWeight(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(splitByWeight(7, [2, 0, 1])).toEqual([5, 0, 2]);
    expect(splitByWeight(5, [])).toEqual([]);
  });
});

describe('run options', () => {
  it('defaults to a full run of 5 days and 120 faults, and a short one of 1 day and 26', () => {
    expect(resolveRun({})).toMatchObject({ days: 5, faults: 120, speed: 100, seed: 1, startDay: '2026-11-23' });
    expect(resolveRun({ short: true })).toMatchObject({ days: 1, faults: 27, speed: 100 });
    expect(resolveRun({ short: true }).estimatedMinutes).toBeLessThan(4.5);
  });

  it('turns a duration into whole days with the default faults per day, and a fault rate into a fault count', () => {
    expect(resolveRun({ durationMinutes: 9, speed: 100 }).days).toBe(2); // 4.15 real minutes a day
    expect(resolveRun({ durationMinutes: 1, speed: 100 }).days).toBe(1);
    // The reproduction: 12 minutes at x100 are 2 days, with 24 faults a day like the full run (not 120 in 2 days).
    expect(resolveRun({ durationMinutes: 12, seed: 20261207 })).toMatchObject({ days: 2, faults: 48, seed: 20261207 });
    expect(resolveRun({ days: 3 }).faults).toBe(72);
    expect(resolveRun({ durationMinutes: 12, faults: 30 }).faults).toBe(30);
    const run = resolveRun({ days: 1, speed: 120, faultRate: 10 });
    expect(run.faults).toBe(Math.round(10 * run.faultWindowMinutes));
  });

  it('runs several seeds from a count or a list, and prints the command that repeats one', () => {
    expect(resolveSeeds(undefined, 7)).toEqual([7]);
    expect(resolveSeeds('5', 1)).toEqual([1, 2, 3, 4, 5]);
    expect(resolveSeeds(3, 100)).toEqual([100, 101, 102]);
    expect(resolveSeeds('3, 17,42,17', 1)).toEqual([3, 17, 42]);
    expect(() => resolveSeeds('0', 1)).toThrow(/--seeds/);
    expect(() => resolveSeeds('a,b', 1)).toThrow(/--seeds/);
    expect(reproduceCommand({ durationMinutes: 12 }, 123)).toBe('npm run chaos -- --seed 123 --duration-minutes 12');
    expect(reproduceCommand({ short: true }, 9)).toBe('npm run chaos -- --short --seed 9');
    expect(reproduceCommand({ days: 2, faults: 30, speed: 80, startDay: '2026-12-01' }, 4)).toBe('npm run chaos -- --seed 4 --days 2 --faults 30 --speed 80 --start-day 2026-12-01');
  });

  it('refuses nonsense with a clear message', () => {
    expect(() => resolveRun({ days: 0 })).toThrow(/--days/);
    expect(() => resolveRun({ faults: 2.5 })).toThrow(/--faults/);
    expect(() => resolveRun({ speed: 0 })).toThrow(/--speed/);
    expect(() => resolveRun({ durationMinutes: 0 })).toThrow(/--duration-minutes/);
    expect(() => resolveRun({ seed: -1 })).toThrow(/--seed/);
  });
});
