import type { ChannelName } from '../alert-types';
import type { MessageContent } from '../message-content';

/**
 * How a send ended, from the channel's point of view:
 * - delivered: the receiver accepted it (2xx, SMTP 250);
 * - retry: try again later (a network error, a timeout, 5xx, 429 with its Retry-After, a channel problem
 *   such as a refused login that an operator can fix without the message changing);
 * - rejected: the receiver refused this message for good (HTTP 400/413/422, SMTP 5xx on the envelope or data).
 */
export type SendResult =
  | { outcome: 'delivered'; detail?: string }
  | { outcome: 'retry'; error: string; retryAfterMs?: number; rateLimited?: boolean }
  | { outcome: 'rejected'; error: string };

/** One configured way of telling a person: a Slack webhook, a generic JSON webhook, e-mail. */
export interface AlertChannel {
  readonly name: ChannelName;
  /** Where it sends, without the secret parts (logs, status, the test command). */
  readonly description: string;
  /** Texts that must never appear in a log line or the DB (the URL's token, the SMTP password). */
  readonly secrets: readonly string[];
  send(content: MessageContent, signal: AbortSignal): Promise<SendResult>;
  close(): Promise<void>;
}
