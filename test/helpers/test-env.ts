import { cleanEnv } from '../../scripts/harness/clean-env';

/**
 * The environment of every process a test starts: the jest process's environment stripped of every
 * configuration variable (see scripts/harness/clean-env.ts), then what the test sets. Never spread
 * `process.env` into a child's env: a developer's exported MODE or CONFIG_FILE would reconfigure it.
 */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return cleanEnv(extra);
}
