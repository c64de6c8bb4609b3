import fs from 'node:fs';
import path from 'node:path';
import { barWindow } from '../../../shared/strategy/bar-window';
import { loadConfig } from '../../../shared/config/load-config';
import { ConfigError } from '../../../shared/errors/errors';
import { gapMomentumMetrics } from '../../../shared/strategy/candidate-metrics';
import { listStrategyDefinitions, loadStrategies } from '../../../shared/strategy/registry';
import { scoreCandidate } from '../../../shared/strategy/scoring';
import { gridPoints, parseAxis, pointOverrides, randomPoints } from '../../../shared/backtest/parameter-space';
import type { CandidateData } from '../../../shared/strategy/types';
import { newYorkTime, sessionHours } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

const config = (env: Record<string, string> = {}) => loadConfig({ env });
const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('strategies by name, with validated parameters', () => {
  it('runs the built-in gap-momentum as AGENT_NAME with the strategy.* configuration as its parameters', () => {
    const [strategy, ...rest] = loadStrategies(config({ AGENT_NAME: 'gm', MIN_SCORE: '61' }));
    expect(rest).toEqual([]);
    expect(strategy).toMatchObject({ name: 'gm', type: 'gap-momentum', capitalAllocationPct: 25, exitPlan: { stopLossPct: 0.9, takeProfitPct: 1.8 } });
    expect(strategy!.params).toMatchObject({ minScore: 61, entryRsiMax: 60 });
    expect(strategy!.needs).toEqual({ scanners: ['TOP_PERC_GAIN', 'MOST_ACTIVE', 'HOT_BY_VOLUME'], rowsPerScanner: 20, abovePrice: 2, intraday: { barSize: '5 mins', days: 2, useRth: false }, dailyDays: 15, quote: true });
  });

  it('finds a user strategy in the strategies folder by name, several at once, each with its own agent and parameters', () => {
    const strategies = loadStrategies(config({
      STRATEGIES: 'gap-momentum,opening-range-breakout,orb30=opening-range-breakout',
      STRATEGY_PARAMS: JSON.stringify({ orb30: { rangeMinutes: 30 }, 'gap-momentum': { minScore: 70 } }),
    }));
    expect(strategies.map((s) => [s.name, s.type, s.params.rangeMinutes ?? s.params.minScore])).toEqual([
      ['gap-momentum', 'gap-momentum', 70], ['opening-range-breakout', 'opening-range-breakout', 15], ['orb30', 'opening-range-breakout', 30],
    ]);
  });

  it('lists every problem at once: unknown strategy, out-of-range and unknown parameters, duplicate agents, params for nobody', () => {
    expect(problems(() => loadStrategies(config({
      STRATEGIES: 'gap-momentum,no-such-thing,opening-range-breakout,opening-range-breakout',
      STRATEGY_PARAMS: JSON.stringify({ 'opening-range-breakout': { rangeMinutes: 2, bogus: 1 }, 'gap-momentum': { minScore: 150 }, ghost: {} }),
    })))).toEqual(expect.arrayContaining([
      expect.stringMatching(/agent name "opening-range-breakout" is used twice/),
      expect.stringMatching(/STRATEGY_PARAMS \(strategies\.params\.ghost\): no strategy runs as "ghost"/),
      expect.stringMatching(/no strategy "no-such-thing".*available: gap-momentum, opening-range-breakout/),
      expect.stringMatching(/strategies\.params\.opening-range-breakout\.rangeMinutes\) = 2: .*5/),
      expect.stringMatching(/strategies\.params\.opening-range-breakout\).*bogus/),
      expect.stringMatching(/strategies\.params\.gap-momentum\.minScore\) = 150/),
    ]));
  });

  it('refuses STRATEGY_PARAMS that is not JSON of objects (like the rest of the configuration)', () => {
    expect(() => config({ STRATEGY_PARAMS: 'minScore=3' })).toThrow(/STRATEGY_PARAMS \(strategies\.params\)/);
  });

  it('loads a strategy from STRATEGIES_DIR, named after its file', () => {
    const temp = makeTempDir('strategy-dir');
    try {
      const shared = path.resolve(__dirname, '../../../shared/strategy/define-strategy');
      fs.writeFileSync(path.join(temp.dir, 'always-no.js'), `const { z } = require(${JSON.stringify(require.resolve('zod/v3'))});
const { defineStrategy, standardParams } = require(${JSON.stringify(shared)});
exports.default = defineStrategy({ name: 'always-no', description: 'never enters', params: z.object(standardParams),
  needs: () => ({ scanners: ['MOST_ACTIVE'], rowsPerScanner: 5, quote: false }), evaluate: (d) => ({ metrics: { symbol: d.symbol }, decision: { accepted: false, score: 0, reason: 'no' } }) });`);
      fs.writeFileSync(path.join(temp.dir, 'misnamed.js'), fs.readFileSync(path.join(temp.dir, 'always-no.js'), 'utf8'));
      const [strategy] = loadStrategies(config({ STRATEGIES: 'always-no', STRATEGIES_DIR: temp.dir }));
      expect(strategy).toMatchObject({ name: 'always-no', type: 'always-no', capitalAllocationPct: 10 });
      expect(listStrategyDefinitions(temp.dir).map((d) => d.name)).toEqual(['gap-momentum', 'always-no', 'misnamed']);
      expect(problems(() => loadStrategies(config({ STRATEGIES: 'misnamed', STRATEGIES_DIR: temp.dir })))).toEqual([expect.stringMatching(/defines strategy "always-no": the file must be named after it/)]);
    } finally {
      temp.cleanup();
    }
  });
});

