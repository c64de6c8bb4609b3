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
 * day at x100, about 4 minutes, with 27 faults (every kind once, and the second variants that matter most).
 * A run of another length keeps the default's faults per day.
 */
export const RUN_DEFAULTS = {
  full: { days: 5, faults: 120, speed: 100 },
  short: { days: 1, faults: 27, speed: 100 },
  seed: 1,
  startDay: '2026-11-23',
} as const;

/** The compressed clock plays 09:20 to 16:15 New York time each day. */
export const SIM_DAY_MINUTES = 16 * 60 + 15 - (9 * 60 + 20);

export function resolveRun(args: ChaosCliArgs): ResolvedRun {
  const base = args.short ? RUN_DEFAULTS.short : RUN_DEFAULTS.full;
  const speed = args.speed ?? base.speed;
  if (!(speed >= 1)) throw new RangeError('--speed must be at least 1');
  if (args.durationMinutes !== undefined && !(args.durationMinutes > 0)) throw new RangeError('--duration-minutes must be more than 0');
  const dayRealMinutes = SIM_DAY_MINUTES / speed;
  let days = args.days ?? base.days;
  if (args.durationMinutes !== undefined) days = Math.max(1, Math.floor(args.durationMinutes / dayRealMinutes));
  if (!Number.isInteger(days) || days < 1) throw new RangeError('--days must be a whole number of at least 1');
  const startDay = args.startDay ?? RUN_DEFAULTS.startDay;
  const faultWindowMinutes = tradingDays(startDay, days).map(faultWindow).reduce((n, w) => n + (w.endMs - w.startMs) / speed / 60_000, 0);
  let faults = args.faults ?? Math.max(1, Math.round((base.faults / base.days) * days));
  if (args.faultRate !== undefined) faults = Math.max(1, Math.round(args.faultRate * faultWindowMinutes));
  if (!Number.isInteger(faults) || faults < 1) throw new RangeError('--faults must be a whole number of at least 1');
  const seed = args.seed ?? RUN_DEFAULTS.seed;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError('--seed must be a whole number of 0 or more');
  return {
    days, faults, speed, seed, startDay,
    estimatedMinutes: Math.round(days * dayRealMinutes * 10) / 10, faultWindowMinutes: Math.round(faultWindowMinutes * 10) / 10,
  };
}

/**
 * `--seeds`: a count (that many seeds from --seed on: 5 -> 1,2,3,4,5) or a list ("3,17,42"). Without it,
 * the one --seed.
 */
export function resolveSeeds(seedsArg: string | number | undefined, firstSeed: number): number[] {
  if (seedsArg === undefined) return [firstSeed];
  const text = String(seedsArg).trim();
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    if (count < 1 || count > 1_000) throw new RangeError('--seeds must be a count from 1 to 1000, or a list like 3,17,42');
    return Array.from({ length: count }, (_, i) => firstSeed + i);
  }
  const list = text.split(',').map((s) => s.trim());
  if (list.length === 0 || list.some((s) => !/^\d+$/.test(s))) throw new RangeError('--seeds must be a count, or a comma-separated list of seeds like 3,17,42');
  return [...new Set(list.map(Number))];
}

/**
 * The command line that repeats one seed of a run: the options the user gave (their run shape) with that
 * seed. `npm run chaos -- --seed 123 --duration-minutes 12`.
 */
export function reproduceCommand(args: ChaosCliArgs, seed: number): string {
  const parts = ['npm run chaos --', args.short ? '--short' : '', `--seed ${seed}`];
  if (args.durationMinutes !== undefined) parts.push(`--duration-minutes ${args.durationMinutes}`);
  if (args.days !== undefined) parts.push(`--days ${args.days}`);
  if (args.faults !== undefined) parts.push(`--faults ${args.faults}`);
  if (args.faultRate !== undefined) parts.push(`--fault-rate ${args.faultRate}`);
  if (args.speed !== undefined) parts.push(`--speed ${args.speed}`);
  if (args.startDay !== undefined) parts.push(`--start-day ${args.startDay}`);
  return parts.filter(Boolean).join(' ');
}
