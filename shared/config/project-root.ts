import fs from 'node:fs';
import path from 'node:path';

let cachedRoot: string | undefined;

/**
 * The repository root (the folder holding our package.json), found from this file's location so that
 * relative paths in config mean the same thing under PM2, from `npm run`, from jest and from dist/.
 */
export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate) && isOurPackage(candidate)) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      cachedRoot = process.cwd();
      return cachedRoot;
    }
    dir = parent;
  }
}

export function resolveFromRoot(p: string): string {
  return path.isAbsolute(p) ? p : path.join(projectRoot(), p);
}

function isOurPackage(packageJsonPath: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(packageJsonPath, 'utf8')) as { name?: string }).name === 'ib-daytrader';
  } catch {
    return false;
  }
}