describe('the built-in gap-momentum through the strategy interface', () => {
  it('measures and scores like the day-trader always has', () => {
    const [strategy] = loadStrategies(config());
    const day = '2026-11-24';
    const bars = Array.from({ length: 40 }, (_, i) => ({ timeMs: newYorkTime(day, '09:30') + i * 300_000 - 20 * 300_000, open: 50 + i * 0.01, high: 50.3 + i * 0.01, low: 49.8 + i * 0.01, close: 50 + (i % 3) * 0.05, volume: 1_000 }));
    const data: CandidateData = {
      symbol: 'GAP', nowMs: newYorkTime(day, '11:00'), tradingDay: day, session: sessionHours(day), intraday: barWindow(bars), dailyBars: [],
      daily: { previousClose: 47, averageDailyVolume: 50_000 }, quote: { bid: 50.1, ask: 50.12, last: 50.11 },
    };
    const evaluation = strategy!.evaluate(data);
    const metrics = gapMomentumMetrics(data);
    expect(evaluation.metrics).toEqual(metrics);
    expect(evaluation.decision).toEqual(scoreCandidate(metrics, config().strategy));
    // The gap counts from today's first trade, pre-market included (the first bar here is at 07:50).
    expect(metrics.gapPct).toBeCloseTo((bars[0]!.open / 47 - 1) * 100, 10);
  });
});

