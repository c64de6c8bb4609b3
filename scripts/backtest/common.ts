import type { Argv } from 'yargs';
import { loadConfig } from '../../shared/config/load-config';
import type { ResolvedConfig } from '../../shared/config/schema';
import { checkEngineSettings, type EngineSettings } from '../../shared/backtest/settings';
import type { CommissionSchedule } from '../../shared/backtest/commissions';
import { checkConfigOverrides } from '../../shared/backtest/prepare';
import { ConfigError } from '../../shared/errors/errors';
import { loadStrategies } from '../../shared/strategy/registry';
import type { Strategy } from '../../shared/strategy/types';
import { CliUsageError } from '../report/cli-common';

export interface CommonArgs {
  bars?: string;
  from?: string;
  to?: string;
  symbols?: string[];
  config?: string;
  strategies?: string;
  params?: string;
  set?: string[];
  'initial-capital'?: number;
  commission?: string;
  'regulatory-fees'?: boolean;
  'slippage-bps'?: number;
  spread?: string;
  participation?: number;
  'entry-latency-s'?: number;
  json?: boolean;
  quiet?: boolean;
}

/** The options every backtest command shares: bars, range, universe, configuration, the engine's assumptions. */
export function commonOptions<T>(y: Argv<T>): Argv<T & CommonArgs> {
  return y
    .option('bars', { type: 'string', describe: 'bars: a bar store (.db), a folder of <SYMBOL>.csv, or synthetic[:seed[:universe]] (default: BARS_DB_PATH)' })
    .option('from', { type: 'string', describe: 'first trading day, YYYY-MM-DD' })
    .option('to', { type: 'string', describe: 'last trading day, YYYY-MM-DD' })
    .option('symbols', { type: 'array', string: true, describe: 'the universe (comma or space separated; default: every symbol with bars)' })
    .option('config', { type: 'string', describe: 'a CONFIG_FILE (JSON or YAML) with the trading configuration (default: the environment\'s)' })
    .option('strategies', { type: 'string', describe: 'STRATEGIES for this run, e.g. gap-momentum,opening-range-breakout' })
    .option('params', { type: 'string', describe: 'STRATEGY_PARAMS for this run, JSON: {"gap-momentum":{"minScore":60}}' })
    .option('set', { type: 'array', string: true, describe: 'a configuration value, dotted=value (risk.maxOpenPositions=3, exits.timeExitMinutes=60); repeatable' })
    .option('initial-capital', { type: 'number', describe: 'starting equity, USD (100000)' })
    .option('commission', { type: 'string', choices: ['fixed', 'tiered'], describe: 'IB commission schedule (fixed)' })
    .option('regulatory-fees', { type: 'boolean', describe: 'SEC and FINRA fees on sales (true)' })
    .option('slippage-bps', { type: 'number', describe: 'extra cost of marketable orders, bps (1)' })
    .option('spread', { type: 'string', describe: '"model" or a fixed spread in bps (model)' })
    .option('participation', { type: 'number', describe: 'largest share of a bar\'s volume one order takes, 0-1 (0.1)' })
    .option('entry-latency-s', { type: 'number', describe: 'seconds from the scan to the entry reaching the market: the price is taken that far into the bar (0: its open)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON document on stdout' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar' }) as unknown as Argv<T & CommonArgs>;
}

export function listOption(values: readonly string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const out = values.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
  return out.length > 0 ? out : undefined;
}

/** key=value pairs (values parsed as JSON when they are JSON: numbers, booleans, arrays). */
export function keyValues(values: readonly string[] | undefined, flag: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const raw of values ?? []) {
    const i = raw.indexOf('=');
    if (i <= 0) throw new CliUsageError(`--${flag} expects name=value, got ${JSON.stringify(raw)}`);
    const text = raw.slice(i + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      value = text.includes(',') ? text.split(',') : text;
    }
    out[raw.slice(0, i)] = value;
  }
  return out;
}

export function parseParams(text: string | undefined): Record<string, Record<string, unknown>> | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, Record<string, unknown>>;
  } catch (error) {
    throw new CliUsageError(`--params must be JSON like {"gap-momentum":{"minScore":60}}: ${(error as Error).message}`);
  }
}

export function loadRunConfig(args: CommonArgs): ResolvedConfig {
  const overrides: Record<string, unknown> = {};
  if (args.strategies) overrides['strategies.enabled'] = listOption([args.strategies]);
  const params = parseParams(args.params);
  if (params) overrides['strategies.params'] = params;
  return loadConfig({ configFile: args.config, overrides });
}

