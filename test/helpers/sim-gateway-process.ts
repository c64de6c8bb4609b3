import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { distFile } from './temp-dir';
import { freePort } from './ports';
import { testEnv } from './test-env';
import { waitUntil } from './wait-until';

export interface SimGatewayProcess {
  port: number;
  adminPort: number;
  stateDir: string;
  env: Record<string, string>;
  child: ChildProcess;
  admin<T = Record<string, unknown>>(route: string, body?: Record<string, unknown>): Promise<T>;
  /**
   * Freezes the TWS port for `seconds` (socket open, nothing answered, like a hung IB Gateway) and resolves
   * once the gateway has logged that it answers again.
   */
  freeze(seconds: number): Promise<void>;
  stop(): Promise<number | null>;
  kill(): Promise<void>;
  output(): string;
}

export interface SimGatewayStartOptions {
  dir: string;
  port?: number;
  adminPort?: number;
  speed?: number;
  dayStart?: string;
  dayEnd?: string;
  startDay?: string;
  seed?: number;
  startingCash?: number;
  extraEnv?: Record<string, string>;
}

/**
 * Starts the compiled sim-gateway as a real process on free loopback ports, with its own state folder and
 * clock file under `dir`, and resolves once it logged `listening`.
 */
export async function startSimGateway(options: SimGatewayStartOptions): Promise<SimGatewayProcess> {
  const port = options.port ?? (await freePort());
  const adminPort = options.adminPort ?? (await freePort());
  const stateDir = path.join(options.dir, 'sim');
  const env: Record<string, string> = {
    SIM_CLOCK_FILE: path.join(options.dir, 'sim-clock.json'),
    SIM_DAY_START: options.dayStart ?? '09:30',
    SIM_DAY_END: options.dayEnd ?? '16:15',
    SIM_SPEED: String(options.speed ?? 10),
    SIM_START_DAY: options.startDay ?? '2026-11-23',
    SIM_SEED: String(options.seed ?? 7),
    LOG_DIR: path.join(options.dir, 'logs'),
    DB_PATH: path.join(options.dir, 'trading.db'),
    ...options.extraEnv,
  };
  const child = spawn(process.execPath, [
    distFile('apps/sim-gateway/main.ts'), '--port', String(port), '--admin-port', String(adminPort), '--state-dir', stateDir,
    '--starting-cash', String(options.startingCash ?? 10_000_000),
  ], { env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (/ listening /.test(output)) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`sim-gateway exited with ${code} before listening:\n${output}`)));
  });
  const admin = async <T>(route: string, body?: Record<string, unknown>): Promise<T> => {
    const [method, urlPath] = route.includes(' ') ? route.split(' ') : ['GET', route];
    const response = await fetch(`http://127.0.0.1:${adminPort}${urlPath}`, { method, body: body ? JSON.stringify(body) : method === 'POST' ? '{}' : undefined });
    const json = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`admin ${route} failed: ${json.error}`);
    return json;
  };
  const thaws = () => output.match(/ gateway_answering\b/g)?.length ?? 0;
  const freeze = async (seconds: number): Promise<void> => {
    const before = thaws();
    await admin('POST /faults/silence', { on: true, seconds });
    await waitUntil(() => thaws() > before, seconds * 1000 + 30_000, `the sim-gateway answering again after a ${seconds} s freeze`);
  };
  return {
    port, adminPort, stateDir, env, child, admin, freeze,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
