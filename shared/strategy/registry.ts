import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors/errors';
import { gapMomentum } from './gap-momentum';
import type { Strategy, StrategyConfigView, StrategyDefinition } from './types';

/**
 * Strategies by name (freqtrade's model): the built-ins, and user strategies as TypeScript files in the
 * `strategies/` folder of the project (compiled with the rest by `npm run build`), one strategy per file named
 * after it: `strategies/opening-range-breakout.ts` exports `default defineStrategy({ name: 'opening-range-breakout', ... })`.
 * STRATEGIES picks which run (each as its own agent_name), STRATEGY_PARAMS sets their parameters, validated
 * against each strategy's schema like the rest of the configuration (every problem listed at once, exit 78).
 */
const BUILT_IN: ReadonlyMap<string, StrategyDefinition> = new Map([[gapMomentum.name, gapMomentum as unknown as StrategyDefinition]]);

export const STRATEGY_NAME_PATTERN = /^[a-z][a-z0-9-]{0,47}$/;

/** The folder user strategies are loaded from: `strategies/` beside the compiled code (dist/strategies), or STRATEGIES_DIR. */
export function defaultStrategiesDir(): string {
  return path.resolve(__dirname, '..', '..', 'strategies');
}

export interface StrategiesConfig {
  strategies: { enabled: readonly string[]; params: Readonly<Record<string, Readonly<Record<string, unknown>>>>; dir?: string };
  strategy: { agentName: string };
}

export interface StrategyEntry {
  /** agent_name the strategy runs as. */
  agentName: string;
  /** Definition name. */
  type: string;
}

/**
 * STRATEGIES entries: `name` (runs as agent `name`; the built-in gap-momentum runs as AGENT_NAME) or
 * `agent=name` (another instance of a strategy under its own agent name, with its own STRATEGY_PARAMS).
 */
export function parseStrategyEntries(config: StrategiesConfig, problems: string[] = []): StrategyEntry[] {
  const entries: StrategyEntry[] = [];
  const seen = new Set<string>();
  for (const raw of config.strategies.enabled) {
    const parts = raw.includes('=') ? raw.split('=').map((s) => s.trim()) : [undefined, raw.trim()];
    const type = parts[1] ?? '';
    const agentName = parts[0] ?? (type === gapMomentum.name ? config.strategy.agentName : type);
    if (parts.length > 2 || !STRATEGY_NAME_PATTERN.test(type)) {
      problems.push(`STRATEGIES (strategies.enabled) = ${JSON.stringify(raw)}: "${type}" is not a strategy name (lower-case letters, digits and dashes; agent=name for a named instance)`);
      continue;
    }
    if (!agentName || agentName.length > 64 || /[\s=,]/.test(agentName)) {
      problems.push(`STRATEGIES (strategies.enabled) = ${JSON.stringify(raw)}: "${agentName}" is not a usable agent name`);
      continue;
    }
    if (seen.has(agentName)) {
      problems.push(`STRATEGIES (strategies.enabled): agent name "${agentName}" is used twice; give the second one its own name, e.g. ${agentName}-2=${type}`);
      continue;
    }
    seen.add(agentName);
    entries.push({ agentName, type });
  }
  if (entries.length === 0 && problems.length === 0) problems.push('STRATEGIES (strategies.enabled): at least one strategy must run');
  return entries;
}

/** Finds a strategy definition by name: built-in first, then `<dir>/<name>.(js|ts)`. Undefined when none. */
export function findStrategyDefinition(name: string, dir = defaultStrategiesDir()): StrategyDefinition | undefined {
  const builtIn = BUILT_IN.get(name);
  if (builtIn) return builtIn;
  if (!STRATEGY_NAME_PATTERN.test(name)) return undefined;
  const file = ['.js', '.ts'].map((ext) => path.join(dir, `${name}${ext}`)).find((f) => fs.existsSync(f));
  if (!file) return undefined;
  // A user strategy is code of this project's own tree (or STRATEGIES_DIR): loaded like any other module.
  const loaded = require(file) as { default?: StrategyDefinition; strategy?: StrategyDefinition };
  const definition = loaded.default ?? loaded.strategy;
  if (!definition || typeof definition.create !== 'function' || !definition.params) {
    throw new ConfigError([`${file} must export a strategy: export default defineStrategy({ ... }) (shared/strategy/define-strategy.ts)`]);
  }
  if (definition.name !== name) throw new ConfigError([`${file} defines strategy "${definition.name}": the file must be named after it (${definition.name}.ts)`]);
  return definition;
}

