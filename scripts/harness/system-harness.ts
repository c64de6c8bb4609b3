import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { projectRoot } from '../../shared/config/project-root';
import { cleanEnv } from './clean-env';
import { processesOfPm2Home } from './pm2-home-processes';
import { freePort } from './ports';
import { spawnHarnessWatchdog } from './spawn-watchdog';

/** Polls a condition every 50 ms until it holds or the time is up. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

export interface SystemOptions {
  /** Everything (DB, logs, simulator state, PM2_HOME) lives under this folder. */
  dir: string;
  speed?: number;
  dayStart?: string;
  dayEnd?: string;
  startDay?: string;
  seed?: number;
  env?: Record<string, string>;
  /**
   * Run the system from a copy of the build made now (`<dir>/app`: dist/, package.json and the PM2 file
   * copied, everything else linked), so that a rebuild of the checkout during a long run (someone else's
   * `npm run build` with a half-made change) never reaches a process PM2 restarts later.
   */
  snapshotBuild?: boolean;
}

/** Top-level entries of the checkout a build snapshot copies (the rest is linked): what a rebuild rewrites. */
const SNAPSHOT_COPIED = ['dist', 'package.json', 'ecosystem.config.js'];
const SNAPSHOT_SKIPPED = ['.git', 'data', 'logs'];

/** Copies the build into `<dir>/app` (see SystemOptions.snapshotBuild); returns the new root. */
export function snapshotBuild(dir: string, root = projectRoot()): string {
  const app = path.join(dir, 'app');
  fs.rmSync(app, { recursive: true, force: true });
  fs.mkdirSync(app, { recursive: true });
  for (const entry of fs.readdirSync(root)) {
    if (SNAPSHOT_SKIPPED.includes(entry)) continue;
    const from = path.join(root, entry);
    if (SNAPSHOT_COPIED.includes(entry)) fs.cpSync(from, path.join(app, entry), { recursive: true });
    else fs.symlinkSync(from, path.join(app, entry));
  }
  return app;
}

export interface Pm2Process {
  name: string;
  pid: number;
  status: string;
  restarts: number;
  memoryBytes: number;
}

/**
 * The whole system under a private PM2 daemon (temporary PM2_HOME), on free loopback ports, with its own DB,
 * logs and simulator state: what `npm start` does, isolated so tests, benchmarks and the chaos harness can
 * run beside a live system. PM2 is driven through its CLI in child processes because the pm2 module reads
 * PM2_HOME once, when it is loaded. The children run in their own process group, so a Ctrl-C in the
 * terminal reaches the harness (which stops everything in order), not them half-way. Because nothing in
 * that group dies with the harness, `launch()` also starts a watchdog (spawn-watchdog.ts) that reaps the
 * system if the harness's process dies without calling `stop()` (a test run killed: no afterAll).
 */
export class SystemHarness {
  private starting: ChildProcess | undefined;
  private watchdog: ChildProcess | undefined;
  private stopping: Promise<number[]> | undefined;

  private constructor(readonly env: Record<string, string>, readonly dir: string, readonly root: string) {}

  /** Folders, ports and environment, nothing started: a caller can register it for cleanup before `launch()`. */
  static async prepare(options: SystemOptions): Promise<SystemHarness> {
    fs.mkdirSync(options.dir, { recursive: true });
    const env: Record<string, string> = {
      PM2_HOME: path.join(options.dir, 'pm2'),
      DB_PATH: path.join(options.dir, 'trading.db'),
      LOG_DIR: path.join(options.dir, 'logs'),
      REPORTS_DIR: path.join(options.dir, 'reports'),
      SIM_STATE_DIR: path.join(options.dir, 'sim'),
      SIM_CLOCK_FILE: path.join(options.dir, 'sim-clock.json'),
      IB_PORT: String(await freePort()),
      SIM_ADMIN_PORT: String(await freePort()),
      // The dashboard (a PM2 app of the system) too: two systems side by side must not both want 8501.
      DASHBOARD_PORT: String(await freePort()),
      SIM_SPEED: String(options.speed ?? 60),
      SIM_DAY_START: options.dayStart ?? '09:20',
      SIM_DAY_END: options.dayEnd ?? '16:15',
      SIM_START_DAY: options.startDay ?? '2026-11-23',
      SIM_SEED: String(options.seed ?? 42),
      CRASH_POINTS_FILE: path.join(options.dir, 'crash-points'),
      ...options.env,
    };
    return new SystemHarness(env, options.dir, options.snapshotBuild ? snapshotBuild(options.dir) : projectRoot());
  }

  static async start(options: SystemOptions): Promise<SystemHarness> {
    const harness = await SystemHarness.prepare(options);
    await harness.launch();
    return harness;
  }

