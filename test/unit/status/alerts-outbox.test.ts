import { assembleStatus } from '../../../scripts/status/assemble-status';
import { renderStatus } from '../../../scripts/status/render-status';
import type { OutboxCounts } from '../../../shared/db';
import { heartbeat, inputs, NOW_REAL_MS, usableDb } from './status-fixtures';

const counts = (overrides: Partial<OutboxCounts> = {}): OutboxCounts => ({
  unrouted: 0, oldestUnroutedAtMs: null,
  channels: [
    { channel: 'email', pending: 0, sending: 0, delivered: 12, failed: 0, throttled: 3, dropped: 0, oldestPendingAtMs: null,
      health: { channel: 'email', state: 'ok', consecutiveFailures: 0, failingSinceMs: null, lastError: null, lastAttemptAtMs: NOW_REAL_MS - 60_000, lastSuccessAtMs: NOW_REAL_MS - 60_000, retryAtMs: null } },
    { channel: 'slack', pending: 4, sending: 1, delivered: 7, failed: 0, throttled: 0, dropped: 0, oldestPendingAtMs: NOW_REAL_MS - 120_000,
      health: { channel: 'slack', state: 'failing', consecutiveFailures: 6, failingSinceMs: NOW_REAL_MS - 120_000, lastError: 'HTTP 503: temporarily unavailable', lastAttemptAtMs: NOW_REAL_MS - 1_000, lastSuccessAtMs: NOW_REAL_MS - 200_000, retryAtMs: NOW_REAL_MS + 8_000 } },
  ],
  ...overrides,
});
const channels = [{ channel: 'email', description: 'e-mail via smtp://mail.example.com:587 (auto) to ops@example.com' }, { channel: 'slack', description: 'Slack webhook https://hooks.slack.com/…' }];

describe('the status console\'s alerts outbox', () => {
  it('shows per channel pending, delivered, failed and held back, with the failing channel in the alerts', () => {
    const report = assembleStatus(inputs({ alertChannels: channels, db: usableDb({ heartbeats: [heartbeat('exit-manager'), heartbeat('notifier', { brokerConnected: null })], alertsOutbox: counts() }) }));
    expect(report.alertsOutbox).toMatchObject({ notifier: 'running', unrouted: 0 });
    expect(report.alertsOutbox!.channels).toEqual([
      expect.objectContaining({ channel: 'email', state: 'ok', pending: 0, delivered: 12, heldBack: 3, lastDeliveryAgeMs: 60_000, configured: true }),
      expect.objectContaining({ channel: 'slack', state: 'failing', pending: 5, failingForMs: 120_000, consecutiveFailures: 6, lastError: 'HTTP 503: temporarily unavailable', retryInMs: 8_000 }),
    ]);
    expect(report.alerts).toContainEqual(expect.stringMatching(/^alert channel slack failing for 2 m 00 s \(6 failed attempts, 5 alert\(s\) waiting.*HTTP 503/));
    expect(report.alerts.some((a) => a.includes('email'))).toBe(false);
    const text = renderStatus(report, { color: false });
    expect(text).toMatch(/ALERTS OUTBOX {2}notifier running/);
    expect(text).toMatch(/│ slack +│ FAILING 2 m 00 s \(6\)/);
    expect(JSON.parse(JSON.stringify(report)).alertsOutbox.channels).toHaveLength(2);
  });

  it('says when alerts wait because the notifier is not running', () => {
    const report = assembleStatus(inputs({ alertChannels: channels, db: usableDb({ alertsOutbox: counts({ unrouted: 9, oldestUnroutedAtMs: NOW_REAL_MS - 300_000, channels: [] }) }) }));
    expect(report.alertsOutbox).toMatchObject({ notifier: 'not_running', unrouted: 9, oldestUnroutedAgeMs: 300_000 });
    expect(report.alerts).toContainEqual(expect.stringMatching(/9 alert\(s\) not delivered.*the notifier is not running/));
    expect(report.alertsOutbox!.channels.map((c) => [c.channel, c.state])).toEqual([['email', 'idle'], ['slack', 'idle']]);
  });

  it('is null when the DB predates the outbox or cannot be read', () => {
    expect(assembleStatus(inputs()).alertsOutbox).toBeNull();
    expect(assembleStatus(inputs({ db: { usable: false, path: '/x.db', problem: { kind: 'missing', message: 'no file' } } })).alertsOutbox).toBeNull();
  });
});
