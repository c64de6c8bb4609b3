import type { ResolvedConfig } from '../config/schema';
import { SystemClock, type Clock } from './clock';
import { CompressedClock } from './compressed-clock';
import { loadOrCreateClockAnchor } from './sim-clock-file';
import { calendarDayInNewYork, tradingDayOnOrAfter } from './trading-calendar';

/** SIM at a speed above 1 runs on the shared compressed clock; everything else on the system clock. */
export function clockForConfig(config: ResolvedConfig): Clock {
  if (config.mode !== 'SIM' || config.sim.speed === 1) return new SystemClock();
  const anchor = loadOrCreateClockAnchor(config.paths.simClock, () => ({
    epochRealMs: Date.now(),
    startDay: config.sim.startDay ?? tradingDayOnOrAfter(calendarDayInNewYork(Date.now())),
    speed: config.sim.speed,
    dayStart: config.sim.dayStart,
    dayEnd: config.sim.dayEnd,
  }));
  return new CompressedClock(anchor);
}
