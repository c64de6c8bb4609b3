import { DateTime } from 'luxon';
import fc from 'fast-check';
import type { StoredAlert } from '../../../shared/alerts/alert-types';
import { MAX_RETRY_AFTER_MS, parseRetryAfterMs, retryDelayMs } from '../../../shared/alerts/backoff';
import { messageIdFor, smtpTransportOptions } from '../../../shared/alerts/channels/email-channel';
import { slackBody } from '../../../shared/alerts/channels/slack-channel';
import { webhookBody } from '../../../shared/alerts/channels/webhook-channel';
import { composeContent } from '../../../shared/alerts/message-content';
import { planNextMessage, type PendingDelivery } from '../../../shared/alerts/message-planner';
import { describeUrl, redact, secretPartsOfUrl } from '../../../shared/alerts/redact';
import { quietHoursEndMs, routeAlert } from '../../../shared/alerts/routing';
import { loadConfig } from '../../../shared/config/load-config';

const settings = { groupWindowMs: 30_000, repeatIntervalMs: 3_600_000, maxAlertsPerMessage: 500 };
const pending = (alertId: number, kind = 'position_closed', conditionKey: string | null = null): PendingDelivery => ({ alertId, kind, conditionKey });

describe('grouping and throttling (the message planner)', () => {
  it('sends the first alert of a kind alone at once, then groups what arrives within the window', () => {
    const first = planNextMessage({ nowMs: 1_000, pending: [pending(1)], lastMessageOfKindMs: new Map(), conditionLastSentMs: new Map(), settings });
    expect(first).toEqual({ throttle: [], send: { kind: 'position_closed', alertIds: [1] } });
    const burst = [2, 3, 4].map((id) => pending(id));
    const during = planNextMessage({ nowMs: 5_000, pending: burst, lastMessageOfKindMs: new Map([['position_closed', 1_000]]), conditionLastSentMs: new Map(), settings });
    expect(during).toEqual({ throttle: [], wakeAtMs: 31_000 });
    const after = planNextMessage({ nowMs: 31_000, pending: burst, lastMessageOfKindMs: new Map([['position_closed', 1_000]]), conditionLastSentMs: new Map(), settings });
    expect(after.send).toEqual({ kind: 'position_closed', alertIds: [2, 3, 4] });
  });

  it('never holds one kind behind another kind\'s window', () => {
    const plan = planNextMessage({
      nowMs: 5_000, pending: [pending(1, 'position_closed'), pending(2, 'broker_down')], lastMessageOfKindMs: new Map([['position_closed', 1_000]]),
      conditionLastSentMs: new Map(), settings,
    });
    expect(plan.send).toEqual({ kind: 'broker_down', alertIds: [2] });
  });

  it('with grouping off, every alert is its own message, oldest first', () => {
    const plan = planNextMessage({ nowMs: 5_000, pending: [pending(7), pending(8)], lastMessageOfKindMs: new Map([['position_closed', 4_999]]), conditionLastSentMs: new Map(), settings: { ...settings, groupWindowMs: 0 } });
    expect(plan.send).toEqual({ kind: 'position_closed', alertIds: [7] });
  });

  it('holds back repeats of a condition told less than the repeat interval ago, and only those', () => {
    const plan = planNextMessage({
      nowMs: 10_000, pending: [pending(1, 'reconciliation_mismatch', 'reconciliation:NOVA'), pending(2, 'reconciliation_mismatch', 'reconciliation:ACME')],
      lastMessageOfKindMs: new Map(), conditionLastSentMs: new Map([['reconciliation:NOVA', 9_000]]), settings,
    });
    expect(plan).toEqual({ throttle: [1], send: { kind: 'reconciliation_mismatch', alertIds: [2] } });
    const later = planNextMessage({
      nowMs: 9_000 + 3_600_000, pending: [pending(3, 'reconciliation_mismatch', 'reconciliation:NOVA')], lastMessageOfKindMs: new Map(),
      conditionLastSentMs: new Map([['reconciliation:NOVA', 9_000]]), settings,
    });
    expect(later.send?.alertIds).toEqual([3]);
  });

  it('caps a group at maxAlertsPerMessage', () => {
    const many = Array.from({ length: 1_200 }, (_, i) => pending(i + 1));
    expect(planNextMessage({ nowMs: 0, pending: many, lastMessageOfKindMs: new Map(), conditionLastSentMs: new Map(), settings }).send?.alertIds).toHaveLength(500);
  });
});

