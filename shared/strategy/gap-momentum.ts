import { z } from 'zod/v3';
import { gapMomentumMetrics } from './candidate-metrics';
import { scoreCandidate } from './scoring';
import type { MarketNeeds, Strategy, StrategyConfigView, StrategyDefinition } from './types';

/**
 * The built-in strategy: gap-and-go / momentum names from three IB scanners, measured on 5-minute bars of
 * two days (RSI(14), ATR(14)), the pre-market gap, relative volume and the spread, scored 0-100 (scoring.ts),
 * entered above `minScore` with a stop `stopLossPct` below and a target `takeProfitPct` above the fill.
 * Its parameters are the `strategy.*` configuration keys (ENTRY_RSI_MAX, MIN_SCORE, ...): what it has always
 * traded with; STRATEGY_PARAMS can override them per agent.
 */
export const gapMomentumParams = z.object({
  capitalAllocationPct: z.number().gt(0).lte(100).default(25),
  takeProfitPct: z.number().gt(0).lte(50).default(1.8),
  stopLossPct: z.number().gt(0).lte(50).default(0.9),
  entryRsiMax: z.number().gt(0).lte(100).default(60),
  minAtrPct: z.number().min(0).max(50).default(0.3),
  gapAndGoMinPct: z.number().min(0).max(100).default(5),
  minScore: z.number().min(0).max(100).default(55),
  maxSpreadPct: z.number().gt(0).max(10).default(0.5),
  candidatesPerScan: z.number().int().min(1).max(50).default(20),
  entryLimitSlippagePct: z.number().min(0).max(5).default(0.2),
  timeExitMinutes: z.number().int().min(0).max(1_440).default(0),
}).strict();

export type GapMomentumParams = z.infer<typeof gapMomentumParams>;

export const GAP_MOMENTUM_SCANNERS = ['TOP_PERC_GAIN', 'MOST_ACTIVE', 'HOT_BY_VOLUME'] as const;

export function gapMomentumNeeds(params: Pick<GapMomentumParams, 'candidatesPerScan'>): MarketNeeds {
  return {
    scanners: GAP_MOMENTUM_SCANNERS,
    rowsPerScanner: params.candidatesPerScan,
    abovePrice: 2,
    intraday: { barSize: '5 mins', days: 2, useRth: false },
    dailyDays: 15,
    quote: true,
  };
}

const CONFIG_KEYS = ['capitalAllocationPct', 'takeProfitPct', 'stopLossPct', 'entryRsiMax', 'minAtrPct', 'gapAndGoMinPct', 'minScore', 'maxSpreadPct', 'candidatesPerScan', 'entryLimitSlippagePct'] as const;

export const gapMomentum: StrategyDefinition<GapMomentumParams> = {
  name: 'gap-momentum',
  description: 'gap-and-go and momentum names from the scanners, scored on RSI(14), ATR(14), gap, relative volume and spread (the built-in)',
  params: gapMomentumParams,
  searchSpace: {
    minScore: { min: 40, max: 75, step: 5 },
    stopLossPct: { min: 0.5, max: 2, step: 0.25 },
    takeProfitPct: { min: 1, max: 4, step: 0.5 },
    entryRsiMax: { min: 50, max: 80, step: 5 },
  },
  configDefaults(config: StrategyConfigView): Partial<GapMomentumParams> {
    const defaults: Record<string, unknown> = {};
    for (const key of CONFIG_KEYS) if (config.strategy[key] !== undefined) defaults[key] = config.strategy[key];
    return defaults as Partial<GapMomentumParams>;
  },
  create(params: GapMomentumParams, agentName: string): Strategy {
    return {
      name: agentName,
      type: 'gap-momentum',
      params: Object.freeze({ ...params }),
      needs: gapMomentumNeeds(params),
      capitalAllocationPct: params.capitalAllocationPct,
      entryLimitSlippagePct: params.entryLimitSlippagePct,
      exitPlan: { stopLossPct: params.stopLossPct, takeProfitPct: params.takeProfitPct, timeExitMinutes: params.timeExitMinutes },
      evaluate(data) {
        const metrics = gapMomentumMetrics({
          symbol: data.symbol, nowMs: data.nowMs, tradingDay: data.tradingDay, session: data.session, intraday: data.intraday, daily: data.daily, quote: data.quote,
        });
        return { metrics, decision: scoreCandidate(metrics, params) };
      },
    };
  },
};
