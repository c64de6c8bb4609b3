/**
 * bench (part `alerts`) — the notifier as PM2 runs it (the compiled app in its own process) against real
 * local receivers in this process (a JSON webhook over HTTP and an SMTP server), with the default poll
 * interval (ALERT_POLL_MS 50):
 *   - event committed → message received, p50/p99, per channel: each sample is one alert committed alone
 *     (the first of its burst, the case the 1 s target is about), timed from the end of the commit to the
 *     receiver's arrival stamp, both on this process's clock;
 *   - a burst of 1,000 alerts (1,000 separate commits, as 1,000 facts would be) delivered to the webhook with
 *     grouping on (1 s window) and off: messages sent, time until the last alert arrived, alerts per second.
 * Runs alone: BENCH_ONLY=alerts npm run bench.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv } from '../harness/clean-env';
import { HttpReceiver, SmtpReceiver } from '../harness/alert-receivers';
import { AlertsOutboxRepository, openDatabase, type Db } from '../../shared/db';
import { SystemClock } from '../../shared/time/clock';
import { round, summarize } from './stats';

const SAMPLES = Number(process.env.BENCH_ALERTS_SAMPLES ?? 200);
const BURST = 1_000;
const TARGET_P99_MS = 1_000;

interface Notifier {
  child: ChildProcess;
  exited: Promise<unknown>;
}

async function startNotifier(env: Record<string, string>): Promise<Notifier> {
  const script = path.join(__dirname, '..', '..', 'apps', 'notifier', 'main.js');
  const child = fork(script, [], { env: cleanEnv({ LOG_CONSOLE: 'false', SIM_SPEED: '1', ...env }), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m) => m === 'ready' && resolve());
    void exited.then((code) => reject(new Error(`notifier exited (${String(code)}) before ready: ${stderr}`)));
  });
  return { child, exited };
}

async function stop(notifier: Notifier): Promise<void> {
  notifier.child.kill('SIGTERM');
  await notifier.exited;
}

function waitFor(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      if (probe()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 2);
    };
    tick();
  });
}

function key(request: { headers: Record<string, unknown> }): string {
  return String(request.headers['idempotency-key']);
}

async function latency(dir: string, webhook: HttpReceiver, smtp: SmtpReceiver): Promise<Record<string, unknown>> {
  const dbPath = path.join(dir, 'latency.db');
  const db: Db = openDatabase(dbPath);
  const outbox = new AlertsOutboxRepository(db, new SystemClock(), 'bench');
  const notifier = await startNotifier({
    DB_PATH: dbPath, LOG_DIR: path.join(dir, 'logs-latency'), ALERT_WEBHOOK_URL: webhook.url(), ALERT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    ALERT_SMTP_SECURITY: 'plain', ALERT_EMAIL_FROM: 'bench@example.com', ALERT_EMAIL_TO: 'ops@example.com', ALERT_GROUP_WINDOW_S: '0',
  });
  const webhookMs: number[] = [];
  const emailMs: number[] = [];
  try {
    for (let i = 0; i < SAMPLES; i++) {
      const dedupeKey = `latency:${i}`;
      // The fact's transaction: the alert commits with it; the clock starts when the commit returned.
      db.transaction(() => outbox.enqueue({ kind: 'entry_filled', severity: 'info', dedupeKey, title: `sample ${i}`, data: { i } })).immediate();
      const committedMs = Date.now();
      await waitFor(() => webhook.requests.some((r) => key(r) === dedupeKey) && smtp.messages.some((m) => m.headers.get('x-alert-idempotency-key') === dedupeKey), 10_000, `sample ${i}`);
      webhookMs.push(webhook.requests.find((r) => key(r) === dedupeKey)!.atMs - committedMs);
      emailMs.push(smtp.messages.find((m) => m.headers.get('x-alert-idempotency-key') === dedupeKey)!.atMs - committedMs);
      // Apart, so each sample is the first of its burst (and not queued behind the previous one).
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 45)));
    }
  } finally {
    await stop(notifier);
    db.close();
  }
  const webhookSummary = summarize(webhookMs, 1);
  const emailSummary = summarize(emailMs, 1);
  return {
    committedToReceivedMs: { webhook: webhookSummary, email: emailSummary },
    targetP99Ms: TARGET_P99_MS,
    met: webhookSummary.p99 < TARGET_P99_MS && emailSummary.p99 < TARGET_P99_MS,
  };
}

async function burst(dir: string, webhook: HttpReceiver, groupWindowSeconds: number): Promise<Record<string, unknown>> {
  const name = groupWindowSeconds > 0 ? 'grouped' : 'ungrouped';
  const dbPath = path.join(dir, `burst-${name}.db`);
  const db: Db = openDatabase(dbPath);
  const outbox = new AlertsOutboxRepository(db, new SystemClock(), 'bench');
  const notifier = await startNotifier({ DB_PATH: dbPath, LOG_DIR: path.join(dir, `logs-${name}`), ALERT_WEBHOOK_URL: webhook.url(`/${name}`), ALERT_GROUP_WINDOW_S: String(groupWindowSeconds) });
  const before = webhook.requests.length;
  const ours = () => webhook.requests.slice(before).filter((r) => r.path === `/${name}`);
  const alertsReceived = () => ours().reduce((n, r) => n + Number((r.body as { count?: number }).count ?? 0), 0);
  try {
    const startedMs = Date.now();
    const enqueue = db.transaction((i: number) => outbox.enqueue({ kind: 'position_closed', severity: 'info', dedupeKey: `burst:${name}:${i}`, title: `burst ${i}`, data: { i } }));
    for (let i = 0; i < BURST; i++) {
      enqueue.immediate(i);
      // The facts come from other processes: the receiver in this one keeps answering between commits.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const committedMs = Date.now();
    await waitFor(() => alertsReceived() >= BURST, 180_000, `the ${name} burst`);
    const lastMs = Math.max(...ours().map((r) => r.atMs));
    const firstMs = Math.min(...ours().map((r) => r.atMs));
    return {
      alerts: BURST,
      messages: ours().length,
      commitsMs: committedMs - startedMs,
      firstMessageAfterMs: firstMs - startedMs,
      allDeliveredAfterMs: lastMs - startedMs,
      alertsPerSecond: round(BURST / ((lastMs - startedMs) / 1000), 0),
      groupWindowSeconds,
    };
  } finally {
    await stop(notifier);
    db.close();
  }
}

export async function runAlertsBench(): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-alerts-'));
  const webhook = await HttpReceiver.start();
  const smtp = await SmtpReceiver.start({ starttls: false });
  try {
    const latencyResult = await latency(dir, webhook, smtp);
    const grouped = await burst(dir, webhook, 1);
    const ungrouped = await burst(dir, webhook, 0);
    return { ...latencyResult, burstOf1000: { groupingOn: grouped, groupingOff: ungrouped }, samples: SAMPLES };
  } finally {
    await Promise.all([webhook.close(), smtp.close()]);
    if (!process.env.KEEP_BENCH_DIRS) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void runAlertsBench().then((result) => console.log(JSON.stringify({ alerts: result }, null, 2)), (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
