import type { CandidateMetrics } from './candidate-metrics';

export type { CandidateMetrics } from './candidate-metrics';

export type ScoreDecision =
  | { accepted: true; score: number; reason: string }
  | { accepted: false; score: number; reason: string };

/** The gap-momentum strategy's scoring parameters (the `strategy.*` config keys of the same names). */
export interface GapMomentumScoring {
  entryRsiMax: number;
  minAtrPct: number;
  gapAndGoMinPct: number;
  minScore: number;
  maxSpreadPct: number;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Scores a candidate 0-100. Hard rules first (RSI(14) must be below `entryRsiMax`, ATR at least `minAtrPct`
 * of price, spread at most `maxSpreadPct`), then points:
 *   gap 35 (a gap-and-go of at least `gapAndGoMinPct` earns 25, rising to 35 at twice that; smaller gaps earn up to 15),
 *   RSI 20 (full at RSI 30 and below, zero at the limit), ATR 15 (zero at the minimum, full at 4x),
 *   relative volume 20 (zero at 1x, full at 3x), spread 10 (full at zero spread).
 */
export function scoreCandidate(m: CandidateMetrics, strategy: GapMomentumScoring): ScoreDecision {
  if (m.price === undefined || m.rsi === undefined || m.atrPct === undefined || m.gapPct === undefined || m.spreadPct === undefined) {
    return { accepted: false, score: 0, reason: 'insufficient_data' };
  }
  const gap = m.gapPct;
  const gapPoints = gap >= strategy.gapAndGoMinPct
    ? 25 + 10 * clamp01((gap - strategy.gapAndGoMinPct) / strategy.gapAndGoMinPct)
    : 15 * clamp01(gap / strategy.gapAndGoMinPct);
  const rsiPoints = 20 * clamp01((strategy.entryRsiMax - m.rsi) / Math.max(1, strategy.entryRsiMax - 30));
  const atrPoints = strategy.minAtrPct > 0 ? 15 * clamp01((m.atrPct - strategy.minAtrPct) / (3 * strategy.minAtrPct)) : 15;
  const volumePoints = 20 * clamp01(((m.relativeVolume ?? 1) - 1) / 2);
  const spreadPoints = 10 * clamp01(1 - m.spreadPct / strategy.maxSpreadPct);
  const score = Math.round((gapPoints + rsiPoints + atrPoints + volumePoints + spreadPoints) * 10) / 10;

  if (m.rsi >= strategy.entryRsiMax) return { accepted: false, score, reason: `rsi_too_high (${m.rsi.toFixed(1)} >= ${strategy.entryRsiMax})` };
  if (m.atrPct < strategy.minAtrPct) return { accepted: false, score, reason: `atr_too_low (${m.atrPct.toFixed(2)}% < ${strategy.minAtrPct}%)` };
  if (m.spreadPct > strategy.maxSpreadPct) return { accepted: false, score, reason: `spread_too_wide (${m.spreadPct.toFixed(2)}% > ${strategy.maxSpreadPct}%)` };
  if (score < strategy.minScore) return { accepted: false, score, reason: `score_below_minimum (${score} < ${strategy.minScore})` };
  const kind = gap >= strategy.gapAndGoMinPct ? 'gap_and_go' : 'momentum';
  return { accepted: true, score, reason: `${kind} (gap ${gap.toFixed(1)}%, rsi ${m.rsi.toFixed(1)}, atr ${m.atrPct.toFixed(2)}%)` };
}
