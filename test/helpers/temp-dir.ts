import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temporary folder per test file; removed after the tests unless KEEP_TEST_DIRS is set. */
export function makeTempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ibdt-${prefix}-`));
  return {
    dir,
    cleanup: () => {
      if (!process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ROOT = path.resolve(__dirname, '../..');

/** Compiled JS of a file (tests that spawn real processes run what PM2 runs: dist/). */
export function distFile(relativeTsPath: string): string {
  const js = path.join(ROOT, 'dist', relativeTsPath.replace(/\.ts$/, '.js'));
  if (!fs.existsSync(js)) throw new Error(`${js} is missing: run \`npm run build\` first (npm test does it for you)`);
  return js;
}

export const PROJECT_ROOT = ROOT;
