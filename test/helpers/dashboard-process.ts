import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { freePort } from './ports';
import { distFile } from './temp-dir';
import { testEnv } from './test-env';
import { waitUntil } from './wait-until';

export interface DashboardProcess {
  port: number;
  url: string;
  env: Record<string, string>;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  get(pathAndQuery: string, headers?: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;
  json<T = Record<string, unknown>>(pathAndQuery: string): Promise<T>;
  stop(): Promise<number | null>;
}

/**
 * The compiled dashboard as PM2 runs it (dist/apps/dashboard/main.js), in its own process, on a free port,
 * against the DB and folders under `dir`. PM2_HOME points at an empty folder (no daemon: the dashboard must
 * never start one) and the gateway port at nothing, unless the test says otherwise.
 */
export async function startDashboard(dir: string, env: Record<string, string> = {}, options: { waitListening?: boolean } = {}): Promise<DashboardProcess> {
  const port = Number(env.DASHBOARD_PORT ?? (await freePort()));
  const fullEnv = testEnv({
    DB_PATH: path.join(dir, 'trading.db'),
    LOG_DIR: path.join(dir, 'logs'),
    SIM_CLOCK_FILE: path.join(dir, 'sim-clock.json'),
    REPORTS_DIR: path.join(dir, 'reports'),
    PM2_HOME: path.join(dir, 'pm2-home-without-daemon'),
    IB_PORT: String(await freePort()),
    DASHBOARD_PORT: String(port),
    DASHBOARD_POLL_MS: '50',
    LOG_CONSOLE: 'true',
    ...env,
  });
  const child = spawn(process.execPath, [distFile('apps/dashboard/main.ts')], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  if (options.waitListening !== false) {
    await waitUntil(() => {
      if (exitCode !== undefined) throw new Error(`dashboard exited with ${exitCode} before listening:\n${output}`);
      return / dashboard_listening /.test(output);
    }, 30_000, 'the dashboard listening');
  }
  const url = `http://127.0.0.1:${port}`;
  const get = (pathAndQuery: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.get(`${url}${pathAndQuery}`, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error(`GET ${pathAndQuery} timed out`)));
    });
  return {
    port, url, env: fullEnv, child, exited, get,
    output: () => output,
    json: async <T>(pathAndQuery: string) => {
      const response = await get(pathAndQuery);
      if (response.status !== 200) throw new Error(`GET ${pathAndQuery}: ${response.status} ${response.body}`);
      return JSON.parse(response.body) as T;
    },
    stop: async () => {
      if (exitCode === undefined) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** A Server-Sent Events reader over node:http: every message kept, in order, with its id. */
export class SseReader {
  readonly messages: SseMessage[] = [];
  private request: http.ClientRequest | undefined;
  status: number | undefined;

  constructor(private readonly url: string, private readonly headers: Record<string, string> = {}) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.request = http.get(this.url, { headers: { Accept: 'text/event-stream', ...this.headers } }, (res) => {
        this.status = res.statusCode;
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const message: SseMessage = { id: undefined, event: 'message', data: '' };
            let hasData = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':') || line === '') continue;
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id') message.id = value;
              if (field === 'event') message.event = value;
              if (field === 'data') {
                message.data += (hasData ? '\n' : '') + value;
                hasData = true;
              }
            }
            if (hasData) this.messages.push(message);
          }
        });
        resolve();
      });
      this.request.on('error', reject);
    });
  }

  of(event: string): Array<SseMessage & { json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.messages.filter((m) => m.event === event).map((m) => ({ ...m, json: JSON.parse(m.data) }));
  }

  waitFor<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    return waitUntil(probe, timeoutMs, what);
  }

  close(): void {
    this.request?.destroy();
  }
}