const alert = (id: number, over: Partial<StoredAlert> = {}): StoredAlert => ({
  id, kind: 'position_closed', severity: 'info', dedupeKey: `position_closed:P-${id}`, conditionKey: null, title: `N${id} closed, take-profit hit: +10.00`, symbol: `N${id}`,
  data: { quantity: 10, entryPrice: 1, exitPrice: 2, exitReason: 'PROFIT_TARGET', realizedPnl: 10, dayRealizedPnl: 10 }, app: 'exit-manager', tradingDay: '2026-11-23',
  createdAt: '2026-11-23T15:00:00.000Z', createdAtMs: 1, routedAtMs: null, ...over,
});

describe('message content and formats', () => {
  it('a single alert keeps its dedupe key as the idempotency key; a group gets a stable digest of its keys', () => {
    expect(composeContent([alert(1)], 0, () => 'x').idempotencyKey).toBe('position_closed:P-1');
    const digest = (keys: string[]) => keys.join('|');
    const group = composeContent([alert(1), alert(2, { severity: 'warning' })], 3, digest);
    expect(group).toMatchObject({ idempotencyKey: 'group:position_closed:position_closed:P-1|position_closed:P-2', grouped: true, count: 2, severity: 'warning', suppressedRepeats: 3 });
    expect(group.title).toBe('2 × positions closed (WARNING)');
    expect(group.lines.at(-1)).toMatch(/3 repeats of this condition held back/);
  });

  it('lists 20 alerts of a group in the text and all of them in the JSON body', () => {
    const content = composeContent(Array.from({ length: 25 }, (_, i) => alert(i + 1)), 0, () => 'd');
    expect(content.lines).toHaveLength(21);
    expect(content.lines.at(-1)).toBe('…and 5 more');
    const body = webhookBody(content) as { alerts: unknown[]; idempotencyKey: string };
    expect(body.alerts).toHaveLength(25);
    expect(body.idempotencyKey).toBe(content.idempotencyKey);
  });

  it('escapes Slack\'s control characters', () => {
    const content = composeContent([alert(1, { title: 'A <b> & c' })], 0, () => 'x');
    expect((slackBody(content) as { text: string }).text).toContain('A &lt;b&gt; &amp; c');
  });

  it('gives e-mails a Message-ID derived from the idempotency key', () => {
    expect(messageIdFor('k1')).toBe(messageIdFor('k1'));
    expect(messageIdFor('k1')).not.toBe(messageIdFor('k2'));
    expect(messageIdFor('k1')).toMatch(/^<[0-9a-f]{32}@ib-daytrader\.alerts>$/);
  });

  it('maps the SMTP URL and security mode to plain, STARTTLS or TLS', () => {
    const base = { smtpUrl: 'smtp://bot%40x.com:p%40ss@mail.example.com:587', from: 'a@b.co', to: ['c@d.co'], tlsVerify: true, minSeverity: 'info' as const, kinds: [] };
    expect(smtpTransportOptions({ ...base, security: 'auto' }, 5_000)).toMatchObject({ host: 'mail.example.com', port: 587, secure: false, requireTLS: false, ignoreTLS: false, auth: { user: 'bot@x.com', pass: 'p@ss' } });
    expect(smtpTransportOptions({ ...base, security: 'starttls' }, 5_000)).toMatchObject({ secure: false, requireTLS: true });
    expect(smtpTransportOptions({ ...base, security: 'plain' }, 5_000)).toMatchObject({ secure: false, ignoreTLS: true });
    expect(smtpTransportOptions({ ...base, smtpUrl: 'smtps://mail.example.com', security: 'auto' }, 5_000)).toMatchObject({ port: 465, secure: true, auth: undefined });
  });
});

