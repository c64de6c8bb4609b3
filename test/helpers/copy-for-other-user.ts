import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './temp-dir';
import { testEnv } from './test-env';

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/**
 * Copies a compiled module and exactly the files it loads (its dist/ files, the packages it requires, and
 * native bindings such as better-sqlite3's) into `into`, readable by every user, and returns the copy's path
 * of `entry`. A test that drops to an unprivileged user runs the copy: the checkout may sit where other
 * users cannot read (a 0700 home or `mktemp -d` folder as root).
 *
 * What is loaded is not guessed: a child process requires `entry`, runs `warmUp` (so lazily loaded files,
 * like the native binding opened on first use, are loaded too) and reports Node's own module cache.
 */
export function copyForOtherUser(entry: string, into: string, warmUp = ''): string {
  const root = fs.realpathSync(PROJECT_ROOT);
  const script = `const entry = require(${JSON.stringify(entry)}); ${warmUp}; process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const listed = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: testEnv(), cwd: PROJECT_ROOT });
  if (listed.status !== 0) throw new Error(`loading ${entry} to list its files failed (${listed.status}): ${listed.stderr}`);
  const loaded = (JSON.parse(listed.stdout) as string[]).filter((file) => path.isAbsolute(file));

  /** Where a loaded file goes: packages by their path below node_modules (the checkout's may be a symlink). */
  const target = (file: string): string => {
    const inModules = file.indexOf(NODE_MODULES);
    if (inModules >= 0) return path.join(into, 'node_modules', file.slice(inModules + NODE_MODULES.length));
    const relative = path.relative(root, file);
    if (relative.startsWith('..')) throw new Error(`${file} is outside the checkout ${root} and not a package`);
    return path.join(into, relative);
  };
  const copy = (from: string, to: string) => {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  };
  for (const file of loaded) {
    copy(file, target(file));
    // Node resolves a package through its package.json (`main`), and `bindings` finds a package's root by it.
    const innermost = file.lastIndexOf(NODE_MODULES);
    if (innermost >= 0) {
      const parts = file.slice(innermost + NODE_MODULES.length).split(path.sep);
      const packageDir = file.slice(0, innermost + NODE_MODULES.length) + parts.slice(0, parts[0]!.startsWith('@') ? 2 : 1).join(path.sep);
      const manifest = path.join(packageDir, 'package.json');
      if (fs.existsSync(manifest) && !fs.existsSync(target(manifest))) copy(manifest, target(manifest));
    }
  }
  makeReadableByAll(into);
  return target(fs.realpathSync(entry));
}

/** Directories 0755 and files 0644 from `dir` down (mkdtemp makes its folder 0700). */
function makeReadableByAll(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeReadableByAll(full);
    else fs.chmodSync(full, 0o644);
  }
}
