import { spawn } from 'node:child_process';
import path from 'node:path';
import { AlertDeliveriesRepository, createRepositories, openDatabase } from '../../../shared/db';
import { SystemClock } from '../../../shared/time/clock';
import { alwaysFail, HttpReceiver, SmtpReceiver } from '../../helpers/notifier-process';
import { distFile, makeTempDir } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';

const TOKEN = 'B0CLI/cli-secret-token-77';

/** `npm run alerts -- …` as a real process (async: the receivers live in this process and must keep answering). */
function runAlerts(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [distFile('scripts/alerts.ts'), ...args], { env: testEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run alerts', () => {
  const temp = makeTempDir('alerts-cli');
  let webhook: HttpReceiver;
  let slack: HttpReceiver;
  let smtp: SmtpReceiver;
  let env: Record<string, string>;

  beforeAll(async () => {
    webhook = await HttpReceiver.start();
    slack = await HttpReceiver.start();
    smtp = await SmtpReceiver.start({ starttls: false });
    env = {
      DB_PATH: path.join(temp.dir, 'trading.db'), LOG_DIR: path.join(temp.dir, 'logs'), SIM_SPEED: '1',
      ALERT_WEBHOOK_URL: webhook.url('/ntfy/topic-x'), ALERT_SLACK_WEBHOOK_URL: slack.url(`/services/${TOKEN}`),
      ALERT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, ALERT_SMTP_SECURITY: 'plain', ALERT_EMAIL_FROM: 'bots@example.com', ALERT_EMAIL_TO: 'ops@example.com',
    };
  });
  afterAll(async () => {
    await Promise.all([webhook?.close(), slack?.close(), smtp?.close()]);
    temp.cleanup();
  });

  it('test: one alert to every channel (plain SMTP here), exit 0 when each accepted it', async () => {
    const result = await runAlerts(['test'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ webhook: accepted/);
    expect(result.stdout).toMatch(/✓ slack: accepted/);
    expect(result.stdout).toMatch(/✓ email: accepted/);
    expect(result.stdout).toMatch(/every configured channel \(3\) accepted the test alert/);
    expect(webhook.accepted()).toHaveLength(1);
    expect(slack.accepted()).toHaveLength(1);
    expect(smtp.messages).toEqual([expect.objectContaining({ secure: false, subject: '[ib-daytrader] info: Test alert from ib-daytrader: this channel works' })]);
    expect(webhook.requests[0]!.body).toMatchObject({ kind: 'test', idempotencyKey: expect.stringMatching(/^test:/) });
    expect(result.stdout).not.toContain(TOKEN);
    expect(result.stdout).not.toContain('topic-x');
  }, 30_000);

  it('test --json: exit 1 when a channel fails, saying which and why, without its secret', async () => {
    webhook.respondWith(alwaysFail(500));
    const result = await runAlerts(['test', '--json'], env);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as { ok: boolean; channels: Array<{ channel: string; ok: boolean; outcome: string; detail: string }> };
    expect(json.ok).toBe(false);
    expect(json.channels.map((c) => [c.channel, c.ok])).toEqual([['webhook', false], ['slack', true], ['email', true]]);
    expect(json.channels[0]).toMatchObject({ outcome: 'retry', detail: 'HTTP 500: receiver broken' });
    expect(result.stdout).not.toContain(TOKEN);
  }, 30_000);

  it('test with no channel configured: exit 1 and how to set one', async () => {
    const result = await runAlerts(['test'], { DB_PATH: env.DB_PATH!, SIM_SPEED: '1' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/no alert channel is configured: set ALERT_WEBHOOK_URL/);
  });

  it('bad configuration: exit 78 with every problem, secrets not repeated', async () => {
    const result = await runAlerts(['list'], { ...env, ALERT_SLACK_WEBHOOK_URL: `hooks.example/${TOKEN}`, ALERT_EMAIL_TO: 'ops-at-example', ALERT_GROUP_WINDOW_S: 'soon' });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/ALERT_SLACK_WEBHOOK_URL \(alerts\.slack\.webhookUrl\) = \(secret, not shown\)/);
    expect(result.stderr).toMatch(/ALERT_GROUP_WINDOW_S/);
    expect(result.stderr).toMatch(/ALERT_EMAIL_TO \(alerts\.email\.to\.0\) = "ops-at-example": expected an e-mail address/);
    expect(result.stderr).not.toContain(TOKEN);
  });

  it('list and list --json: the outbox per channel and the latest alerts with where each went', async () => {
    const db = openDatabase(env.DB_PATH!);
    const repos = createRepositories(db, new SystemClock(), 'reconciler');
    repos.alerts.enqueue({ kind: 'reconciliation_mismatch', severity: 'critical', dedupeKey: 'reconciliation:1:NOVA:P-1', symbol: 'NOVA', title: 'Reconciliation MISMATCH: NOVA DISCREPANCY', data: {} });
    repos.alerts.enqueue({ kind: 'entry_filled', severity: 'info', dedupeKey: 'entry_filled:P-2', symbol: 'ACME', title: 'Entry filled: ACME 10 @ 5.00', data: {} });
    const deliveries = new AlertDeliveriesRepository(db);
    const [first] = deliveries.unrouted();
    deliveries.route([{ alertId: first!.id, decisions: [{ channel: 'slack', notBeforeMs: 0 }] }], Date.now());
    const sent = deliveries.nextMessage('slack', Date.now(), { groupWindowMs: 0, repeatIntervalMs: 0, maxAlertsPerMessage: 10 });
    if (sent.kind === 'send') deliveries.recordOutcome(sent.message, { result: 'delivered' }, Date.now());
    db.close();

    const json = await runAlerts(['list', '--json', '--limit', '5'], env);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as { configured: Array<{ channel: string; description: string }>; counts: { unrouted: number; channels: Array<{ channel: string; delivered: number }> }; alerts: Array<{ dedupeKey: string; deliveries: Array<{ channel: string; status: string }> }> };
    expect(listed.configured.map((c) => c.channel)).toEqual(['webhook', 'slack', 'email']);
    expect(listed.counts).toMatchObject({ unrouted: 1, channels: [expect.objectContaining({ channel: 'slack', delivered: 1 })] });
    expect(listed.alerts.map((a) => [a.dedupeKey, a.deliveries.map((d) => `${d.channel} ${d.status}`)])).toEqual([
      ['entry_filled:P-2', []], ['reconciliation:1:NOVA:P-1', ['slack delivered']],
    ]);
    expect(json.stdout).not.toContain(TOKEN);

    const text = await runAlerts(['list'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/1 alert\(s\) not yet picked up by the notifier/);
    expect(text.stdout).toMatch(/slack +pending 0, delivered 1, failed 0, held back 0 · ok/);
    expect(text.stdout).toMatch(/CRITICAL +reconciliation_mismatch +Reconciliation MISMATCH: NOVA DISCREPANCY/);
    expect(text.stdout).toMatch(/slack delivered · by reconciler/);
  }, 30_000);
});
