import type { AuditEvent } from '../../../shared/db/repositories/events-repository';
import { changedParts, type ChangeFingerprint } from '../../../shared/db/repositories/change-fingerprint';
import { errorMessage } from '../../../shared/errors/errors';
import { tradingDayOf } from '../../../shared/time/trading-calendar';
import { chartPoints, type ChartPoint } from '../html/layout';
import { eventRow, eventsTable, overviewPanels } from '../html/overview-page';
import type { DashboardServices } from '../services';
import { buildOverview } from '../views/overview';
import type { SseClient, SseHub } from './sse-hub';

/** Audit events replayed to a reconnecting browser at most; beyond that it gets the newest table instead. */
const MAX_REPLAY = 500;
/** State pushes for heartbeat-only changes and moving prices: at most this often. */
const STATE_EVERY_MS = 1_000;
/** With nothing changing, the ages on the page still move: a push this often. */
const IDLE_STATE_EVERY_MS = 5_000;

export interface StateMessage {
  /** The newest audit event id when this state was read. */
  lastEventId: number;
  /** Re-rendered panels by element id (server-rendered HTML, the same templates as the page). */
  panels: Record<string, string>;
  /** Equity points as [snapshot id, market time (epoch s), NAV, drawdown %]: the day's last few, or all of them (`full`). */
  equity: { openNav: number | null; tradingDay: string | null; points: ChartPoint[]; full: boolean };
  /** A compact machine-readable summary (scripts, tests, the latency benchmark). */
  summary: {
    positions: Array<{ symbol: string; status: string; quantity: number; brokerQuantity: number | null; protection: string }>;
    fills: number;
    lastFillExecId: string | null;
    realizedPnl: number | null;
    alerts: number;
  };
  timing: { changeSeenAtMs: number | null; builtAtMs: number };
}

/**
 * Pushes the DB's changes to every browser on /api/events. While at least one listens, it reads SQLite's
 * change counter every DASHBOARD_POLL_MS (PRAGMA data_version: shared memory, microseconds) and, when
 * another process committed, a fingerprint of what changed (a few O(1) lookups): new audit events go out
 * at once with their DB id as SSE id; a change of positions, fills, snapshots, signals, reconciliation or
 * schedule rebuilds and pushes the overview at once; heartbeat-only commits (several a second) and new
 * prices are folded into at most one push a second. With nobody listening, nothing polls.
 */
export class LiveFeed {
  private timer: NodeJS.Timeout | undefined;
  private fingerprint: ChangeFingerprint | undefined;
  private broadcastEventId = 0;
  private dirty = false;
  private lastPushMs = 0;
  private building: Promise<void> | undefined;
  private buildAgain: number | null | undefined;
  private latest: { message: StateMessage; points: ChartPoint[] } | undefined;

  constructor(private readonly s: DashboardServices, private readonly hub: SseHub) {
    s.broker.onChange(() => (this.dirty = true));
  }

  async open(client: SseClient): Promise<void> {
    this.ensurePolling();
    try {
      if (client.lastEventId > 0) this.replay(client);
      else {
        // A client that names no event (not a reconnect, no ?since=) starts from now: no replay of history.
        const newest = this.s.db.read((r) => r.audit.recent(1)[0]?.id ?? 0);
        if (newest.ok) client.lastEventId = newest.value;
      }
      const now = Date.now();
      if (!this.latest || now - this.latest.message.timing.builtAtMs > STATE_EVERY_MS) await this.buildAndPush(null);
      if (this.latest) this.hub.send(client, 'state', { ...this.latest.message, equity: { ...this.latest.message.equity, points: this.latest.points, full: true } });
    } catch (error) {
      this.s.log.warn('sse_open_failed', { error: errorMessage(error) });
    }
  }

