import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../shared/config/load-config';
import { projectRoot } from '../../../shared/config/project-root';
import { ConfigError } from '../../../shared/errors/errors';
import { makeTempDir } from '../../helpers/temp-dir';

function problemsOf(env: Record<string, string>, configFile?: string): string[] {
  try {
    loadConfig({ env, configFile });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

const SLACK = 'https://hooks.slack.com/services/T0AAA/B0BBB/verysecrettoken123';

describe('alert configuration', () => {
  const temp = makeTempDir('alerts-config');
  afterAll(() => temp.cleanup());

  it('has no channel by default and sensible thresholds', () => {
    const { alerts } = loadConfig({ env: {} });
    expect(alerts.webhook.url).toBeUndefined();
    expect(alerts.slack.webhookUrl).toBeUndefined();
    expect(alerts.email.smtpUrl).toBeUndefined();
    expect(alerts).toMatchObject({ groupWindowSeconds: 30, repeatIntervalMinutes: 60, retentionDays: 30 });
    expect(alerts.thresholds).toEqual({ largeWinAmount: 1_000, largeLossAmount: 1_000, pnlMilestones: [1_000, 2_500, 5_000], dailyLossNearPct: 80 });
  });

  it('reads every channel and list from the environment', () => {
    const { alerts } = loadConfig({ env: {
      ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/hook', ALERT_SLACK_WEBHOOK_URL: SLACK, ALERT_SMTP_URL: 'smtp://u:p@mail.example.com:587',
      ALERT_EMAIL_FROM: 'Bots <bots@example.com>', ALERT_EMAIL_TO: 'a@example.com, b@example.com', ALERT_EMAIL_KINDS: 'daily_summary,trading_halt',
      ALERT_PNL_MILESTONES: '500,1500', ALERT_SMTP_SECURITY: 'starttls', ALERT_SMTP_TLS_VERIFY: 'false',
    } });
    expect(alerts.email).toMatchObject({ to: ['a@example.com', 'b@example.com'], kinds: ['daily_summary', 'trading_halt'], security: 'starttls', tlsVerify: false });
    expect(alerts.thresholds.pnlMilestones).toEqual([500, 1_500]);
    expect(alerts.slack.webhookUrl).toBe(SLACK);
  });

  it('lists every problem at once (exit 78) and never repeats a secret value', () => {
    const problems = problemsOf({
      ALERT_SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T0AAA/B0BBB/verysecrettoken123', ALERT_SMTP_URL: 'http://u:hunter2@mail.example.com',
      ALERT_EMAIL_TO: 'not-an-address', ALERT_WEBHOOK_MIN_SEVERITY: 'loud', ALERT_SLACK_KINDS: 'entry_filled,nonsense', ALERT_QUIET_START: '25:00',
      ALERT_GROUP_WINDOW_S: '-1', ALERT_QUIET_TZ: 'Mars/Olympus',
    });
    const text = problems.join('\n');
    expect(problems.length).toBeGreaterThanOrEqual(8);
    for (const name of ['ALERT_SLACK_WEBHOOK_URL', 'ALERT_SMTP_URL', 'ALERT_EMAIL_TO', 'ALERT_WEBHOOK_MIN_SEVERITY', 'ALERT_SLACK_KINDS', 'ALERT_QUIET_START', 'ALERT_GROUP_WINDOW_S', 'ALERT_QUIET_TZ']) {
      expect(text).toContain(name);
    }
    expect(text).not.toMatch(/verysecrettoken123|hunter2/);
    expect(text).toMatch(/ALERT_SLACK_WEBHOOK_URL \(alerts\.slack\.webhookUrl\) = \(secret, not shown\)/);
  });

  it('wants the sender and recipients with an SMTP server, and quiet hours with both ends', () => {
    expect(problemsOf({ ALERT_SMTP_URL: 'smtp://mail.example.com' })).toEqual([expect.stringMatching(/ALERT_EMAIL_FROM and ALERT_EMAIL_TO missing/)]);
    expect(problemsOf({ ALERT_EMAIL_TO: 'a@example.com' })).toEqual([expect.stringMatching(/ALERT_SMTP_URL is not/)]);
    expect(problemsOf({ ALERT_QUIET_START: '22:00' })).toEqual([expect.stringMatching(/go together/)]);
    expect(problemsOf({ ALERT_RETRY_BASE_MS: '5000', ALERT_RETRY_MAX_MS: '1000' })).toEqual([expect.stringMatching(/ALERT_RETRY_MAX_MS/)]);
  });

  it('refuses a secret from a config file inside the repository, accepts it from one outside', () => {
    const inside = path.join(projectRoot(), 'data', `alerts-secret-test-${process.pid}.json`);
    fs.mkdirSync(path.dirname(inside), { recursive: true });
    fs.writeFileSync(inside, JSON.stringify({ alerts: { slack: { webhookUrl: SLACK }, groupWindowSeconds: 5 } }));
    try {
      const problems = problemsOf({}, inside);
      expect(problems).toEqual([expect.stringMatching(/alerts\.slack\.webhookUrl is a secret .* inside the repository: set ALERT_SLACK_WEBHOOK_URL/)]);
      expect(problems.join('\n')).not.toContain('verysecrettoken123');
    } finally {
      fs.rmSync(inside, { force: true });
    }
    const outside = path.join(temp.dir, 'alerts.json');
    fs.writeFileSync(outside, JSON.stringify({ alerts: { slack: { webhookUrl: SLACK }, groupWindowSeconds: 5 } }));
    expect(loadConfig({ env: {}, configFile: outside }).alerts).toMatchObject({ slack: { webhookUrl: SLACK }, groupWindowSeconds: 5 });
  });
});
