// The `alerts` section of the config (see schema.ts): channels, routing, grouping, quiet hours, thresholds.
import { IANAZone } from 'luxon';
import { z } from 'zod/v3';
import { ALERT_KINDS, SEVERITIES } from '../alerts/alert-types';

const int = () => z.coerce.number().int();
const num = () => z.coerce.number();
const boolish = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return value;
}, z.boolean());
const hhmm = () => z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');

/**
 * A URL that is a secret (a Slack webhook URL is a credential; an SMTP URL carries the password): the
 * messages never repeat the value, and loadConfig refuses it from a config file inside the repository.
 */
function secretUrl(schemes: readonly string[], example: string) {
  return z.string().refine((value) => {
    try {
      return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
    } catch {
      return false;
    }
  }, `expected a ${schemes.join(' or ')} URL such as ${example} (the value is a secret and is not shown)`);
}

const email = () => z.string().regex(/^([^<>@]*<)?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>?$/, 'expected an e-mail address such as bot@example.com or "Bots <bot@example.com>"');
const severity = () => z.enum(SEVERITIES);
const kinds = () => z.array(z.enum(ALERT_KINDS)).default([]);

/** Routing of one channel: alerts of these kinds (all when empty) at or above this severity. */
const routing = {
  minSeverity: severity().default('info'),
  kinds: kinds(),
};

export const alertsConfigSchema = z
  .object({
    webhook: z.object({ url: secretUrl(['http', 'https'], 'https://ntfy.example.com/hook').optional(), ...routing }).default({}),
    slack: z.object({ webhookUrl: secretUrl(['http', 'https'], 'https://hooks.slack.com/services/T000/B000/XXXX').optional(), ...routing }).default({}),
    email: z
      .object({
        smtpUrl: secretUrl(['smtp', 'smtps'], 'smtp://user:password@mail.example.com:587').optional(),
        from: email().optional(),
        to: z.array(email()).default([]),
        /** auto: TLS for smtps:// and port 465, else STARTTLS when the server offers it; plain never encrypts; starttls requires it; tls connects with TLS. */
        security: z.enum(['auto', 'plain', 'starttls', 'tls']).default('auto'),
        /** false accepts a self-signed server certificate (a local relay); keep true for anything else. */
        tlsVerify: boolish.default(true),
        ...routing,
      })
      .default({}),
    /** Alerts of one kind within this window of the last message of that kind go out together (0 = no grouping), real seconds. */
    groupWindowSeconds: num().min(0).max(3_600).default(30),
    /** An unresolved condition (a mismatch that stays, a gateway that stays down) is told again after this, real minutes (0 = every time). */
    repeatIntervalMinutes: num().min(0).max(10_080).default(60),
    quietHours: z
      .object({
        start: hhmm().optional(),
        end: hhmm().optional(),
        /** IANA zone of the quiet hours (default: this machine's). */
        timeZone: z.string().refine((zone) => IANAZone.isValidZone(zone), 'expected an IANA time zone such as Europe/Paris or America/New_York').optional(),
        /** Alerts at or above this severity are sent during quiet hours; the others wait for their end. */
        minSeverity: severity().default('critical'),
      })
      .default({}),
    thresholds: z
      .object({
        largeWinAmount: num().min(0).default(1_000),
        largeLossAmount: num().min(0).default(1_000),
        pnlMilestones: z.array(z.coerce.number().gt(0)).default([1_000, 2_500, 5_000]),
        dailyLossNearPct: num().gt(0).lt(100).default(80),
      })
      .default({}),
    delivery: z
      .object({
        /** First retry delay of a failed send; doubles per failure, with jitter, up to retryMaxMs. */
        retryBaseMs: int().min(10).max(600_000).default(1_000),
        retryMaxMs: int().min(10).max(3_600_000).default(300_000),
        /** Failed sends of one message before it is marked failed; 0 = retry until it goes through. */
        maxAttempts: int().min(0).max(10_000).default(0),
        /** One send (HTTP request, SMTP transaction) is abandoned and retried after this. */
        timeoutMs: int().min(100).max(120_000).default(10_000),
        /** How often the notifier looks for new alerts (a shared-memory read), real ms. */
        pollIntervalMs: int().min(5).max(5_000).default(50),
      })
      .default({}),
    /** Delivered alerts are kept this many days (status, npm run alerts -- list), then pruned. */
    retentionDays: int().min(1).max(3_650).default(30),
  })
  .default({});

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;

/** Config paths whose values are secrets: never printed, never accepted from a config file inside the repository. */
export const SECRET_CONFIG_PATHS: readonly string[] = ['alerts.webhook.url', 'alerts.slack.webhookUrl', 'alerts.email.smtpUrl', 'dashboard.token'];

/** Problems between alert keys (each with its variable), for loadConfig's list. */
export function alertsConfigProblems(alerts: AlertsConfig): string[] {
  const problems: string[] = [];
  const { email: mail, quietHours } = alerts;
  if (mail.smtpUrl && (!mail.from || mail.to.length === 0)) {
    problems.push(`ALERT_SMTP_URL is set: e-mail alerts also need ALERT_EMAIL_FROM and ALERT_EMAIL_TO (${[!mail.from ? 'ALERT_EMAIL_FROM' : '', mail.to.length === 0 ? 'ALERT_EMAIL_TO' : ''].filter(Boolean).join(' and ')} missing)`);
  }
  if (!mail.smtpUrl && (mail.from || mail.to.length > 0)) {
    problems.push('ALERT_EMAIL_FROM / ALERT_EMAIL_TO are set but ALERT_SMTP_URL is not: set the SMTP server (smtp://user:password@host:587) or unset them');
  }
  if ((quietHours.start === undefined) !== (quietHours.end === undefined)) {
    problems.push('ALERT_QUIET_START and ALERT_QUIET_END go together: set both (e.g. 22:00 and 07:00) or neither');
  } else if (quietHours.start !== undefined && quietHours.start === quietHours.end) {
    problems.push(`ALERT_QUIET_START and ALERT_QUIET_END are both ${quietHours.start}: quiet hours need a start and a different end`);
  }
  if (alerts.delivery.retryMaxMs < alerts.delivery.retryBaseMs) {
    problems.push(`ALERT_RETRY_MAX_MS (${alerts.delivery.retryMaxMs}) must be at least ALERT_RETRY_BASE_MS (${alerts.delivery.retryBaseMs})`);
  }
  return problems;
}