  closed(): void {
    if (this.hub.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private ensurePolling(): void {
    if (this.timer) return;
    this.fingerprint = undefined;
    this.timer = setInterval(() => this.poll(), this.s.config.dashboard.pollMs);
  }

  private poll(): void {
    if (this.hub.size === 0) return this.stop();
    const seenAtMs = Date.now();
    let urgent = false;
    try {
      if (this.s.db.changed()) {
        const read = this.s.db.read((r) => r.fingerprint.read(tradingDayOf(this.s.clock.now())));
        if (read.ok) {
          const parts = changedParts(this.fingerprint, read.value);
          this.fingerprint = read.value;
          if (parts.includes('eventsMaxId')) this.broadcastEvents();
          if (parts.includes('trading')) this.s.broker.refreshSoon();
          urgent = parts.some((p) => p !== 'heartbeats' && p !== 'eventsMaxId');
          if (parts.includes('heartbeats')) this.dirty = true;
        } else {
          urgent = true; // the DB became unreadable: say so now
        }
      }
    } catch (error) {
      this.s.log.warn('live_poll_failed', { error: errorMessage(error) });
    }
    const sinceLast = seenAtMs - this.lastPushMs;
    if (urgent) void this.buildAndPush(seenAtMs);
    else if ((this.dirty && sinceLast >= STATE_EVERY_MS) || sinceLast >= IDLE_STATE_EVERY_MS) void this.buildAndPush(null);
  }

  /** New audit rows to every client, each from where it is (a client that just replayed may be ahead). */
  private broadcastEvents(): void {
    const from = Math.min(this.broadcastEventId || Infinity, ...this.hub.all().map((c) => c.lastEventId));
    const read = this.s.db.read((r) => r.audit.after(Number.isFinite(from) ? from : 0, MAX_REPLAY));
    if (!read.ok || read.value.length === 0) return;
    for (const event of read.value) this.broadcastEventId = Math.max(this.broadcastEventId, event.id);
    for (const client of this.hub.all()) this.sendEvents(client, read.value);
  }

  private sendEvents(client: SseClient, events: AuditEvent[]): void {
    for (const event of events) {
      if (event.id <= client.lastEventId) continue;
      this.hub.send(client, 'audit', { event, html: eventRow(event).text }, event.id);
    }
  }

  /** What a reconnecting browser missed, by the id it last saw; too much to replay: the newest table instead. */
  private replay(client: SseClient): void {
    const read = this.s.db.read((r) => ({ missed: r.audit.after(client.lastEventId, MAX_REPLAY + 1), recent: r.audit.recent(30) }));
    if (!read.ok) return;
    const { missed, recent } = read.value;
    if (missed.length > MAX_REPLAY) {
      const newest = recent[0]?.id ?? client.lastEventId;
      this.hub.send(client, 'resync', { html: eventsTable(recent).text, lastEventId: newest }, newest);
      return;
    }
    this.sendEvents(client, missed);
    this.broadcastEventId = Math.max(this.broadcastEventId, client.lastEventId);
  }

  /** Builds the overview once (pushes that arrive meanwhile coalesce into one more build) and broadcasts it. */
  private buildAndPush(changeSeenAtMs: number | null): Promise<void> {
    if (this.building) {
      this.buildAgain = this.buildAgain === undefined ? changeSeenAtMs : this.buildAgain ?? changeSeenAtMs;
      return this.building;
    }
    this.dirty = false;
    this.building = (async () => {
      try {
        const data = await buildOverview(this.s);
        const message: StateMessage = {
          lastEventId: data.lastEventId,
          panels: overviewPanels(data),
          equity: { openNav: data.equity.openNav, tradingDay: data.equity.tradingDay, points: chartPoints(data.equity.points.slice(-10)), full: false },
          summary: {
            positions: data.positions.map((p) => ({ symbol: p.symbol, status: p.status, quantity: p.quantity, brokerQuantity: p.brokerQuantity, protection: p.protection })),
            fills: data.fills.length,
            lastFillExecId: data.fills[0]?.execId ?? null,
            realizedPnl: data.status.pnl.realized,
            alerts: data.status.alerts.length,
          },
          timing: { changeSeenAtMs, builtAtMs: Date.now() },
        };
        this.latest = { message, points: chartPoints(data.equity.points) };
        this.lastPushMs = Date.now();
        this.hub.broadcast('state', message);
      } catch (error) {
        this.s.log.warn('live_state_failed', { error: errorMessage(error) });
      } finally {
        this.building = undefined;
      }
      if (this.buildAgain !== undefined) {
        const again = this.buildAgain;
        this.buildAgain = undefined;
        await this.buildAndPush(again);
      }
    })();
    return this.building;
  }
}
