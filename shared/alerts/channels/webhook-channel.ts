import type { MessageContent } from '../message-content';
import { describeUrl, secretPartsOfUrl } from '../redact';
import type { AlertChannel, SendResult } from './channel';
import { postJson } from './http-post';

/** The JSON body a generic webhook receives (ntfy, Telegram bridges, PagerDuty-style receivers, your own). */
export function webhookBody(content: MessageContent): Record<string, unknown> {
  return {
    source: 'ib-daytrader',
    idempotencyKey: content.idempotencyKey,
    kind: content.kind,
    severity: content.severity,
    title: content.title,
    text: content.lines.join('\n'),
    grouped: content.grouped,
    count: content.count,
    suppressedRepeats: content.suppressedRepeats,
    alerts: content.alerts,
  };
}

/**
 * A generic JSON webhook. The idempotency key travels as the `Idempotency-Key` header and in the body, so a
 * receiver that honours it drops the one message a crash may send twice.
 */
export class WebhookChannel implements AlertChannel {
  readonly name = 'webhook' as const;
  readonly description: string;
  readonly secrets: readonly string[];

  constructor(private readonly url: string) {
    this.description = `JSON webhook ${describeUrl(url)}`;
    this.secrets = secretPartsOfUrl(url);
  }

  send(content: MessageContent, signal: AbortSignal): Promise<SendResult> {
    return postJson(this.url, webhookBody(content), { 'idempotency-key': content.idempotencyKey }, signal);
  }

  async close(): Promise<void> {
    /* nothing held open */
  }
}
