import { BarDataError } from '../bars/bar-errors';
import { configSchema, type ResolvedConfig } from '../config/schema';
import { ConfigError } from '../errors/errors';
import type { BarStore } from '../db/bar-store/bar-store-repository';
import { loadStrategies } from '../strategy/registry';
import { isTradingDay, previousTradingDay, type TradingDay } from '../time/trading-calendar';
import { StoreBarSource } from './bar-sources';
import type { BacktestInput } from './engine';
import type { EngineSettings } from './settings';

export interface BacktestRequest {
  from?: TradingDay;
  to?: TradingDay;
  /** The universe (default: every symbol with bars in the range). */
  symbols?: readonly string[];
  config: ResolvedConfig;
  /** Strategy parameters by agent name, over STRATEGY_PARAMS (an optimisation point). */
  params?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Configuration values by dotted path (risk.maxOpenPositions, exits.timeExitMinutes, ...), validated. */
  configOverrides?: Readonly<Record<string, unknown>>;
  settings: EngineSettings;
}

/** true when `section.path` is a value of the configuration schema, else the keys the deepest object found has. */
function knownKeys(section: string, path: readonly string[]): true | string[] {
  let node: unknown = (configSchema as unknown as { shape: Record<string, unknown> }).shape[section];
  for (const part of path) {
    const shape = objectShape(node);
    if (!shape) return [];
    if (!(part in shape)) return Object.keys(shape);
    node = shape[part];
  }
  return true;
}

/** The shape of a zod object, through defaults, optionals and refinements (zod v3's _def). */
function objectShape(schema: unknown): Record<string, unknown> | undefined {
  let node = schema as { _def?: { typeName?: string; innerType?: unknown; schema?: unknown; shape?: () => Record<string, unknown> } } | undefined;
  for (let depth = 0; node?._def && depth < 10; depth++) {
    const def = node._def;
    if (def.typeName === 'ZodObject') return def.shape?.();
    node = (def.innerType ?? def.schema) as typeof node;
  }
  return undefined;
}

/** Sections of the configuration a backtest may change per run (what the engine reads). */
const OVERRIDABLE = ['strategy', 'risk', 'exits', 'schedule', 'intervals', 'strategies'] as const;

/** The configuration with dotted overrides applied; each touched section is validated (a ConfigError lists every problem). */
export function applyConfigOverrides(config: ResolvedConfig, overrides: Readonly<Record<string, unknown>> = {}): ResolvedConfig {
  const checked = checkConfigOverrides(config, overrides);
  if (checked.problems.length > 0) throw new ConfigError(checked.problems);
  return checked.config;
}

/**
 * The configuration with dotted overrides applied, each touched section validated with the config schema, and
 * every problem found; `config` is the input unchanged when there are problems.
 */
export function checkConfigOverrides(config: ResolvedConfig, overrides: Readonly<Record<string, unknown>> = {}): { config: ResolvedConfig; problems: string[] } {
  const entries = Object.entries(overrides);
  if (entries.length === 0) return { config, problems: [] };
  const problems: string[] = [];
  const clone = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  const touched = new Set<string>();
  for (const [dotted, value] of entries) {
    const [section, ...rest] = dotted.split('.');
    if (!(OVERRIDABLE as readonly string[]).includes(section!) || rest.length === 0) {
      problems.push(`${dotted}: only ${OVERRIDABLE.map((s) => `${s}.*`).join(', ')} can be set for a backtest run`);
      continue;
    }
    const known = section === 'strategies' ? true : knownKeys(section!, rest);
    if (known !== true) {
      // zod drops keys it does not know: a typo would be ignored silently (and an optimisation axis on it a no-op).
      problems.push(`${dotted}: the configuration has no such value${known.length > 0 ? ` (${[section, ...rest.slice(0, -1)].join('.')} has ${known.join(', ')})` : ''}`);
      continue;
    }
    let node: Record<string, unknown> = clone[section!]!;
    for (const part of rest.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[rest[rest.length - 1]!] = value;
    touched.add(section!);
  }
  const shape = (configSchema as unknown as { shape: Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: Array<{ path: Array<string | number>; message: string }> } } }> }).shape;
  for (const section of touched) {
    const parsed = shape[section]!.safeParse(clone[section]);
    if (!parsed.success) for (const issue of parsed.error!.issues) problems.push(`${[section, ...issue.path].join('.')}: ${issue.message}`);
    else if (section !== 'strategies') clone[section] = parsed.data as Record<string, unknown>;
  }
  if (problems.length > 0) return { config, problems };
  return { config: clone as unknown as ResolvedConfig, problems };
}

