import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { PROJECT_ROOT } from './temp-dir';
import { freePort } from './ports';
import { PROMETHEUS } from './required-tools';
import { testEnv } from './test-env';
import { waitUntil } from './wait-until';

export interface PrometheusProcess {
  url: string;
  configFile: string;
  child: ChildProcess;
  output(): string;
  query<T = Array<{ metric: Record<string, string>; value: [number, string] }>>(promql: string): Promise<T>;
  api<T>(pathAndQuery: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Debian's Prometheus on a free loopback port, with the project's own deploy/prometheus/prometheus.yml and
 * alerts.yml, only pointed at `target` and made to scrape every second. Its data lives under `dir`.
 */
export async function startPrometheus(dir: string, target: string): Promise<PrometheusProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const config = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>; rule_files: string[]; scrape_configs: Array<Record<string, unknown> & { static_configs: Array<{ targets: string[] }> }>;
  };
  config.global.scrape_interval = '1s';
  config.global.evaluation_interval = '1s';
  config.rule_files = [path.join(PROJECT_ROOT, 'deploy', 'prometheus', 'alerts.yml')];
  const job = config.scrape_configs.find((j) => j.job_name === 'ib-daytrader')!;
  job.scrape_interval = '1s';
  job.scrape_timeout = '900ms';
  job.static_configs[0]!.targets = [target];
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, YAML.stringify(config));
  const port = await freePort();
  const child = spawn(PROMETHEUS, [
    `--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
    try {
      return (await fetch(`${url}/-/ready`)).ok;
    } catch {
      return false; // not listening yet
    }
  }, 30_000, 'prometheus ready', 200);
  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const response = await fetch(`${url}${pathAndQuery}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${pathAndQuery}: ${body.error}`);
    return body.data;
  };
  return {
    url, configFile, child, api,
    output: () => output,
    query: async <T>(promql: string) => (await api<{ result: T }>(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