const SETTING_FLAGS: Readonly<Record<string, string>> = {
  'initial capital': '--initial-capital', slippage: '--slippage-bps', spread: '--spread', participation: '--participation', 'entry latency': '--entry-latency-s',
};

/** The engine settings the flags ask for, and every problem with them. */
export function checkSettingsFlags(args: CommonArgs): { settings: EngineSettings; problems: string[] } {
  const problems: string[] = [];
  let spread = args.spread === undefined ? undefined : args.spread === 'model' ? 'model' as const : Number(args.spread);
  if (spread !== undefined && spread !== 'model' && (args.spread!.trim() === '' || !Number.isFinite(spread))) {
    problems.push(`--spread must be "model" or a number of bps, got ${JSON.stringify(args.spread)}`);
    spread = undefined;
  }
  const checked = checkEngineSettings({
    ...(args['initial-capital'] !== undefined ? { initialCapital: args['initial-capital'] } : {}),
    ...(args['slippage-bps'] !== undefined ? { slippageBps: args['slippage-bps'] } : {}),
    ...(spread !== undefined ? { spread } : {}),
    ...(args.participation !== undefined ? { participation: args.participation } : {}),
    ...(args['entry-latency-s'] !== undefined ? { entryLatencySeconds: args['entry-latency-s'] } : {}),
    commissions: {
      ...(args.commission ? { schedule: args.commission as CommissionSchedule } : {}),
      ...(args['regulatory-fees'] !== undefined ? { regulatoryFees: args['regulatory-fees'] } : {}),
    } as EngineSettings['commissions'],
  });
  // The engine names its settings; the user typed flags: say which flag.
  const flagOf = (problem: string) => Object.entries(SETTING_FLAGS).find(([prefix]) => problem.startsWith(prefix))?.[1];
  return { settings: checked.settings, problems: [...problems, ...checked.problems.map((p) => (flagOf(p) ? `${flagOf(p)}: ${p}` : p))] };
}

/** A day flag: its value if it is a date YYYY-MM-DD, else a problem. */
function checkDay(value: string | undefined, flag: string, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    problems.push(`--${flag} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return value;
}

export interface CheckedInputs {
  from?: string;
  to?: string;
  /** The configuration with --strategies, --params and --set applied. */
  config: ResolvedConfig;
  /** The --set values (already validated; prepareBacktest applies them again to each point). */
  configOverrides: Record<string, unknown>;
  settings: EngineSettings;
  strategies: Strategy[];
}

/**
 * Every flag a backtest command shares, checked before any bars are read or generated: dates, the engine's
 * assumptions, --set, --params, the configuration and the strategies with their parameters. All problems are
 * listed at once (ConfigError, exit 78), like the configuration of the bots; `more` adds a command's own checks,
 * run with the strategies when they loaded.
 */
export function checkCommonInputs(args: CommonArgs, more?: (strategies: readonly Strategy[] | undefined, problems: string[], config: ResolvedConfig | undefined) => void): CheckedInputs {
  const problems: string[] = [];
  const from = checkDay(args.from, 'from', problems);
  const to = checkDay(args.to, 'to', problems);
  if (from && to && from > to) problems.push(`--from ${from} is after --to ${to}`);
  const { settings, problems: settingProblems } = checkSettingsFlags(args);
  problems.push(...settingProblems);
  let configOverrides: Record<string, unknown> = {};
  try {
    configOverrides = keyValues(args.set, 'set');
  } catch (error) {
    problems.push((error as Error).message);
  }
  let config: ResolvedConfig | undefined;
  try {
    config = loadRunConfig(args);
  } catch (error) {
    if (error instanceof ConfigError) problems.push(...error.problems);
    else if (error instanceof CliUsageError) problems.push(error.message);
    else throw error;
  }
  let strategies: Strategy[] | undefined;
  if (config) {
    const overridden = checkConfigOverrides(config, configOverrides);
    problems.push(...overridden.problems);
    config = overridden.config;
    try {
      strategies = loadStrategies(config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  more?.(strategies, problems, config);
  if (problems.length > 0 || !config || !strategies) throw new ConfigError([...new Set(problems)]);
  return { from, to, config, configOverrides, settings, strategies };
}

/** A day flag, checked for the form and for being a date. */
export function dayOption(value: string | undefined, flag: string): string | undefined {
  const problems: string[] = [];
  const day = checkDay(value, flag, problems);
  if (problems.length > 0) throw new CliUsageError(problems[0]!);
  return day;
}
