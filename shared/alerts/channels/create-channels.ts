import type { AlertsConfig } from '../../config/alerts-schema';
import { describeUrl } from '../redact';
import type { AlertChannel } from './channel';
import { EmailChannel } from './email-channel';
import { SlackChannel } from './slack-channel';
import { WebhookChannel } from './webhook-channel';

/** The channels the configuration sets up (those with their URL), in a fixed order. */
export function createChannels(alerts: AlertsConfig): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (alerts.webhook.url) channels.push(new WebhookChannel(alerts.webhook.url));
  if (alerts.slack.webhookUrl) channels.push(new SlackChannel(alerts.slack.webhookUrl));
  if (alerts.email.smtpUrl) channels.push(new EmailChannel(alerts.email, alerts.delivery.timeoutMs));
  return channels;
}

/** The configured channels and where they send, without their secrets and without opening anything. */
export function describeChannels(alerts: AlertsConfig): Array<{ channel: string; description: string }> {
  const list: Array<{ channel: string; description: string }> = [];
  if (alerts.webhook.url) list.push({ channel: 'webhook', description: `JSON webhook ${describeUrl(alerts.webhook.url)}` });
  if (alerts.slack.webhookUrl) list.push({ channel: 'slack', description: `Slack webhook ${describeUrl(alerts.slack.webhookUrl)}` });
  if (alerts.email.smtpUrl) list.push({ channel: 'email', description: `e-mail via ${describeUrl(alerts.email.smtpUrl)} (${alerts.email.security}) to ${alerts.email.to.join(', ')}` });
  return list;
}
