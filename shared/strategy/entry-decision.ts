import type { CandidateMetrics } from './candidate-metrics';
import type { ScoreDecision } from './scoring';
import { sizePosition, type RiskLimits } from './sizing';
import type { Evaluation, ExitPlan, Strategy } from './types';

/** A candidate after measuring: its evaluation, or why it could not be measured (IB pacing, refused data). */
export interface ScoredCandidate {
  metrics: CandidateMetrics;
  decision: ScoreDecision;
  exitPlan: ExitPlan;
}

/**
 * Candidates in the order they are considered: by score, best first; equal scores keep the scanner order
 * (Array.prototype.sort is stable). A candidate that could not be measured scores 0 with the reason.
 */
export function rankCandidates(strategy: Strategy, candidates: ReadonlyArray<{ symbol: string; evaluation?: Evaluation; notMeasured?: string }>): ScoredCandidate[] {
  return candidates
    .map((c) => {
      if (c.evaluation === undefined) {
        return { metrics: { symbol: c.symbol }, decision: { accepted: false as const, score: 0, reason: c.notMeasured ?? 'not_measured' }, exitPlan: strategy.exitPlan };
      }
      return { metrics: c.evaluation.metrics, decision: c.evaluation.decision, exitPlan: c.evaluation.exitPlan ?? strategy.exitPlan };
    })
    .sort((a, b) => b.decision.score - a.decision.score);
}

export type EntryPlan =
  | { kind: 'reject'; reason: string }
  | { kind: 'enter'; quantity: number; limitPrice: number; stopLossPrice: number; profitTargetPrice: number; limitingRule: string; exitPlan: ExitPlan };

export interface EntryFacts {
  /** Reasons nothing may be entered now (entryBlockers); asked only for accepted candidates. */
  blockers: () => string[];
  isActive: (symbol: string) => boolean;
  closedToday: (symbol: string) => boolean;
  netLiquidation: number;
  /** Gross position value, including the entries of this scan so far. */
  grossExposure: number;
}

/**
 * Whether and how to enter one ranked candidate, in the order the live pipeline has always checked: the
 * strategy's verdict, the guards (exit manager, halt, session, cut-off, daily loss), an active position in the
 * symbol, a position closed in it today, then the size. The claim (one position per symbol, max open positions)
 * is decided after this, atomically, by whoever owns the book.
 */
export function planEntry(candidate: ScoredCandidate, strategy: Strategy, risk: Pick<RiskLimits, 'riskPerTradePct' | 'maxPositionPct' | 'maxGrossExposurePct'>, facts: EntryFacts): EntryPlan {
  const { metrics, decision, exitPlan } = candidate;
  if (!decision.accepted) return { kind: 'reject', reason: decision.reason };
  const blockers = facts.blockers();
  if (blockers.length > 0) return { kind: 'reject', reason: `blocked: ${blockers.join(', ')}` };
  if (facts.isActive(metrics.symbol)) return { kind: 'reject', reason: 'already_active' };
  if (facts.closedToday(metrics.symbol)) return { kind: 'reject', reason: 'closed_today' };
  const size = sizePosition(
    { entryPrice: metrics.price!, netLiquidation: facts.netLiquidation, grossPositionValue: facts.grossExposure },
    { capitalAllocationPct: strategy.capitalAllocationPct, stopLossPct: exitPlan.stopLossPct, takeProfitPct: exitPlan.takeProfitPct },
    risk,
  );
  if (!size.ok) return { kind: 'reject', reason: size.reason };
  return {
    kind: 'enter',
    quantity: size.quantity,
    limitPrice: metrics.price! * (1 + strategy.entryLimitSlippagePct / 100),
    stopLossPrice: size.stopLossPrice,
    profitTargetPrice: size.profitTargetPrice,
    limitingRule: size.limitingRule,
    exitPlan,
  };
}

/** The claim's metadata: the score and reason, and the trade's exits (the exit side reads them back). */
export function claimMetadata(score: number, reason: string, strategy: Strategy, exitPlan: ExitPlan): Record<string, unknown> {
  return { score, reason, strategy: strategy.type, exitPlan: { stopLossPct: exitPlan.stopLossPct, takeProfitPct: exitPlan.takeProfitPct, timeExitMinutes: exitPlan.timeExitMinutes ?? 0 } };
}
