/**
 * Real local receivers for alert tests and the alerts benchmark, on free loopback ports:
 * - HttpReceiver: stands in for a Slack incoming webhook or a generic JSON webhook; answers as its responder
 *   says (accept, fail for a while, 429 with Retry-After), and records every request with its arrival time;
 * - SmtpReceiver: a real SMTP server (`smtp-server`) whose messages are parsed with `mailparser`, plain,
 *   STARTTLS or TLS from the first byte, with or without a login.
 * Development dependencies only (tests, `npm run bench`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  /** Real time the whole body had arrived (epoch ms). */
  atMs: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it was not JSON. */
  body: unknown;
  /** What the receiver answered. */
  status: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Decides the answer to the n-th request (0-based). */
export type Responder = (request: Omit<ReceivedRequest, 'status'>, index: number) => Reply | Promise<Reply>;

export const accept: Responder = () => ({ status: 200, body: 'ok' });

/** Fails the first `count` requests with `status` (a receiver that is down for a while), then accepts. */
export function failFirst(count: number, status = 503): Responder {
  return (_request, index) => (index < count ? { status, body: 'temporarily unavailable' } : { status: 200, body: 'ok' });
}

/** Slack's rate limit: 429 with Retry-After for the first `count` requests, then accepts. */
export function rateLimitFirst(count: number, retryAfterSeconds: number): Responder {
  return (_request, index) => (index < count ? { status: 429, headers: { 'retry-after': String(retryAfterSeconds) }, body: 'rate_limited' } : { status: 200, body: 'ok' });
}

export function alwaysFail(status = 500): Responder {
  return () => ({ status, body: 'receiver broken' });
}

interface Waiter {
  probe: () => boolean;
  resolve: () => void;
}

export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private waiters: Waiter[] = [];
  private count = 0;

  private constructor(private readonly server: http.Server, private responder: Responder, readonly port: number) {}

  static async start(responder: Responder = accept, port = 0): Promise<HttpReceiver> {
    let receiver: HttpReceiver | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => void receiver!.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    receiver = new HttpReceiver(server, responder, (server.address() as AddressInfo).port);
    return receiver;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  /** Requests answered with a 2xx. */
  accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Resolves once `probe` holds (checked at every request); rejects after `timeoutMs`. */
  waitFor(probe: () => boolean, timeoutMs: number, what = 'requests'): Promise<void> {
    if (probe()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { probe, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.requests.length} received)`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): Promise<void> {
    const atMs = Date.now();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: kept as text */
    }
    const request = { atMs, path: req.url ?? '/', headers: req.headers, body };
    const reply = await this.responder(request, this.count++);
    this.requests.push({ ...request, status: reply.status });
    res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
    res.end(reply.body ?? '');
    this.waiters = this.waiters.filter((w) => {
      if (!w.probe()) return true;
      w.resolve();
      return false;
    });
  }
}

export interface ReceivedMail {
  atMs: number;
  from: string;
  to: string[];
  subject: string;
  text: string;
  messageId: string;
  headers: Map<string, unknown>;
  /** Whether the session that carried it was encrypted (STARTTLS or TLS). */
  secure: boolean;
  user: string | undefined;
}

export interface SmtpReceiverOptions {
  /** TLS from the first byte (smtps, port 465 style). */
  secure?: boolean;
  /** Offer STARTTLS on a plain connection (default true; false = a plain-only server). */
  starttls?: boolean;
  /** Require this login. */
  auth?: { user: string; pass: string };
  /** Refuse the DATA of the first N messages with a temporary 451 (a relay that struggles). */
  failFirst?: number;
}

export class SmtpReceiver {
  readonly messages: ReceivedMail[] = [];
  private waiters: Waiter[] = [];

  private constructor(private readonly server: { close(cb: () => void): void }, readonly port: number) {}

  static async start(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
    // Loaded here: smtp-server and mailparser are development dependencies.
    const { SMTPServer } = require('smtp-server') as typeof import('smtp-server');
    const { simpleParser } = require('mailparser') as typeof import('mailparser');
    let receiver: SmtpReceiver | undefined;
    let refused = 0;
    const server = new SMTPServer({
      secure: options.secure ?? false,
      // The built-in self-signed certificate (clients set ALERT_SMTP_TLS_VERIFY=false); logger false keeps it quiet.
      logger: false,
      // Pooled clients keep their connection open: closing the receiver does not wait for them.
      closeTimeout: 200,
      disabledCommands: [...(options.starttls === false && !options.secure ? ['STARTTLS'] : []), ...(options.auth ? [] : ['AUTH'])],
      authOptional: !options.auth,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) return callback(null, { user: auth.username });
        return callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        void simpleParser(stream).then((mail) => {
          if (refused < (options.failFirst ?? 0)) {
            refused += 1;
            const error = Object.assign(new Error('Requested action aborted: local error in processing'), { responseCode: 451 });
            return callback(error);
          }
          const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
          receiver!.record({
            atMs: Date.now(), from: mail.from?.value[0]?.address ?? '', to, subject: mail.subject ?? '', text: mail.text ?? '', messageId: mail.messageId ?? '',
            headers: mail.headers as Map<string, unknown>, secure: session.secure === true, user: typeof session.user === 'string' ? session.user : undefined,
          });
          callback();
        }, (error: Error) => callback(error));
      },
    });
    // A client killed mid-session (the notifier SIGKILLed on purpose) resets its socket; smtp-server reports
    // that as an 'error' event, which would throw without a listener. A receiver only counts what arrived.
    server.on('error', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.server.address() as AddressInfo).port;
    receiver = new SmtpReceiver(server, port);
    return receiver;
  }

  waitFor(probe: () => boolean, timeoutMs: number, what = 'mails'): Promise<void> {
    if (probe()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { probe, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.messages.length} received)`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(mail: ReceivedMail): void {
    this.messages.push(mail);
    this.waiters = this.waiters.filter((w) => {
      if (!w.probe()) return true;
      w.resolve();
      return false;
    });
  }
}
