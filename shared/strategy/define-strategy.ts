import { z } from 'zod/v3';
import type { CandidateData, Evaluation, ExitPlan, MarketNeeds, Strategy, StrategyDefinition } from './types';

/**
 * Parameters every strategy has (with these defaults unless its schema says otherwise): how much of the
 * account one position may take, its stop and target, an optional time exit, and how far through the ask the
 * IOC entry may pay. Extend them in your schema: `z.object({ ...standardParams, myThreshold: z.number()... })`.
 */
export const standardParams = {
  capitalAllocationPct: z.number().gt(0).lte(100).default(10),
  stopLossPct: z.number().gt(0).lte(50).default(1),
  takeProfitPct: z.number().gt(0).lte(50).default(2),
  timeExitMinutes: z.number().int().min(0).max(1_440).default(0),
  entryLimitSlippagePct: z.number().min(0).max(5).default(0.2),
};

export type StandardParams = { capitalAllocationPct: number; stopLossPct: number; takeProfitPct: number; timeExitMinutes: number; entryLimitSlippagePct: number };

export interface StrategySpec<P extends StandardParams> {
  /** File name and the name STRATEGIES refers to: lower-case letters, digits and dashes. */
  name: string;
  description: string;
  /** zod schema of the parameters, defaults included (`zod/v3`): STRATEGY_PARAMS is validated against it. */
  params: z.ZodType<P, z.ZodTypeDef, unknown>;
  /** What the strategy needs from the market, given its parameters. */
  needs(params: P): MarketNeeds;
  /** Measure and score one candidate; pure (no I/O, no clock: `data.nowMs` is the time). */
  evaluate(data: CandidateData, params: P): Evaluation;
  searchSpace?: StrategyDefinition<P>['searchSpace'];
}

/**
 * Turns an author's spec into a StrategyDefinition (the registry's unit). Sizing, the entry order, the
 * protection pair and the end-of-day flatten are the system's: a strategy decides WHAT to enter and its exits.
 */
export function defineStrategy<P extends StandardParams>(spec: StrategySpec<P>): StrategyDefinition<P> {
  return {
    name: spec.name,
    description: spec.description,
    params: spec.params,
    searchSpace: spec.searchSpace,
    create(params: P, agentName: string): Strategy {
      const exitPlan: ExitPlan = { stopLossPct: params.stopLossPct, takeProfitPct: params.takeProfitPct, timeExitMinutes: params.timeExitMinutes };
      return {
        name: agentName,
        type: spec.name,
        params: Object.freeze({ ...params }),
        needs: spec.needs(params),
        capitalAllocationPct: params.capitalAllocationPct,
        entryLimitSlippagePct: params.entryLimitSlippagePct,
        exitPlan,
        evaluate: (data) => spec.evaluate(data, params),
      };
    },
  };
}
