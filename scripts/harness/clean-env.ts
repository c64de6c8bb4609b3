import { ENV_VARIABLES } from '../../shared/config/env-variables';

/**
 * Variables that configure our processes without being config keys: the config and environment files, the PM2 daemon, crash
 * injection, the simulator's tick timestamps, and the start script's readiness deadline.
 */
const PROCESS_VARIABLES = ['CONFIG_FILE', 'ENV_FILE', 'PM2_HOME', 'CRASH_POINTS_FILE', 'SIM_TICK_REAL_TIMESTAMPS', 'START_READY_TIMEOUT_MS'] as const;

/** Every variable name that reconfigures a process of ours (the config table plus PROCESS_VARIABLES). */
export const CONFIGURATION_VARIABLES: ReadonlySet<string> = new Set([...ENV_VARIABLES.map((v) => v.name), ...PROCESS_VARIABLES]);

/**
 * The environment for a process a test or harness starts: the caller's environment (PATH, HOME, TMPDIR...)
 * without any configuration variable, then `extra` on top. A developer's exported CONFIG_FILE, MODE,
 * SIM_MARKET or DB_PATH must not reconfigure the system under test, so only what the harness sets counts.
 */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !CONFIGURATION_VARIABLES.has(name)) env[name] = value;
  }
  return { ...env, ...extra };
}
