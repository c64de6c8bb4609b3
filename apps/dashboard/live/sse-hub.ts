import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseClient {
  id: number;
  res: ServerResponse;
  /** The newest audit event id this client has been sent. */
  lastEventId: number;
  connectedAtMs: number;
}

/** A client that lets this much unread data pile up is dropped (its browser reconnects and resumes by id). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const KEEPALIVE_MS = 15_000;

/**
 * The Server-Sent Events side of /api/events. Audit events go out with `id: <events.id>`, so the browser's
 * EventSource remembers the last DB event it saw and sends it back as Last-Event-ID when it reconnects;
 * state messages carry no id (they are idempotent: the latest one is the truth).
 */
export class SseHub {
  private readonly clients = new Set<SseClient>();
  private nextId = 1;
  private keepalive: NodeJS.Timeout | undefined;

  get size(): number {
    return this.clients.size;
  }

  all(): SseClient[] {
    return [...this.clients];
  }

  /** Opens the stream; `since` is the audit id the client has (Last-Event-ID header, else ?since=). */
  open(req: IncomingMessage, res: ServerResponse, onClose: (client: SseClient) => void): SseClient {
    const header = req.headers['last-event-id'];
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams.get('since');
    const since = Number(Array.isArray(header) ? header[0] : header ?? query ?? 0);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // nginx and other proxies must pass each message at once, not buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    const client: SseClient = { id: this.nextId++, res, lastEventId: Number.isFinite(since) && since > 0 ? Math.floor(since) : 0, connectedAtMs: Date.now() };
    this.clients.add(client);
    // A reconnecting browser waits this long (ms) before trying again.
    res.write('retry: 2000\n\n');
    const close = () => {
      if (!this.clients.delete(client)) return;
      onClose(client);
    };
    req.on('close', close);
    res.on('error', close);
    this.keepalive ??= setInterval(() => this.broadcastComment('keepalive'), KEEPALIVE_MS).unref();
    return client;
  }

  send(client: SseClient, event: string, data: unknown, id?: number): void {
    if (client.res.writableEnded) return;
    if (client.res.writableLength > MAX_BUFFERED_BYTES) {
      client.res.destroy(new Error('SSE client too slow'));
      return;
    }
    const payload = JSON.stringify(data);
    client.res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${payload}\n\n`);
    if (id !== undefined && id > client.lastEventId) client.lastEventId = id;
  }

  broadcast(event: string, data: unknown): void {
    const payload = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of this.clients) {
      if (client.res.writableEnded) continue;
      if (client.res.writableLength > MAX_BUFFERED_BYTES) {
        client.res.destroy(new Error('SSE client too slow'));
        continue;
      }
      client.res.write(payload);
    }
  }

  private broadcastComment(text: string): void {
    for (const client of this.clients) if (!client.res.writableEnded) client.res.write(`: ${text}\n\n`);
    if (this.clients.size === 0 && this.keepalive) {
      clearInterval(this.keepalive);
      this.keepalive = undefined;
    }
  }

  closeAll(): void {
    for (const client of this.clients) client.res.end();
    this.clients.clear();
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = undefined;
  }
}