describe('the opening-range breakout example', () => {
  const [orb] = loadStrategies(config({ STRATEGIES: 'opening-range-breakout' }));
  const day = '2026-11-24';
  const open = newYorkTime(day, '09:30');
  /** 15 minutes between 50.00 and 50.50, then a climb to `last`. */
  const data = (nowHhmm: string, last: number, volume = 3_000): CandidateData => {
    const bars = [];
    for (let i = 0; i < 40; i++) {
      const t = open + i * 60_000;
      if (t + 60_000 > newYorkTime(day, nowHhmm)) break;
      const price = i < 15 ? 50.25 : Math.min(last, 50.25 + (i - 14) * 0.05);
      bars.push({ timeMs: t, open: price, high: i < 15 ? 50.5 : price, low: i < 15 ? 50 : price, close: price, volume });
    }
    return {
      symbol: 'ORB', nowMs: newYorkTime(day, nowHhmm), tradingDay: day, session: sessionHours(day), intraday: barWindow(bars), dailyBars: [],
      daily: { previousClose: 50, averageDailyVolume: 200_000 }, quote: { bid: last - 0.01, ask: last + 0.01, last },
    };
  };

  it('waits for the range, then enters a breakout on volume with its stop mid-range and a 2R target', () => {
    expect(orb!.evaluate(data('09:40', 50.3)).decision).toMatchObject({ accepted: false, reason: expect.stringMatching(/^range_forming/) });
    const evaluation = orb!.evaluate(data('10:00', 51));
    expect(evaluation.decision).toMatchObject({ accepted: true, reason: expect.stringMatching(/^breakout/) });
    // Ask 51.01; the range's middle 50.25: stop (51.01 - 50.25) / 51.01 = 1.49 %; target 2 x 1.49 = 2.98 %.
    expect(evaluation.exitPlan).toEqual({ stopLossPct: 1.49, takeProfitPct: 2.98, timeExitMinutes: 0 });
  });

  it('rejects no breakout, too little volume, and entries too late in the day', () => {
    expect(orb!.evaluate(data('10:00', 50.4)).decision.reason).toMatch(/^no_breakout/);
    expect(orb!.evaluate(data('10:00', 51, 100)).decision.reason).toMatch(/^relative_volume_too_low/);
    expect(orb!.evaluate(data('11:45', 51)).decision.reason).toMatch(/^too_late/);
  });
});

describe('the parameter space of an optimisation', () => {
  const [strategy] = loadStrategies(config());
  it('parses ranges, lists, agents and configuration paths; draws a seeded random search', () => {
    const axes = [parseAxis('minScore=50:60:5', [strategy!]), parseAxis('gap-momentum.stopLossPct=0.5,1', [strategy!]), parseAxis('risk.maxOpenPositions=3', [strategy!])];
    expect(gridPoints(axes)).toEqual([
      { minScore: 50, 'gap-momentum.stopLossPct': 0.5, 'risk.maxOpenPositions': 3 }, { minScore: 50, 'gap-momentum.stopLossPct': 1, 'risk.maxOpenPositions': 3 },
      { minScore: 55, 'gap-momentum.stopLossPct': 0.5, 'risk.maxOpenPositions': 3 }, { minScore: 55, 'gap-momentum.stopLossPct': 1, 'risk.maxOpenPositions': 3 },
      { minScore: 60, 'gap-momentum.stopLossPct': 0.5, 'risk.maxOpenPositions': 3 }, { minScore: 60, 'gap-momentum.stopLossPct': 1, 'risk.maxOpenPositions': 3 },
    ]);
    expect(pointOverrides({ minScore: 50, 'gap-momentum.stopLossPct': 0.5, 'risk.maxOpenPositions': 3 }, axes)).toEqual({ params: { 'gap-momentum': { minScore: 50, stopLossPct: 0.5 } }, config: { 'risk.maxOpenPositions': 3 } });
    const random = [parseAxis('minScore=40:70', [strategy!]), parseAxis('stopLossPct=0.5:2', [strategy!])];
    expect(randomPoints(random, 5, 123)).toEqual(randomPoints(random, 5, 123));
    expect(randomPoints(random, 5, 123)).not.toEqual(randomPoints(random, 5, 124));
    for (const p of randomPoints(random, 20, 9)) expect(Number.isInteger(p.minScore) && p.minScore! >= 40 && p.minScore! <= 70 && p.stopLossPct! >= 0.5 && p.stopLossPct! <= 2).toBe(true);
  });

  it('names what is wrong with a parameter', () => {
    expect(() => parseAxis('minScroe=1:2:1', [strategy!])).toThrow(/has no parameter "minScroe"/);
    expect(() => parseAxis('orb.rangeMinutes=5,10', [strategy!])).toThrow(/no strategy runs as "orb"/);
    expect(() => parseAxis('minScore=60:50:5', [strategy!])).toThrow(/from <= to/);
    expect(() => gridPoints([parseAxis('minScore=40:70', [strategy!])])).toThrow(/a grid needs/);
  });
});
