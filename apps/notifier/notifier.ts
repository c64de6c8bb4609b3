import type { AlertChannel } from '../../shared/alerts/channels/channel';
import type { PlanSettings } from '../../shared/alerts/message-planner';
import { routeAlert } from '../../shared/alerts/routing';
import type { AlertsConfig } from '../../shared/config/alerts-schema';
import { AlertDeliveriesRepository, DbChangeProbe, isBusyError, type ClaimedMessage, type Db } from '../../shared/db';
import { errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import { ChannelWorker } from './channel-worker';

export interface NotifierDeps {
  db: Db;
  alerts: AlertsConfig;
  channels: readonly AlertChannel[];
  log: Logger;
  /** Each loop that completed (the heartbeat's progress). */
  onProgress?: () => void;
  onDelivered?: (message: ClaimedMessage) => void;
}

/** Alerts routed per transaction. */
const ROUTE_BATCH = 500;
/** Every channel looks for work at least this often (a timer lost to a clock jump, a DB that was locked). */
const SWEEP_MS = 5_000;
const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * The notifier: notices new outbox rows within `pollIntervalMs` (SQLite's data_version, a shared-memory
 * read), routes each to the channels its kind and severity pick (quiet hours hold the minor ones), and
 * lets each channel's worker deliver them. Everything it knows is in the DB: a restart resends only the
 * message that was in flight.
 */
export class Notifier {
  private readonly deliveries: AlertDeliveriesRepository;
  private readonly probe: DbChangeProbe;
  private readonly workers: ChannelWorker[];
  private timer: NodeJS.Timeout | undefined;
  private lastSweepMs = 0;
  private lastPruneMs = 0;
  private firstTick = true;

  constructor(private readonly d: NotifierDeps) {
    this.deliveries = new AlertDeliveriesRepository(d.db);
    this.probe = new DbChangeProbe(d.db);
    const settings: PlanSettings = {
      groupWindowMs: d.alerts.groupWindowSeconds * 1000,
      repeatIntervalMs: d.alerts.repeatIntervalMinutes * 60_000,
      maxAlertsPerMessage: 1_000,
    };
    this.workers = d.channels.map((channel) => new ChannelWorker({
      channel, deliveries: this.deliveries, settings, delivery: d.alerts.delivery, log: d.log, onDelivered: d.onDelivered,
    }));
  }

  /** Resends what was in flight when the last notifier died, drops deliveries to channels no longer configured, starts polling. */
  start(): void {
    const nowMs = Date.now();
    const names = this.d.channels.map((c) => c.name);
    const resent = this.deliveries.recoverInFlight(nowMs);
    const dropped = this.deliveries.dropUnconfigured(names, nowMs);
    this.d.log.info('notifier_started', {
      channels: this.d.channels.map((c) => c.description), resendingInFlight: resent, droppedForRemovedChannels: dropped,
      groupWindowSeconds: this.d.alerts.groupWindowSeconds, repeatIntervalMinutes: this.d.alerts.repeatIntervalMinutes,
    });
    if (names.length === 0) this.d.log.warn('no_alert_channels', { what: 'set ALERT_WEBHOOK_URL, ALERT_SLACK_WEBHOOK_URL or ALERT_SMTP_URL (with ALERT_EMAIL_FROM/TO): alerts are recorded but go nowhere' });
    this.tick();
    this.timer = setInterval(() => this.tick(), this.d.alerts.delivery.pollIntervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.workers.map((w) => w.stop()));
    await Promise.all(this.d.channels.map((c) => c.close().catch(() => undefined)));
  }

  private tick(): void {
    try {
      const nowMs = Date.now();
      const changed = this.probe.changedSinceLastLook() || this.firstTick;
      this.firstTick = false;
      const routedTo = changed ? this.routeNew(nowMs) : new Set<string>();
      const sweep = nowMs - this.lastSweepMs >= SWEEP_MS;
      if (sweep) this.lastSweepMs = nowMs;
      for (const worker of this.workers) if (sweep || routedTo.has(worker.name)) worker.kick();
      if (nowMs - this.lastPruneMs >= PRUNE_EVERY_MS) {
        this.lastPruneMs = nowMs;
        const pruned = this.deliveries.prune(nowMs - this.d.alerts.retentionDays * 86_400_000);
        if (pruned > 0) this.d.log.info('alerts_pruned', { alerts: pruned, olderThanDays: this.d.alerts.retentionDays });
      }
      this.d.onProgress?.();
    } catch (error) {
      if (isBusyError(error)) return; // another process holds the write lock: the next tick tries again
      this.d.log.error('notifier_tick_failed', { error: errorMessage(error) });
    }
  }

  /** Routes every alert not routed yet; returns the channels that got new deliveries. */
  private routeNew(nowMs: number): Set<string> {
    const touched = new Set<string>();
    const names = this.d.channels.map((c) => c.name);
    for (;;) {
      const batch = this.deliveries.unrouted(ROUTE_BATCH);
      if (batch.length === 0) break;
      const routes = batch.map((alert) => ({ alertId: alert.id, decisions: routeAlert(alert, names, this.d.alerts, nowMs) }));
      this.deliveries.route(routes, nowMs);
      for (const route of routes) for (const decision of route.decisions) touched.add(decision.channel);
      if (batch.length < ROUTE_BATCH) break;
    }
    return touched;
  }
}