describe('retries', () => {
  it('back-off doubles per failure with jitter between half and the whole delay, capped', () => {
    expect(retryDelayMs(1, 1_000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1_000, 60_000, () => 1)).toBe(1_000);
    expect(retryDelayMs(4, 1_000, 60_000, () => 1)).toBe(8_000);
    expect(retryDelayMs(30, 1_000, 60_000, () => 1)).toBe(60_000);
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), (failures, r) => {
      const delay = retryDelayMs(failures, 250, 30_000, () => r);
      const full = Math.min(30_000, 250 * 2 ** (failures - 1));
      expect(delay).toBeGreaterThanOrEqual(Math.floor(full / 2));
      expect(delay).toBeLessThanOrEqual(full);
    }));
  });

  it('reads Retry-After as seconds or an HTTP date, and caps it', () => {
    expect(parseRetryAfterMs('30', 0)).toBe(30_000);
    expect(parseRetryAfterMs('1.5', 0)).toBe(1_500);
    expect(parseRetryAfterMs(new Date(70_000).toUTCString(), 10_000)).toBe(60_000);
    expect(parseRetryAfterMs('soon', 0)).toBeUndefined();
    expect(parseRetryAfterMs(null, 0)).toBeUndefined();
    expect(parseRetryAfterMs('999999', 0)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('routing and quiet hours', () => {
  const config = (env: Record<string, string>) => loadConfig({ env: {
    ALERT_WEBHOOK_URL: 'http://127.0.0.1:1/hook', ALERT_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/secret', ...env,
  } }).alerts;

  it('routes by kind and severity per channel', () => {
    const alerts = config({ ALERT_SLACK_MIN_SEVERITY: 'warning', ALERT_WEBHOOK_KINDS: 'daily_summary,broker_down' });
    const channels = ['webhook', 'slack'] as const;
    expect(routeAlert({ kind: 'entry_filled', severity: 'info' }, channels, alerts, 0)).toEqual([]);
    expect(routeAlert({ kind: 'broker_down', severity: 'critical' }, channels, alerts, 0).map((r) => r.channel)).toEqual(['webhook', 'slack']);
    expect(routeAlert({ kind: 'position_closed', severity: 'warning' }, channels, alerts, 0).map((r) => r.channel)).toEqual(['slack']);
  });

  it('holds minor alerts until quiet hours end (across midnight), lets critical ones through', () => {
    const alerts = config({ ALERT_QUIET_START: '22:00', ALERT_QUIET_END: '07:00', ALERT_QUIET_TZ: 'Europe/Paris' });
    const at = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/Paris' }).toMillis();
    const night = at('2026-11-23T23:30');
    expect(quietHoursEndMs({ start: '22:00', end: '07:00', timeZone: 'Europe/Paris' }, night)).toBe(at('2026-11-24T07:00'));
    expect(quietHoursEndMs({ start: '22:00', end: '07:00', timeZone: 'Europe/Paris' }, at('2026-11-24T06:59'))).toBe(at('2026-11-24T07:00'));
    expect(quietHoursEndMs({ start: '22:00', end: '07:00', timeZone: 'Europe/Paris' }, at('2026-11-24T07:00'))).toBeUndefined();
    expect(quietHoursEndMs({ start: '12:00', end: '13:00', timeZone: 'Europe/Paris' }, at('2026-11-24T12:30'))).toBe(at('2026-11-24T13:00'));
    expect(routeAlert({ kind: 'entry_filled', severity: 'info' }, ['webhook'], alerts, night)).toEqual([{ channel: 'webhook', notBeforeMs: at('2026-11-24T07:00') }]);
    expect(routeAlert({ kind: 'broker_down', severity: 'critical' }, ['webhook'], alerts, night)).toEqual([{ channel: 'webhook', notBeforeMs: night }]);
  });
});

describe('secrets', () => {
  it('are taken out of any text, and URLs are shown by host only', () => {
    const url = 'https://hooks.slack.com/services/T000/B000/abcdefSECRET';
    const smtp = 'smtp://bot:hunter2pass@mail.example.com:587';
    const text = `POST ${url} failed; login bot:hunter2pass refused at /services/T000/B000/abcdefSECRET`;
    const clean = redact(text, [...secretPartsOfUrl(url), ...secretPartsOfUrl(smtp)]);
    expect(clean).not.toMatch(/abcdefSECRET|hunter2pass/);
    expect(describeUrl(url)).toBe('https://hooks.slack.com/…');
    expect(describeUrl(smtp)).toBe('smtp://bot@mail.example.com:587');
  });
});