  /** `npm start` for this system (builds nothing: dist/ must be current); resolves when every process is ready. */
  async launch(): Promise<void> {
    // Before start.js: an owner killed during the start (its children are detached) leaves a system too.
    this.watchdog ??= spawnHarnessWatchdog({ ownerPid: process.pid, pm2Home: this.env.PM2_HOME!, root: this.root, dir: this.dir });
    const result = await this.runScript('start.js', 180_000, (child) => (this.starting = child));
    this.starting = undefined;
    if (this.stopping) throw new Error('stopped while starting');
    if (result.code !== 0) throw new Error(`npm start failed (${result.code}):\n${result.output}`);
  }

  private runScript(script: string, timeoutMs: number, onSpawn?: (child: ChildProcess) => void): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(this.root, 'dist', 'scripts', script)], { env: cleanEnv(this.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      onSpawn?.(child);
      let output = '';
      child.stdout.on('data', (c) => (output += c));
      child.stderr.on('data', (c) => (output += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  pm2(args: string[]): string {
    const bin = path.join(this.root, 'node_modules', 'pm2', 'bin', 'pm2');
    const result = spawnSync(process.execPath, [bin, ...args], { env: cleanEnv(this.env), encoding: 'utf8', timeout: 30_000 });
    return result.stdout;
  }

  /** The PM2 CLI in its own process group (a second Ctrl-C during a shutdown does not cut it short). */
  private pm2Detached(args: string[], timeoutMs = 30_000): Promise<number | null> {
    const bin = path.join(this.root, 'node_modules', 'pm2', 'bin', 'pm2');
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: cleanEnv(this.env), stdio: 'ignore', detached: true });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  processes(): Pm2Process[] {
    const text = this.pm2(['jlist']);
    const start = text.indexOf('[');
    if (start < 0) return [];
    const list = JSON.parse(text.slice(start)) as Array<{ name: string; pid: number; pm2_env: { status: string; restart_time: number }; monit?: { memory: number } }>;
    return list.map((p) => ({ name: p.name, pid: p.pid, status: p.pm2_env.status, restarts: p.pm2_env.restart_time, memoryBytes: p.monit?.memory ?? 0 }));
  }

  pidOf(app: string): number | undefined {
    const p = this.processes().find((x) => x.name === app);
    return p && p.pid > 0 ? p.pid : undefined;
  }

  async admin<T = Record<string, unknown>>(route: string, body?: Record<string, unknown>): Promise<T> {
    const [method, urlPath] = route.includes(' ') ? route.split(' ') : ['GET', route];
    const response = await fetch(`http://127.0.0.1:${this.env.SIM_ADMIN_PORT}${urlPath}`, { method, body: body ? JSON.stringify(body) : method === 'POST' ? '{}' : undefined });
    const json = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`admin ${route} failed: ${json.error}`);
    return json;
  }

  /** A read-only connection to the system's DB (close it when done). */
  openDb(): Database.Database {
    const db = new Database(this.env.DB_PATH!, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return db;
  }

  query<T>(sql: string, ...params: unknown[]): T[] {
    const db = this.openDb();
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  /** Arms a one-shot crash point (see shared/process/crash-points.ts). */
  armCrashPoint(name: string): void {
    fs.appendFileSync(this.env.CRASH_POINTS_FILE!, `${name}\n`);
  }

  logLines(app: string): Array<Record<string, unknown>> {
    const file = path.join(this.env.LOG_DIR!, `${app}.log`);
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /**
   * `npm stop` then `pm2 kill` on the private PM2_HOME (only when its daemon exists: any other PM2 command
   * would start one); a start still running is killed first. Whatever of that PM2_HOME still runs after
   * that (a daemon that came up while the start was being killed) is SIGKILLed by pid. Idempotent: a second
   * call (an interrupt while the run itself is stopping) waits for the first. Resolves to the pids that had
   * to be killed by hand.
   */
  stop(): Promise<number[]> {
    this.stopping ??= (async () => {
      const starting = this.starting;
      if (starting && starting.exitCode === null && starting.signalCode === null) {
        const exited = new Promise((resolve) => starting.once('exit', resolve));
        starting.kill('SIGKILL');
        await exited;
      }
      const daemonPidFile = path.join(this.env.PM2_HOME!, 'pm2.pid');
      if (fs.existsSync(daemonPidFile)) {
        await this.runScript('stop.js', 60_000);
        await this.pm2Detached(['kill']);
      }
      // pm2 kill returns once the daemon was told; its apps take a moment to finish their shutdown.
      const pm2Home = this.env.PM2_HOME!;
      await waitFor(() => processesOfPm2Home(pm2Home).length === 0, 8_000);
      const survivors = processesOfPm2Home(pm2Home);
      for (const pid of survivors) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      }
      if (survivors.length) await waitFor(() => processesOfPm2Home(pm2Home).length === 0, 5_000);
      // Stopped by its owner: the watchdog has nothing left to guard (kill() is a no-op once it has exited).
      this.watchdog?.kill('SIGTERM');
      return survivors;
    })();
    return this.stopping;
  }
}
