/**
 * Quoted spread from liquidity, the calibration the simulator uses (apps/sim-gateway/market): about 1.2 bp at
 * $1B of daily dollar volume, widening with 1/sqrt(dollar volume), between 0.8 and 30 bp; 2.5 times wider on a
 * day's gap-and-go movers (|gap| >= 5 %), wider in the first minutes after the open (1 + 1.5·e^(-m/3)), and
 * never below one cent. Checked there against Roll's estimate on real bars (SPY, BAC, TWX, IBM).
 */
export const TICK = 0.01;
const MOVER_GAP = 0.05;
const MOVER_MULTIPLIER = 2.5;

export function spreadBpsForDollarVolume(dailyDollarVolume: number): number {
  return Math.min(30, Math.max(0.8, 1.2 * Math.sqrt(1e9 / Math.max(1, dailyDollarVolume))));
}

export interface SpreadInputs {
  price: number;
  /** Average daily dollar volume of the days before (undefined: unknown). */
  dailyDollarVolume: number | undefined;
  /** Today's gap against the previous close, as a fraction (undefined: unknown). */
  gap: number | undefined;
  /** Minutes since 09:30 (negative before the open). */
  minutesSinceOpen: number;
}

/** The full spread in dollars, on the cent grid (at least one tick). `fixedBps` replaces the model. */
export function modelledSpread(inputs: SpreadInputs, fixedBps?: number): number {
  let bps: number;
  if (fixedBps !== undefined) bps = fixedBps;
  else {
    bps = inputs.dailyDollarVolume === undefined ? 5 : spreadBpsForDollarVolume(inputs.dailyDollarVolume);
    if (inputs.gap !== undefined && Math.abs(inputs.gap) >= MOVER_GAP) bps *= MOVER_MULTIPLIER;
    if (inputs.minutesSinceOpen >= 0) bps *= 1 + 1.5 * Math.exp(-inputs.minutesSinceOpen / 3);
  }
  const ticks = Math.max(1, Math.round((inputs.price * bps) / 10_000 / TICK));
  return ticks * TICK;
}

/** A two-sided quote around a last price: the last at the middle of the spread, both sides on the cent grid. */
export function quoteAround(last: number, spread: number): { bid: number; ask: number } {
  const ticks = Math.round(spread / TICK);
  const lastCents = Math.round(last * 100);
  const bidCents = Math.max(1, lastCents - Math.floor(ticks / 2));
  return { bid: bidCents / 100, ask: (bidCents + ticks) / 100 };
}
