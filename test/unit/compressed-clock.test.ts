import fs from 'node:fs';
import path from 'node:path';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { loadOrCreateClockAnchor } from '../../shared/time/sim-clock-file';
import { formatNewYork } from '../../shared/time/trading-calendar';
import { makeTempDir } from '../helpers/temp-dir';

describe('compressed simulated clock', () => {
  const anchor = { epochRealMs: 1_000_000, startDay: '2026-11-25', speed: 60, dayStart: '09:00', dayEnd: '16:15' };

  it('plays each trading day from dayStart to dayEnd, then skips to the next trading day', () => {
    let real = anchor.epochRealMs;
    const clock = new CompressedClock(anchor, () => real);
    expect(formatNewYork(clock.now())).toBe('2026-11-25 09:00:00');
    real += 30_000; // 30 real seconds = 30 market minutes
    expect(formatNewYork(clock.now())).toBe('2026-11-25 09:30:00');
    real = anchor.epochRealMs + 435_000 - 1; // 7h15m of market time is one played day
    expect(formatNewYork(clock.now(), 'yyyy-LL-dd HH:mm')).toBe('2026-11-25 16:14');
    real = anchor.epochRealMs + 435_000;
    expect(formatNewYork(clock.now())).toBe('2026-11-27 09:00:00'); // Thanksgiving skipped
    real = anchor.epochRealMs + 2 * 435_000;
    expect(formatNewYork(clock.now())).toBe('2026-11-30 09:00:00'); // weekend skipped
  });

  it('is monotonic and invertible', () => {
    const clock = new CompressedClock(anchor, () => 0);
    let previous = -Infinity;
    for (let real = anchor.epochRealMs; real < anchor.epochRealMs + 3_000_000; real += 7_777) {
      const market = clock.marketTimeAt(real);
      expect(market).toBeGreaterThan(previous);
      previous = market;
      expect(Math.abs(clock.realTimeFor(market) - real)).toBeLessThanOrEqual(1);
    }
  });

  it('shares one anchor between processes through the clock file (first writer wins)', () => {
    const temp = makeTempDir('clock');
    const file = path.join(temp.dir, 'sub', 'clock.json');
    const first = loadOrCreateClockAnchor(file, () => anchor);
    const second = loadOrCreateClockAnchor(file, () => ({ ...anchor, epochRealMs: 5 }));
    expect(second).toEqual(first);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(anchor);
    temp.cleanup();
  });
});
