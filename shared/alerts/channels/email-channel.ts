import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertsConfig } from '../../config/alerts-schema';
import type { MessageContent } from '../message-content';
import { severityLabel } from '../message-content';
import { describeUrl, secretPartsOfUrl } from '../redact';
import type { AlertChannel, SendResult } from './channel';

type EmailConfig = AlertsConfig['email'];

/** nodemailer's transport options from the SMTP URL and the security mode (plain, STARTTLS or TLS). */
export function smtpTransportOptions(email: EmailConfig, timeoutMs: number): Record<string, unknown> {
  const url = new URL(email.smtpUrl!);
  const smtps = url.protocol === 'smtps:';
  const port = url.port ? Number(url.port) : smtps ? 465 : 587;
  const security = email.security === 'auto' ? (smtps || port === 465 ? 'tls' : 'auto') : email.security;
  return {
    host: url.hostname,
    port,
    // tls: TLS from the first byte (smtps, 465); starttls: upgrade required; plain: never upgrade; auto: upgrade when offered.
    secure: security === 'tls',
    requireTLS: security === 'starttls',
    ignoreTLS: security === 'plain',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    tls: { rejectUnauthorized: email.tlsVerify, servername: url.hostname },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // One connection kept open: a burst is one SMTP session, not a TCP and TLS handshake per message.
    pool: true,
    maxConnections: 1,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** A stable Message-ID from the idempotency key: a mail system that deduplicates by Message-ID drops a resend. */
export function messageIdFor(idempotencyKey: string): string {
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@ib-daytrader.alerts>`;
}

/** nodemailer error codes that are the channel's problem (connection, login, TLS): retried, never the message's fault. */
const CHANNEL_ERROR_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EAUTH', 'EPROTOCOL', 'ECONNRESET', 'ECONNREFUSED', 'ENOAUTH', 'EOAUTH2']);

/**
 * E-mail through SMTP (nodemailer): from the configured sender to every recipient, plain text, subject with
 * the severity. A reply of 5xx to the envelope or the data refuses the message for good; anything else
 * (4xx, the connection, the login, a timeout) is retried.
 */
export class EmailChannel implements AlertChannel {
  readonly name = 'email' as const;
  readonly description: string;
  readonly secrets: readonly string[];
  private readonly transport: Transporter;

  constructor(private readonly email: EmailConfig, timeoutMs: number) {
    this.description = `e-mail via ${describeUrl(email.smtpUrl!)} (${email.security}) from ${email.from} to ${email.to.join(', ')}`;
    this.secrets = secretPartsOfUrl(email.smtpUrl!);
    this.transport = nodemailer.createTransport(smtpTransportOptions(email, timeoutMs) as Parameters<typeof nodemailer.createTransport>[0]);
  }

  async send(content: MessageContent, signal: AbortSignal): Promise<SendResult> {
    const sending = this.transport.sendMail({
      from: this.email.from,
      to: this.email.to,
      subject: `[ib-daytrader] ${severityLabel(content.severity)}: ${content.title}`,
      text: `${content.lines.join('\n')}\n\n--\nib-daytrader alerts · ${content.count} alert${content.count === 1 ? '' : 's'} · key ${content.idempotencyKey}\n`,
      messageId: messageIdFor(content.idempotencyKey),
      headers: { 'X-Alert-Idempotency-Key': content.idempotencyKey, 'X-Alert-Severity': content.severity, 'X-Alert-Kind': content.kind },
    });
    const aborted = new Promise<never>((_resolve, reject) => {
      const onAbort = () => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const info = await Promise.race([sending, aborted]);
      return { outcome: 'delivered', detail: String((info as { response?: unknown }).response ?? 'accepted') };
    } catch (error) {
      const e = error as { code?: string; responseCode?: number; message?: string };
      const what = `${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}: ${(e.message ?? String(error)).slice(0, 300)}`;
      if (e.responseCode !== undefined && e.responseCode >= 500 && !CHANNEL_ERROR_CODES.has(e.code ?? '')) return { outcome: 'rejected', error: what };
      return { outcome: 'retry', error: what };
    } finally {
      sending.catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
