import type { MessageContent } from '../message-content';
import { describeUrl, secretPartsOfUrl } from '../redact';
import type { AlertChannel, SendResult } from './channel';
import { postJson } from './http-post';

const ICON = { critical: ':rotating_light:', warning: ':warning:', info: ':information_source:' } as const;

/** Slack's text escaping: &, < and > only (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackBody(content: MessageContent): Record<string, unknown> {
  const head = `${ICON[content.severity]} *${slackEscape(content.title)}*`;
  return { text: [head, ...content.lines.map(slackEscape)].join('\n'), unfurl_links: false, unfurl_media: false };
}

/**
 * A Slack incoming webhook. Slack answers 429 with Retry-After when a webhook posts more than about one
 * message a second: the notifier waits that long (the channel shows "rate limited"), and grouping keeps
 * bursts far below that rate. Slack keeps no idempotency key: a message resent after a crash shows twice.
 */
export class SlackChannel implements AlertChannel {
  readonly name = 'slack' as const;
  readonly description: string;
  readonly secrets: readonly string[];

  constructor(private readonly webhookUrl: string) {
    this.description = `Slack webhook ${describeUrl(webhookUrl)}`;
    this.secrets = secretPartsOfUrl(webhookUrl);
  }

  send(content: MessageContent, signal: AbortSignal): Promise<SendResult> {
    return postJson(this.webhookUrl, slackBody(content), {}, signal);
  }

  async close(): Promise<void> {
    /* nothing held open */
  }
}