/** Every strategy that can be picked: the built-ins and the files in the strategies folder. */
export function listStrategyDefinitions(dir = defaultStrategiesDir()): Array<{ name: string; description: string; source: string }> {
  const out = [...BUILT_IN.values()].map((d) => ({ name: d.name, description: d.description, source: 'built-in' }));
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts')).map((f) => f.replace(/\.(js|ts)$/, '')) : [];
  for (const name of [...new Set(names)].sort()) {
    if (BUILT_IN.has(name) || !STRATEGY_NAME_PATTERN.test(name)) continue;
    try {
      const definition = findStrategyDefinition(name, dir);
      if (definition) out.push({ name, description: definition.description, source: path.join(dir, name) });
    } catch (error) {
      out.push({ name, description: `(cannot be loaded: ${(error as Error).message})`, source: path.join(dir, name) });
    }
  }
  return out;
}

export interface LoadStrategiesOptions {
  /** Parameter overrides by agent name (the optimizer's grid points), applied over STRATEGY_PARAMS. */
  overrides?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Folder of user strategies (default: STRATEGIES_DIR or `strategies/` beside the code). */
  dir?: string;
}

/**
 * The configured strategies, each created with its validated parameters; throws one ConfigError listing
 * every problem (unknown strategy, a parameter out of range, an unknown parameter, a duplicate agent name).
 */
export function loadStrategies(config: StrategiesConfig, options: LoadStrategiesOptions = {}): Strategy[] {
  const problems: string[] = [];
  const entries = parseStrategyEntries(config, problems);
  const dir = options.dir ?? config.strategies.dir ?? defaultStrategiesDir();
  const strategies: Strategy[] = [];
  const known = new Set(entries.map((e) => e.agentName));
  for (const agent of Object.keys(config.strategies.params)) {
    if (!known.has(agent)) problems.push(`STRATEGY_PARAMS (strategies.params.${agent}): no strategy runs as "${agent}" (STRATEGIES: ${config.strategies.enabled.join(',')})`);
  }
  for (const entry of entries) {
    let definition: StrategyDefinition | undefined;
    try {
      definition = findStrategyDefinition(entry.type, dir);
    } catch (error) {
      problems.push(...(error instanceof ConfigError ? error.problems : [`strategy ${entry.type}: ${(error as Error).message}`]));
      continue;
    }
    if (!definition) {
      const available = listStrategyDefinitions(dir).map((d) => d.name).join(', ');
      problems.push(`STRATEGIES (strategies.enabled): no strategy "${entry.type}" (neither built in nor ${path.join(dir, `${entry.type}.ts`)}); available: ${available}`);
      continue;
    }
    const raw: Record<string, unknown> = {
      ...(definition.configDefaults?.(config as unknown as StrategyConfigView) ?? {}),
      ...(config.strategies.params[entry.agentName] ?? {}),
      ...(options.overrides?.[entry.agentName] ?? {}),
    };
    const parsed = definition.params.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const key = issue.path.join('.');
        const unknownKeys = (issue as { keys?: string[] }).keys;
        const given = issue.path.length > 0 ? raw[String(issue.path[0])] : undefined;
        const where = `STRATEGY_PARAMS (strategies.params.${entry.agentName}${key ? `.${key}` : ''})`;
        problems.push(`${where}${given === undefined ? '' : ` = ${JSON.stringify(given)}`}: ${issue.message}${unknownKeys ? ` (${unknownKeys.join(', ')})` : ''} (strategy ${entry.type})`);
      }
      continue;
    }
    strategies.push(definition.create(parsed.data, entry.agentName));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return strategies;
}
