import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors/errors';
import { alertsConfigProblems, SECRET_CONFIG_PATHS } from './alerts-schema';
import { ENV_VARIABLES, envNameForPath } from './env-variables';
import { projectRoot, resolveFromRoot } from './project-root';
import { modeSafetyProblems } from './safety';
import { configSchema, defaultPortFor, type ResolvedConfig } from './schema';

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides CONFIG_FILE. */
  configFile?: string;
  /** Values that win over env and file (used by CLIs for their flags). */
  overrides?: Record<string, unknown>;
}

/**
 * Reads the optional CONFIG_FILE (JSON or YAML), overlays environment variables, validates everything with
 * the zod schema and the mode safety rules, and throws one ConfigError that lists every problem at once.
 */
export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};

  const configFile = options.configFile ?? env.CONFIG_FILE;
  if (configFile) {
    const fromFile = readConfigFile(configFile, problems);
    if (fromFile) {
      problems.push(...secretsInRepositoryFile(resolveFromRoot(configFile), fromFile));
      Object.assign(raw, fromFile);
    }
  }
  // ENV_FILE: the same variables as NAME=value lines in a file kept outside the repository (what a server
  // starts with at boot: mode, account, paths). The environment wins over it, it wins over CONFIG_FILE.
  const fromEnvFile = env.ENV_FILE ? readEnvFile(env.ENV_FILE, problems) : {};
  for (const variable of ENV_VARIABLES) {
    const value = env[variable.name] ?? fromEnvFile[variable.name];
    if (value === undefined || value === '') continue;
    setPath(raw, variable.path, variable.list ? value.split(',').map((s) => s.trim()).filter(Boolean) : value);
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) setPath(raw, key, value);

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(describeIssue(issue.path.map(String), issue.message, raw));
    throw new ConfigError(problems);
  }
  const config = parsed.data;
  const resolved: ResolvedConfig = {
    ...config,
    ib: { ...config.ib, port: config.ib.port ?? defaultPortFor(config.mode) },
    paths: {
      db: resolveFromRoot(config.paths.db),
      logs: resolveFromRoot(config.paths.logs),
      simState: resolveFromRoot(config.paths.simState),
      simClock: resolveFromRoot(config.paths.simClock),
      reports: resolveFromRoot(config.paths.reports),
      backups: resolveFromRoot(config.paths.backups),
      bars: resolveFromRoot(config.paths.bars),
    },
    strategies: { ...config.strategies, dir: config.strategies.dir === undefined ? undefined : resolveFromRoot(config.strategies.dir) },
  };
  problems.push(...modeSafetyProblems(resolved), ...crossFieldProblems(resolved));
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}

function crossFieldProblems(config: ResolvedConfig): string[] {
  const problems: string[] = [];
  const ids = Object.entries(config.ib.clientIds);
  const seen = new Map<number, string>();
  for (const [name, id] of ids) {
    const other = seen.get(id);
    if (other) problems.push(`client ids must differ per process: ${name} and ${other} both use ${id} (IB refuses the second with error 326)`);
    seen.set(id, name);
  }
  if (config.strategy.takeProfitPct <= 0 || config.strategy.stopLossPct <= 0) {
    problems.push('TAKE_PROFIT_PCT and STOP_LOSS_PCT must be positive percentages');
  }
  if (config.risk.maxPositionPct > config.risk.maxGrossExposurePct) {
    problems.push(`MAX_POSITION_PCT (${config.risk.maxPositionPct}) cannot exceed MAX_GROSS_EXPOSURE_PCT (${config.risk.maxGrossExposurePct})`);
  }
  if (config.sim.dayStart >= config.sim.dayEnd) {
    problems.push(`SIM_DAY_START (${config.sim.dayStart}) must be before SIM_DAY_END (${config.sim.dayEnd})`);
  }
  if (config.sim.market === 'replay' && !config.sim.replayDir) {
    problems.push('SIM_MARKET=replay needs SIM_REPLAY_DIR (a folder of <SYMBOL>.csv minute bars, e.g. ../shared/data/bars/minute)');
  }
  if (config.ib.livenessTimeoutMs <= config.ib.livenessIntervalMs) {
    problems.push('IB_LIVENESS_TIMEOUT_MS must be longer than IB_LIVENESS_INTERVAL_MS');
  }
  problems.push(...alertsConfigProblems(config.alerts));
  return problems;
}

/**
 * Secrets (webhook URLs, the SMTP password) come from the environment or from a config file OUTSIDE the
 * repository: a file inside it is one `git add` away from being published.
 */
