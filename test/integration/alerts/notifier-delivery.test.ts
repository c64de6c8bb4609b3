import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { messageIdFor } from '../../../shared/alerts/channels/email-channel';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { SystemClock } from '../../../shared/time/clock';
import { freePort } from '../../helpers/ports';
import { accept, alwaysFail, failFirst, HttpReceiver, logLines, rateLimitFirst, SmtpReceiver, startNotifier, type NotifierProcess } from '../../helpers/notifier-process';
import { distFile, makeTempDir } from '../../helpers/temp-dir';
import { testEnv } from '../../helpers/test-env';
import { waitUntil } from '../../helpers/wait-until';

const SMTP_PASSWORD = 's3cret-pass-9f2';
const SLACK_TOKEN = 'T0AAAA/B0BBBB/slacksecrettoken42';

/**
 * The notifier as a real process against real local receivers: an SMTP server (STARTTLS, login) read with
 * mailparser, a Slack stand-in that answers 429 with Retry-After, and a JSON webhook that fails for a while,
 * then for good, then recovers. The test writes alerts the way the bots do (a repository, its own connection).
 */
describe('the notifier delivering to real receivers', () => {
  const temp = makeTempDir('notifier');
  const dbPath = path.join(temp.dir, 'trading.db');
  const logDir = path.join(temp.dir, 'logs');
  let smtp: SmtpReceiver;
  let slack: HttpReceiver;
  let webhook: HttpReceiver;
  let notifier: NotifierProcess | undefined;
  let db: Db;
  let repos: Repositories;
  let env: Record<string, string>;

  beforeAll(async () => {
    smtp = await SmtpReceiver.start({ auth: { user: 'bot', pass: SMTP_PASSWORD } });
    slack = await HttpReceiver.start(rateLimitFirst(1, 1));
    webhook = await HttpReceiver.start(failFirst(3, 503));
    db = openDatabase(dbPath);
    repos = createRepositories(db, new SystemClock(), 'liquidate');
    env = {
      DB_PATH: dbPath, LOG_DIR: logDir, LOG_LEVEL: 'debug',
      ALERT_WEBHOOK_URL: webhook.url('/alerts/hook'),
      ALERT_SLACK_WEBHOOK_URL: slack.url(`/services/${SLACK_TOKEN}`),
      ALERT_SMTP_URL: `smtp://bot:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}`, ALERT_SMTP_SECURITY: 'starttls', ALERT_SMTP_TLS_VERIFY: 'false',
      ALERT_EMAIL_FROM: 'Bots <bots@example.com>', ALERT_EMAIL_TO: 'ops@example.com,oncall@example.com',
      ALERT_GROUP_WINDOW_S: '0', ALERT_RETRY_BASE_MS: '100', ALERT_RETRY_MAX_MS: '400', ALERT_POLL_MS: '20',
    };
    notifier = startNotifier(env);
    await notifier.ready;
  }, 30_000);

  afterAll(async () => {
    notifier?.child.kill('SIGTERM');
    await notifier?.exited;
    db?.close();
    await Promise.all([smtp?.close(), slack?.close(), webhook?.close()]);
    temp.cleanup();
  }, 30_000);

  it('delivers a halt to e-mail (STARTTLS, login), Slack after its 429 and the webhook after its failures, each once', async () => {
    const halt = repos.halts.set('emergency liquidation', 'liquidate', { path: 'market-now' });
    const key = `trading_halt:${halt.id}`;
    await smtp.waitFor(() => smtp.messages.length >= 1, 20_000, 'the e-mail');
    await slack.waitFor(() => slack.accepted().length >= 1, 20_000, 'Slack');
    await webhook.waitFor(() => webhook.accepted().length >= 1, 20_000, 'the webhook');

    const [mail] = smtp.messages;
    expect(mail).toMatchObject({ from: 'bots@example.com', to: ['ops@example.com', 'oncall@example.com'], secure: true, user: 'bot', messageId: messageIdFor(key) });
    expect(mail!.subject).toBe('[ib-daytrader] CRITICAL: TRADING HALTED by liquidate: emergency liquidation');
    expect(mail!.headers.get('x-alert-idempotency-key')).toBe(key);
    expect(mail!.text).toContain('npm run liquidate -- --resume');

    // Slack: refused once with 429 Retry-After: 1, then sent again no sooner than it asked.
    expect(slack.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(slack.requests[1]!.atMs - slack.requests[0]!.atMs).toBeGreaterThanOrEqual(950);
    expect((slack.requests[1]!.body as { text: string }).text).toMatch(/^:rotating_light: \*TRADING HALTED by liquidate/);
    expect(logLines(logDir, 'notifier').find((l) => l.event === 'alert_rate_limited' && l.channel === 'slack')).toMatchObject({ retryInMs: 1_000 });

    // The webhook: three 503s, then the SAME message (body and idempotency key) goes through.
    expect(webhook.requests.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(webhook.requests.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(webhook.requests.every((r) => r.headers['idempotency-key'] === key)).toBe(true);
    expect(webhook.requests[0]!.body).toMatchObject({ source: 'ib-daytrader', idempotencyKey: key, kind: 'trading_halt', severity: 'critical', count: 1 });

    await waitUntil(() => db.prepare("SELECT COUNT(*) FROM alert_deliveries WHERE status = 'delivered'").pluck().get() === 3, 10_000, 'three deliveries recorded');
    expect(db.prepare("SELECT channel, state, consecutive_failures FROM alert_channels ORDER BY channel").all()).toEqual([
      { channel: 'email', state: 'ok', consecutive_failures: 0 }, { channel: 'slack', state: 'ok', consecutive_failures: 0 }, { channel: 'webhook', state: 'ok', consecutive_failures: 0 },
    ]);
  }, 60_000);

  it('a channel that keeps failing shows in status and never holds back the others; it catches up when it recovers', async () => {
    webhook.respondWith(alwaysFail(500));
    const before = { mails: smtp.messages.length, slack: slack.accepted().length, webhook: webhook.requests.length };
    repos.alerts.enqueue({ kind: 'broker_down', severity: 'critical', dedupeKey: 'broker_down:day-trader:1', conditionKey: 'broker_down', title: 'Gateway link of day-trader down for 31 s during the session', data: { app: 'day-trader' } });
    repos.alerts.enqueue({ kind: 'large_loss', severity: 'warning', dedupeKey: 'large_loss:P-1', symbol: 'NOVA', title: 'Large loss: NOVA -1,234.00', data: {} });
    repos.alerts.enqueue({ kind: 'daily_summary', severity: 'info', dedupeKey: 'daily_summary:2026-11-23', title: 'Daily summary 2026-11-23: 3 trades, +12.00', data: { trades: 3, wins: 2, losses: 1 } });
    await smtp.waitFor(() => smtp.messages.length >= before.mails + 3, 20_000, 'three mails');
    await slack.waitFor(() => slack.accepted().length >= before.slack + 3, 20_000, 'three Slack messages');
    await waitUntil(() => webhook.requests.length >= before.webhook + 3, 20_000, 'the webhook failing again and again');

    const status = spawnSync(process.execPath, [distFile('scripts/status.ts'), '--json'], {
      env: testEnv({ ...env, PM2_HOME: path.join(temp.dir, 'pm2'), IB_PORT: String(await freePort()) }), encoding: 'utf8', timeout: 30_000,
    });
    expect(status.status).toBe(0);
    const report = JSON.parse(status.stdout) as { alertsOutbox: { notifier: string; channels: Array<Record<string, unknown>> }; alerts: string[] };
    expect(report.alertsOutbox.notifier).toBe('running');
    const byChannel = Object.fromEntries(report.alertsOutbox.channels.map((c) => [c.channel, c]));
    expect(byChannel.webhook).toMatchObject({ configured: true, state: 'failing', pending: 3, lastError: expect.stringMatching(/^HTTP 500: receiver broken/) });
    expect(byChannel.email).toMatchObject({ state: 'ok', pending: 0, delivered: 4 });
    expect(byChannel.slack).toMatchObject({ state: 'ok', pending: 0, delivered: 4 });
    expect(report.alerts).toContainEqual(expect.stringMatching(/^alert channel webhook failing for .* 3 alert\(s\) waiting\): HTTP 500/));
    expect(status.stdout).not.toContain(SLACK_TOKEN);
    expect(status.stdout).not.toContain(SMTP_PASSWORD);

    webhook.respondWith(accept);
    await waitUntil(() => db.prepare("SELECT COUNT(*) FROM alert_deliveries WHERE channel = 'webhook' AND status = 'delivered'").pluck().get() === 4, 20_000, 'the webhook catching up');
    const delivered = webhook.accepted().map((r) => r.headers['idempotency-key']);
    expect(delivered.slice(1).sort()).toEqual(['broker_down:day-trader:1', 'daily_summary:2026-11-23', 'large_loss:P-1']);
  }, 90_000);

  it('never writes a secret to its log', () => {
    const log = fs.readFileSync(path.join(logDir, 'notifier.log'), 'utf8');
    expect(log).toContain('alert_delivered');
    expect(log).not.toContain(SMTP_PASSWORD);
    expect(log).not.toContain(SLACK_TOKEN);
    expect(log).not.toContain('/alerts/hook');
    expect(logLines(logDir, 'notifier').find((l) => l.event === 'notifier_started')?.channels).toEqual([
      expect.stringMatching(/^JSON webhook http:\/\/127\.0\.0\.1:\d+\/…$/), expect.stringMatching(/^Slack webhook http:\/\/127\.0\.0\.1:\d+\/…$/),
      expect.stringMatching(/^e-mail via smtp:\/\/bot@127\.0\.0\.1:\d+\/?… \(starttls\) from Bots <bots@example\.com> to ops@example\.com, oncall@example\.com$|^e-mail via smtp:\/\/bot@127\.0\.0\.1:\d+ \(starttls\)/),
    ]);
  });
});