/**
 * Everything the engine needs from the store for a run, checked first with clear errors: days in order and in
 * the store, symbols known, strategies loaded with validated parameters.
 */
export function prepareBacktest(store: BarStore, request: BacktestRequest): BacktestInput & { config: ResolvedConfig; warnings: string[] } {
  const warnings: string[] = [];
  const config = applyConfigOverrides(request.config, request.configOverrides);
  const strategies = loadStrategies(config, { overrides: request.params });
  const from = request.from ?? '1900-01-01';
  const to = request.to ?? '2999-12-31';
  if (from > to) throw new BarDataError(`--from ${from} is after --to ${to}`);
  for (const [flag, day] of [['from', request.from], ['to', request.to]] as const) {
    if (day && !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new BarDataError(`--${flag} must be a date YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
  const known = store.symbols();
  if (known.length === 0) throw new BarDataError(`the bar store ${store.file} is empty: fill it with npm run bars -- import (CSV or synthetic) or npm run bars -- download`);
  const symbols = request.symbols && request.symbols.length > 0 ? [...new Set(request.symbols.map((s) => s.trim().toUpperCase()))] : undefined;
  if (symbols) {
    const unknown = symbols.filter((s) => !known.includes(s));
    if (unknown.length > 0) {
      throw new BarDataError(`unknown symbol${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}: the bar store ${store.file} has no bars for ${unknown.length === 1 ? 'it' : 'them'} (it has ${known.length} symbols: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''})`);
    }
  }
  const days = store.tradingDays(from, to, symbols);
  if (days.length === 0) {
    const coverage = store.coverage(symbols);
    const span = coverage.length > 0 ? `${coverage.reduce((a, c) => (c.firstDay < a ? c.firstDay : a), coverage[0]!.firstDay)} to ${coverage.reduce((a, c) => (c.lastDay > a ? c.lastDay : a), coverage[0]!.lastDay)}` : 'nothing';
    throw new BarDataError(`no bars between ${request.from ?? 'the start'} and ${request.to ?? 'the end'}${symbols ? ` for ${symbols.join(', ')}` : ''}: the store holds ${span}`);
  }
  const notTrading = days.filter((d) => !isTradingDay(d));
  if (notTrading.length > 0) throw new BarDataError(`the store holds bars on ${notTrading.join(', ')}, which NYSE did not trade: re-import them`);
  const universe = symbols ?? store.coverage().filter((c) => c.firstDay <= days[days.length - 1]! && c.lastDay >= days[0]!).map((c) => c.symbol);
  // Warm-up: earlier stored days feed multi-day intraday requests (gap-momentum asks two days of 5-minute bars).
  const warmupDays: TradingDay[] = [];
  const maxDays = Math.max(1, ...strategies.map((s) => s.needs.intraday?.days ?? 1));
  let day = days[0]!;
  for (let i = 1; i < maxDays; i++) {
    day = previousTradingDay(day);
    if (store.tradingDays(day, day).length > 0) warmupDays.unshift(day);
  }
  if (warmupDays.length < maxDays - 1) warnings.push(`no bars before ${days[0]}: the first day's multi-day indicators start from that day alone`);
  const firstWithHistory = store.tradingDays(previousTradingDay(days[0]!), previousTradingDay(days[0]!));
  if (firstWithHistory.length === 0) warnings.push(`no daily history before ${days[0]}: previous closes and usual volumes are unknown on the first day (gaps and relative volume cannot be measured)`);
  return { source: new StoreBarSource(store), symbols: universe, tradingDays: days, warmupDays, config, strategies, settings: request.settings, warnings };
}
