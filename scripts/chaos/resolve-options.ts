import { faultWindow, tradingDays } from './day-checks';

export interface ChaosCliArgs {
  short?: boolean;
  durationMinutes?: number;
  faults?: number;
  faultRate?: number;
  days?: number;
  speed?: number;
  seed?: number;
  startDay?: string;
}

export interface ResolvedRun {
  days: number;
  faults: number;
  speed: number;
  seed: number;
  startDay: string;
  /** Real minutes the simulated days take (start-up and the final checks add about a minute). */
  estimatedMinutes: number;
  /** Real minutes of fault windows (open + 6 min to close - 20 min of each day). */
  faultWindowMinutes: number;
}

/**
 * Defaults: the full run plays 5 trading days (2026-11-23 to 11-30: a Thanksgiving holiday skipped and the
 * 13:00 early close of 11-27 included) at x100, about 21 minutes, with 120 faults; the short run (CI) one
 * day at x120, about 3.5 minutes, with 20 faults.
 */
export const RUN_DEFAULTS = {
  full: { days: 5, faults: 120, speed: 100 },
  short: { days: 1, faults: 20, speed: 120 },
  seed: 1,
  startDay: '2026-11-23',
} as const;

/** The compressed clock plays 09:20 to 16:15 New York time each day. */
export const SIM_DAY_MINUTES = 16 * 60 + 15 - (9 * 60 + 20);

export function resolveRun(args: ChaosCliArgs): ResolvedRun {
  const base = args.short ? RUN_DEFAULTS.short : RUN_DEFAULTS.full;
  const speed = args.speed ?? base.speed;
  if (!(speed >= 1)) throw new RangeError('--speed must be at least 1');
  const dayRealMinutes = SIM_DAY_MINUTES / speed;
  let days = args.days ?? base.days;
  if (args.durationMinutes !== undefined) days = Math.max(1, Math.floor(args.durationMinutes / dayRealMinutes));
  if (!Number.isInteger(days) || days < 1) throw new RangeError('--days must be a whole number of at least 1');
  const startDay = args.startDay ?? RUN_DEFAULTS.startDay;
  const faultWindowMinutes = tradingDays(startDay, days).map(faultWindow).reduce((n, w) => n + (w.endMs - w.startMs) / speed / 60_000, 0);
  let faults = args.faults ?? base.faults;
  if (args.faultRate !== undefined) faults = Math.max(1, Math.round(args.faultRate * faultWindowMinutes));
  if (!Number.isInteger(faults) || faults < 1) throw new RangeError('--faults must be a whole number of at least 1');
  return {
    days, faults, speed, seed: args.seed ?? RUN_DEFAULTS.seed, startDay,
    estimatedMinutes: Math.round(days * dayRealMinutes * 10) / 10, faultWindowMinutes: Math.round(faultWindowMinutes * 10) / 10,
  };
}
