import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cleanEnv } from '../../harness/clean-env';
import { freePort } from '../../harness/ports';

export interface BenchGateway {
  port: number;
  adminPort: number;
  child: ChildProcess;
  admin<T>(route: string): Promise<T>;
  /** CPU time (user + system, ms) the gateway process used so far, from /proc; undefined off Linux. */
  cpuMs(): number | undefined;
  stop(): Promise<void>;
  output(): string;
}

export interface BenchGatewayOptions {
  dir: string;
  speed: number;
  universeSize: number;
  startDay: string;
  dayStart: string;
  dayEnd: string;
  seed: number;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000) / CLOCK_TICKS_PER_SECOND; // utime, stime
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The compiled sim-gateway as a real process, as PM2 runs it: its own state and clock file under `dir`,
 * file logging at the default level (console off: nobody reads it), real-time RT_VOLUME stamps on.
 */
export async function startBenchGateway(options: BenchGatewayOptions): Promise<BenchGateway> {
  const port = await freePort();
  const adminPort = await freePort();
  const main = path.resolve(__dirname, '../../../apps/sim-gateway/main.js');
  const env: NodeJS.ProcessEnv = cleanEnv({
    MODE: 'SIM',
    // Our own latency is measured on the ideal profile (no simulated lags); BENCH_SIM_PROFILE=realistic to compare.
    SIM_PROFILE: process.env.BENCH_SIM_PROFILE ?? 'ideal',
    SIM_CLOCK_FILE: path.join(options.dir, 'sim-clock.json'),
    SIM_SPEED: String(options.speed),
    SIM_START_DAY: options.startDay,
    SIM_DAY_START: options.dayStart,
    SIM_DAY_END: options.dayEnd,
    SIM_SEED: String(options.seed),
    LOG_DIR: path.join(options.dir, 'logs'),
    LOG_CONSOLE: 'false',
    DB_PATH: path.join(options.dir, 'trading.db'),
    SIM_TICK_REAL_TIMESTAMPS: '1',
  });
  // BENCH_GATEWAY_CPU_PROF_DIR=<dir> writes a V8 CPU profile of the gateway there when it exits (for profiling, not for the figures).
  const profile = process.env.BENCH_GATEWAY_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_GATEWAY_CPU_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [
    ...profile, main, '--port', String(port), '--admin-port', String(adminPort), '--state-dir', path.join(options.dir, 'sim'),
    '--universe-size', String(options.universeSize), '--starting-cash', '100000000',
  ], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.on('exit', (code) => {
    exitCode = code;
    resolve();
  }));

  const admin = async <T>(route: string): Promise<T> => {
    const response = await fetch(`http://127.0.0.1:${adminPort}${route}`);
    if (!response.ok) throw new Error(`admin ${route}: HTTP ${response.status}`);
    return (await response.json()) as T;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`sim-gateway exited with ${exitCode} before it was ready:\n${output}`);
    try {
      await admin('/health');
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`sim-gateway not ready after 30 s (${(error as Error).message}):\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    port, adminPort, child, admin,
    cpuMs: () => processCpuMs(child.pid!),
    output: () => output,
    stop: async () => {
      if (exitCode === undefined) child.kill('SIGTERM');
      await exited;
    },
  };
}