function secretsInRepositoryFile(fullPath: string, fromFile: Record<string, unknown>): string[] {
  const relative = path.relative(projectRoot(), fullPath);
  const insideRepository = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  if (!insideRepository) return [];
  return SECRET_CONFIG_PATHS.filter((secretPath) => getPath(fromFile, secretPath) !== undefined).map((secretPath) =>
    `${secretPath} is a secret and CONFIG_FILE ${fullPath} is inside the repository: set ${envNameForPath(secretPath)} in the environment, or move the file outside ${projectRoot()}`);
}

/** Whether the value at a config path is, is inside, or contains a secret that must never be printed. */
function isSecretPath(dotted: string): boolean {
  return SECRET_CONFIG_PATHS.some((secretPath) => dotted === '' || dotted === secretPath || dotted.startsWith(`${secretPath}.`) || secretPath.startsWith(`${dotted}.`));
}

/** Names an ENV_FILE may hold besides the configuration table (read by the start and boot scripts, not here). */
const ENV_FILE_EXTRA_NAMES = new Set(['PM2_HOME', 'NODE_ENV']);

/**
 * `NAME=value` lines (systemd EnvironmentFile / dotenv style): `#` comments, blank lines, an optional
 * `export `, values optionally in single or double quotes. Unknown names are problems (a typo would
 * otherwise be ignored silently), and a secret in a file inside the repository is refused like CONFIG_FILE's.
 */
export function readEnvFile(file: string, problems: string[]): Record<string, string> {
  const fullPath = resolveFromRoot(file);
  let text: string;
  try {
    text = fs.readFileSync(fullPath, 'utf8');
  } catch (error) {
    problems.push(`ENV_FILE ${fullPath} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): fix the path or unset ENV_FILE`);
    return {};
  }
  const known = new Map(ENV_VARIABLES.map((v) => [v.name, v]));
  const values: Record<string, string> = {};
  const relative = path.relative(projectRoot(), fullPath);
  const insideRepository = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      problems.push(`ENV_FILE ${fullPath} line ${index + 1}: expected NAME=value`);
      return;
    }
    const name = match[1]!;
    let value = match[2]!;
    if ((value.startsWith('"') && value.endsWith('"') && value.length >= 2) || (value.startsWith("'") && value.endsWith("'") && value.length >= 2)) value = value.slice(1, -1);
    if (ENV_FILE_EXTRA_NAMES.has(name)) return;
    const variable = known.get(name);
    if (!variable) {
      problems.push(`ENV_FILE ${fullPath} line ${index + 1}: ${name} is not a configuration variable (see the README's configuration table)`);
      return;
    }
    if (variable.secret && insideRepository) {
      problems.push(`${name} is a secret and ENV_FILE ${fullPath} is inside the repository: move the file outside ${projectRoot()}`);
      return;
    }
    values[name] = value;
  });
  return values;
}

function readConfigFile(file: string, problems: string[]): Record<string, unknown> | undefined {
  const fullPath = resolveFromRoot(file);
  let text: string;
  try {
    text = fs.readFileSync(fullPath, 'utf8');
  } catch (error) {
    problems.push(`CONFIG_FILE ${fullPath} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): fix the path or unset CONFIG_FILE`);
    return undefined;
  }
  try {
    const ext = path.extname(fullPath).toLowerCase();
    // yaml is loaded only when a YAML file is used: every process reads config at start, few use YAML.
    const value: unknown = ext === '.json' ? JSON.parse(text) : (require('yaml') as typeof import('yaml')).parse(text);
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`CONFIG_FILE ${fullPath} must hold an object with the nested keys (mode, ib, strategy, ...)`);
      return undefined;
    }
    return value as Record<string, unknown>;
  } catch (error) {
    problems.push(`CONFIG_FILE ${fullPath} is not valid ${fullPath.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

function describeIssue(pathParts: string[], message: string, raw: Record<string, unknown>): string {
  const dotted = pathParts.join('.');
  const envName = envNameForPath(dotted) ?? envNameForPath(pathParts.slice(0, -1).join('.'));
  const given = getPath(raw, dotted);
  const where = envName ? `${envName} (${dotted})` : dotted || '(root)';
  const value = given === undefined ? '' : isSecretPath(dotted) ? ' = (secret, not shown)' : ` = ${JSON.stringify(given)}`;
  return `${where}${value}: ${message}`;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function getPath(source: Record<string, unknown>, dotted: string): unknown {
  let node: unknown = source;
  for (const part of dotted.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
