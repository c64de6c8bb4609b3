import fs from 'node:fs';
import path from 'node:path';
import { ENV_VARIABLES } from '../../shared/config/env-variables';

/** The README's configuration table is the operator's manual: every variable the code reads must be in it. */
describe('README configuration table', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

  it.each(ENV_VARIABLES.map((v) => [v.name, v.path]))('documents %s (%s)', (name, configPath) => {
    expect(readme).toContain(`| \`${name}\` | \`${configPath}\` |`);
  });
});
