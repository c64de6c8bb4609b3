import fs from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';
export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

const INSTALL = 'run .ci/run (it installs them), or: apt-get update && apt-get install -y chromium prometheus';

/**
 * Tests that drive a real Chromium or a real Prometheus need Debian's packages. In CI (CI set, as every CI
 * service and .ci/run do) a missing one is a FAILURE that says how to install it: CI must never pass without
 * having run them. On a developer's machine the suite is skipped, and says why in its title and on stderr.
 */
export function missingTools(paths: readonly string[]): string | undefined {
  const missing = paths.filter((p) => !fs.existsSync(p));
  return missing.length ? `${missing.join(' and ')} not found: ${INSTALL}` : undefined;
}

export function describeWithTools(title: string, paths: readonly string[], body: () => void): void {
  const problem = missingTools(paths);
  if (problem && process.env.CI) {
    describe(title, () => {
      it('has the tools it needs', () => {
        throw new Error(problem);
      });
    });
    return;
  }
  if (problem) {
    process.stderr.write(`SKIPPED "${title}": ${problem}\n`);
    describe.skip(`${title} (skipped: ${problem})`, body);
    return;
  }
  describe(title, body);
}
