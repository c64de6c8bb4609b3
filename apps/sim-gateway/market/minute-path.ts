import { roundToCent } from './cents';
import type { MinuteBar } from './market-types';
import type { SeededRandom } from './seeded-random';
import { abs, exp, log, max, min, round, sqrt } from './fast-math';

/**
 * Minute bars of one session segment (pre-market, regular or after-hours) as a GARCH(1,1) walk in log
 * price, optionally bridged so the last close lands exactly on a target (the day's planned open or
 * close, which the daily walk fixed in advance so any day can be computed on its own).
 */

/**
 * GARCH(1,1) on standardised 1-minute shocks: h' = ω + α·h·z² + β·h with ω = 1 - α - β, so h averages 1
 * and the caller's volatility schedule sets the level. α + β = 0.96 gives a lag-1 autocorrelation of
 * squared returns near 0.15, which with the intraday U in volatility matches the measured lag-1
 * autocorrelation of |1-minute returns| of 0.12 .. 0.26 (SPY 0.15, IBM 0.26, BAC 0.12, AIG 0.19).
 */
const GARCH_ALPHA = 0.08;
const GARCH_BETA = 0.88;
const GARCH_OMEGA = 1 - GARCH_ALPHA - GARCH_BETA;
/** Bounds keep one freak draw from making the rest of the day absurd. */
const GARCH_MIN_VARIANCE = 0.05;
const GARCH_MAX_VARIANCE = 20;

/**
 * High/low extend beyond open/close by U(0, 0.8)·σ each side (mean 0.4σ, as 0.5·|N| would give, at
 * a fraction of the cost). A continuous walk would give a mean range of 1.6σ; the real bars measured
 * mean ln(high/low) / sd(1-min return) = 0.87 .. 1.54 (penny grid, discrete trades); the model gives ~1.1.
 */
const RANGE_EXTENSION = 0.8;
/** Lognormal noise on each minute's volume; its mean is kept at 1 by the -σ²/2 term. */
const VOLUME_NOISE_SIGMA = 0.45;

export interface GarchState {
  /** Conditional variance in units of the unconditional one. */
  variance: number;
}

export interface SegmentPlan {
  readonly firstBarStartMs: number;
  readonly minutes: number;
  /** Open of the first bar (the price the segment starts from). */
  readonly openPriceUsd: number;
  /** When set, the last bar closes exactly here. */
  readonly targetClosePriceUsd?: number;
  /** Unconditional standard deviation of the 1-minute log return of minute i, in basis points. */
  readonly volatilityBpsOfMinute: (minuteIndex: number) => number;
  /** Expected shares traded in minute i. */
  readonly expectedVolumeOfMinute: (minuteIndex: number) => number;
  /** Floor of each bar's volume (a bar exists because something traded). */
  readonly minimumVolume: number;
}

export function appendSegmentBars(plan: SegmentPlan, garch: GarchState, random: SeededRandom, out: MinuteBar[]): void {
  const count = plan.minutes;
  if (count <= 0) return;
  const returns = new Float64Array(count);
  const sigmas = new Float64Array(count);
  const shocks = new Float64Array(count);
  let sumOfReturns = 0;
  let sumOfVariances = 0;
  for (let i = 0; i < count; i++) {
    const shock = random.normal();
    const sigma = (plan.volatilityBpsOfMinute(i) / 10_000) * sqrt(garch.variance);
    sigmas[i] = sigma;
    shocks[i] = shock;
    returns[i] = sigma * shock;
    sumOfReturns += returns[i]!;
    sumOfVariances += sigma * sigma;
    const next = GARCH_OMEGA + GARCH_ALPHA * garch.variance * shock * shock + GARCH_BETA * garch.variance;
    garch.variance = min(GARCH_MAX_VARIANCE, max(GARCH_MIN_VARIANCE, next));
  }
  if (plan.targetClosePriceUsd !== undefined && sumOfVariances > 0) {
    // Brownian-bridge style: spread the missing drift in proportion to each minute's variance, so calm
    // minutes stay calm and the path still looks like the same process (for a Gaussian walk the bridge
    // has exactly the law of the free walk conditioned on its end point).
    const missingLog = log(plan.targetClosePriceUsd / plan.openPriceUsd) - sumOfReturns;
    for (let i = 0; i < count; i++) returns[i]! += (missingLog * sigmas[i]! * sigmas[i]!) / sumOfVariances;
  }

  let logPrice = log(plan.openPriceUsd);
  let previousCloseUsd = roundToCent(plan.openPriceUsd);
  for (let i = 0; i < count; i++) {
    logPrice += returns[i]!;
    const last = i === count - 1 && plan.targetClosePriceUsd !== undefined;
    const closeUsd = last ? roundToCent(plan.targetClosePriceUsd!) : roundToCent(exp(logPrice));
    const openUsd = previousCloseUsd;
    const sigma = sigmas[i]!;
    // 1 + x instead of e^x: x is a fraction of a percent, and this runs ~40 000 times per simulated day.
    const highUsd = roundToCent(max(openUsd, closeUsd) * (1 + RANGE_EXTENSION * random.unit() * sigma));
    const lowUsd = roundToCent(min(openUsd, closeUsd) * (1 - RANGE_EXTENSION * random.unit() * sigma));
    // Busy minutes are the ones that move: volume scales with |shock| (mean of 0.6 + 0.5|z| is 1.0).
    const activity = 0.6 + 0.5 * abs(shocks[i]!);
    const noise = exp(VOLUME_NOISE_SIGMA * random.normal() - (VOLUME_NOISE_SIGMA * VOLUME_NOISE_SIGMA) / 2);
    const volume = max(plan.minimumVolume, round(plan.expectedVolumeOfMinute(i) * activity * noise));
    out.push({
      startMs: plan.firstBarStartMs + i * 60_000,
      open: openUsd,
      high: max(highUsd, openUsd, closeUsd),
      low: min(lowUsd, openUsd, closeUsd),
      close: closeUsd,
      volume,
    });
    previousCloseUsd = closeUsd;
  }
}
