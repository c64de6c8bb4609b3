import { checkCommonInputs } from '../../../scripts/backtest/common';
import { prepareSearch } from '../../../scripts/backtest/optimize-command';
import { runParity, type ParityArgs } from '../../../scripts/backtest/parity-command';
import { checkConfigOverrides } from '../../../shared/backtest/prepare';
import { loadConfig } from '../../../shared/config/load-config';
import { ConfigError } from '../../../shared/errors/errors';

/**
 * Bad input to the backtest commands is a user error: every problem at once (exit 78), found before any bars are
 * read or generated, like the bots' configuration. A typo in a configuration path is a problem too: zod drops
 * keys it does not know, so it would otherwise be ignored (and an optimisation axis on it would run one point N times).
 */
function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('no ConfigError');
}

const env = { DB_PATH: '/nonexistent/never-opened.db', BARS_DB_PATH: '/nonexistent/never-opened-bars.db' };

describe('backtest command inputs', () => {
  const saved = { ...process.env };
  beforeAll(() => Object.assign(process.env, env));
  afterAll(() => {
    for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key]; else process.env[key] = saved[key];
  });

  it('lists every problem of dates, engine flags, --set, --params and STRATEGIES at once', () => {
    const problems = problemsOf(() => checkCommonInputs({
      bars: 'synthetic', from: '2026-13-01', to: '2026-06-1', spread: 'abc', participation: 2, 'slippage-bps': -3, 'initial-capital': 0,
      set: ['risk.maxOpenPositions=-1', 'foo=1', 'risk.maxOpenPosition=3'], strategies: 'gap-momentum,nosuch',
      params: '{"gap-momentum":{"minScore":"x"},"nope":{}}',
    }));
    expect(problems).toEqual([
      '--from must be a date YYYY-MM-DD, got "2026-13-01"',
      '--to must be a date YYYY-MM-DD, got "2026-06-1"',
      '--spread must be "model" or a number of bps, got "abc"',
      '--initial-capital: initial capital must be positive, got 0',
      '--slippage-bps: slippage must be >= 0 bps, got -3',
      '--participation: participation must be in (0, 1], got 2',
      'foo: only strategy.*, risk.*, exits.*, schedule.*, intervals.*, strategies.* can be set for a backtest run',
      expect.stringMatching(/^risk\.maxOpenPosition: the configuration has no such value \(risk has .*maxOpenPositions\)$/),
      'risk.maxOpenPositions: Number must be greater than or equal to 1',
      expect.stringMatching(/^STRATEGY_PARAMS \(strategies\.params\.nope\): no strategy runs as "nope"/),
      expect.stringMatching(/^STRATEGY_PARAMS \(strategies\.params\.gap-momentum\.minScore\) = "x": Expected number/),
      expect.stringMatching(/^STRATEGIES \(strategies\.enabled\): no strategy "nosuch"/),
    ]);
  });

  it('passes good input through, with --set applied and the strategies loaded', () => {
    const checked = checkCommonInputs({ from: '2026-06-01', to: '2026-06-12', set: ['exits.timeExitMinutes=45'], strategies: 'gap-momentum,opening-range-breakout', participation: 0.5 });
    expect(checked.config.exits.timeExitMinutes).toBe(45);
    expect(checked.settings.participation).toBe(0.5);
    expect(checked.strategies.map((s) => s.name)).toEqual(['gap-momentum', 'opening-range-breakout']);
  });

  it('refuses a configuration path that does not exist, at any depth, and accepts real ones', () => {
    const config = loadConfig({ env });
    expect(checkConfigOverrides(config, { 'exits.timeExitMinutes': 30 }).problems).toEqual([]);
    expect(checkConfigOverrides(config, { 'exits.timeExitMinutes': 30 }).config.exits.timeExitMinutes).toBe(30);
    expect(checkConfigOverrides(config, { 'exits.timeExitMinute': 30 }).problems).toEqual([expect.stringMatching(/^exits\.timeExitMinute: the configuration has no such value/)]);
    expect(checkConfigOverrides(config, { 'risk.maxOpenPositions.deeper': 1 }).problems).toEqual([expect.stringMatching(/^risk\.maxOpenPositions\.deeper: the configuration has no such value/)]);
  });

  it('checks every --param of a search with the rest, before any bars are touched', () => {
    const problems = problemsOf(() => prepareSearch({
      bars: '/nonexistent/bars.db', from: '2026-06-01', to: '2026-06-12', objective: 'sharpe', 'min-trades': -1, workers: 0, random: 0,
      param: ['minScore=70:40:5', 'nosuch=1,2', 'risk.maxOpenPosition=1,2', 'risk.maxOpenPositions=0,2'],
    }));
    expect(problems).toEqual([
      '--param minScore=70:40:5: need from <= to and a positive step',
      expect.stringMatching(/^--param nosuch: strategy gap-momentum \(agent gap-momentum\) has no parameter "nosuch"/),
      expect.stringMatching(/^--param risk\.maxOpenPosition: the configuration has no such value/),
      '--param risk.maxOpenPositions: Number must be greater than or equal to 1',
      '--random needs a number of points >= 1, got 0',
      '--min-trades must be 0 or more, got -1',
      '--workers must be a whole number of at least 1, got 0',
    ]);
  });

  it('checks a parity run\'s flags and configuration before starting the system (a typo found hours later wastes them)', async () => {
    const args: ParityArgs = {
      bars: 'synthetic', days: 0, speed: 10, seed: 42, universe: 20, 'start-day': '2026-11-31', 'day-start': '9:28', 'day-end': '15:56', 'scan-times': '09:35',
      'max-position-pct': 2, set: ['EOD_FLATEN_MINUTES=120', 'STRATEGIES=gap-momentum,nosuch', 'MIN_SCORE=500'], keep: false, save: false, json: true, quiet: true,
      'min-matched': 1.5, 'max-pnl-difference': 0.02, reuse: false,
    } as ParityArgs;
    const problems = await runParity(args).then(() => [], (error: unknown) => {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    });
    expect(problems).toEqual([
      '--days must be a whole number from 1 to 60, got 0',
      '--universe must be a whole number from 30 to 500, got 20',
      '--min-matched is a share from 0 to 1, got 1.5',
      '--day-start must be HH:MM (New York), got "9:28"',
      '--start-day must be a date YYYY-MM-DD, got "2026-11-31"',
      expect.stringMatching(/^--set EOD_FLATEN_MINUTES: not a configuration variable/),
      'SIM_UNIVERSE_SIZE (sim.universeSize) = "20": Number must be greater than or equal to 30',
      'MIN_SCORE (strategy.minScore) = "500": Number must be less than or equal to 100',
    ]);
  });
});

