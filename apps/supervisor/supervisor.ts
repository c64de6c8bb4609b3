import type { ResolvedConfig } from '../../shared/config/schema';
import type { Repositories } from '../../shared/db';
import { errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import { marketPhase, tradingDayOf } from '../../shared/time/trading-calendar';
import { assessBot, restartDelayMs, staleLimitMs, type ProcessView } from './health';
import type { Pm2Client } from './pm2-client';

/** Checked in this order: the exit manager first, so protection is back before anything else. */
export const SUPERVISED_APPS = ['exit-manager', 'day-trader', 'reconciler'] as const;

interface RestartRecord {
  recent: number;
  lastAtMs: number;
  pendingUntilMs: number;
}

const STABLE_RESET_MS = 60_000;
const BROKER_ALERT_EVERY_MS = 30_000;

/**
 * Health checks through PM2 and the heartbeats table; restarts what is dead, stopped or hung (the exit
 * manager immediately, the others with back-off); rolls the trading day; reports broker outages loudly.
 * Holds no trading state: everything it decides on is re-read every cycle.
 */
export class Supervisor {
  private readonly restarts = new Map<string, RestartRecord>();
  private readonly lastBrokerAlert = new Map<string, number>();
  private lastRolledDay: string | undefined;

  private lastDbLockNoticeMs = 0;

  private lastViews = new Map<string, ProcessView>();

  constructor(private readonly d: {
    pm2: Pm2Client; repos: Repositories; clock: Clock; log: Logger; config: ResolvedConfig;
    /** How long the DB has been writable for the supervisor, continuously (its own heartbeat writes). */
    dbWritableForMs: () => number;
    /** Can the DB be written right now? (a momentary write lock, 50 ms patience) */
    probeDbWritable: () => boolean;
  }) {}

  async check(): Promise<void> {
    const views = new Map((await this.d.pm2.list()).map((v) => [v.name, v]));
    this.lastViews = views;
    const heartbeats = new Map(this.d.repos.heartbeats.getAll().map((h) => [h.app, h]));
    const nowMs = Date.now();
    for (const app of SUPERVISED_APPS) {
      const view: ProcessView = views.get(app) ?? { name: app, status: 'not_found', pid: undefined, uptimeMs: 0, restarts: 0 };
      let health = assessBot(view, heartbeats.get(app), nowMs, this.d.config);
      // A long write lock on the DB stops every heartbeat at once: that is not a hung bot. Stale heartbeats
      // count only once the DB has been writable (for us) longer than the staleness limit.
      if (!health.healthy && health.action === 'kill' && (this.d.dbWritableForMs() < staleLimitMs(app, this.d.config) || !this.d.probeDbWritable())) {
        if (nowMs - this.lastDbLockNoticeMs > 5_000) {
          this.lastDbLockNoticeMs = nowMs;
          this.d.log.warn('db_write_blocked', { what: 'heartbeats cannot be written (a long write lock on the DB?); stale heartbeats are not acted on until writes succeed again', target: app, reason: health.reason });
        }
        health = { healthy: true, note: 'db-locked' };
      }
      const record = this.restarts.get(app) ?? { recent: 0, lastAtMs: 0, pendingUntilMs: 0 };
      if (health.healthy) {
        if (record.recent > 0 && nowMs - record.lastAtMs > STABLE_RESET_MS) this.restarts.delete(app);
        continue;
      }
      if (nowMs < record.pendingUntilMs) continue;
      const delayMs = restartDelayMs(app, record.recent, this.d.config);
      if (delayMs > 0 && nowMs - record.lastAtMs < delayMs) continue;
      await this.recover(app, view, health.reason, health.action);
      this.restarts.set(app, { recent: record.recent + 1, lastAtMs: nowMs, pendingUntilMs: nowMs + this.d.config.supervisor.startupGraceMs / 2 });
    }
    this.alertBrokerOutages(heartbeats.values(), nowMs);
    this.rollTradingDay();
  }

  /**
   * Between full checks: the exit manager's heartbeat alone, every 250 ms. Its hang is the one that can
   * leave a fresh fill unprotected, so it is detected in about a second, not three.
   */
  async checkExitManagerFast(): Promise<void> {
    const view = this.lastViews.get('exit-manager');
    if (!view || view.status !== 'online' || !view.pid) return;
    const record = this.restarts.get('exit-manager');
    const nowMs = Date.now();
    if (record && nowMs < record.pendingUntilMs) return;
    const heartbeat = this.d.repos.heartbeats.get('exit-manager');
    if (!heartbeat || heartbeat.pid !== view.pid) return; // booting: the full check owns that case
    const ageMs = nowMs - heartbeat.beatAtMs;
    if (ageMs <= staleLimitMs('exit-manager', this.d.config)) return;
    if (this.d.dbWritableForMs() < staleLimitMs('exit-manager', this.d.config) || !this.d.probeDbWritable()) return; // a DB lock, not a hang
    await this.recover('exit-manager', view, `heartbeat stale for ${ageMs} ms (event loop hung)`, 'kill');
    this.restarts.set('exit-manager', { recent: (record?.recent ?? 0) + 1, lastAtMs: nowMs, pendingUntilMs: nowMs + this.d.config.supervisor.startupGraceMs / 2 });
  }

  private async recover(app: string, view: ProcessView, reason: string, action: 'restart' | 'kill'): Promise<void> {
    const { log, repos } = this.d;
    log.error('bot_unhealthy', { target: app, reason, action, pid: view.pid, pm2Status: view.status });
    repos.events.record('supervisor', 'bot_restarted', { target: app, reason, action, pid: view.pid }, null, 'error');
    try {
      if (action === 'kill' && view.pid) {
        // A hung process does not handle SIGINT; SIGKILL is immediate and PM2's autorestart brings it back.
        process.kill(view.pid, 'SIGKILL');
      } else {
        await this.d.pm2.restart(app);
      }
    } catch (error) {
      log.error('restart_failed', { target: app, error: errorMessage(error) });
      if (action === 'kill') await this.d.pm2.restart(app).catch((e) => log.error('restart_failed', { target: app, error: errorMessage(e) }));
    }
  }

  /** "Broker disconnected for more than N seconds during market hours" is a health failure, said loudly. */
  private alertBrokerOutages(heartbeats: Iterable<{ app: string; brokerConnected: boolean | null; brokerDownSinceMs: number | null; beatAtMs: number }>, nowMs: number): void {
    if (marketPhase(this.d.clock.now()) !== 'REGULAR') return;
    for (const hb of heartbeats) {
      if (hb.brokerConnected !== false || !hb.brokerDownSinceMs) continue;
      const downMs = nowMs - hb.brokerDownSinceMs;
      if (downMs < this.d.config.supervisor.brokerDownAlertSeconds * 1000) continue;
      if (nowMs - (this.lastBrokerAlert.get(hb.app) ?? 0) < BROKER_ALERT_EVERY_MS) continue;
      this.lastBrokerAlert.set(hb.app, nowMs);
      this.d.log.error('broker_down_alert', { target: hb.app, downSeconds: Math.round(downMs / 1000), what: 'check the gateway (IB Gateway/TWS logged in, API enabled, port); positions stay protected by broker-side orders' });
      this.d.repos.events.record('supervisor', 'broker_down_alert', { target: hb.app, downSeconds: Math.round(downMs / 1000) }, null, 'error');
    }
  }

  /** Archives earlier days' closed rows; today's are never touched, so restarts forget nothing. */
  rollTradingDay(): void {
    const day = tradingDayOf(this.d.clock.now());
    if (day === this.lastRolledDay) return;
    const { archived } = this.d.repos.closed.clearClosedToday(day);
    this.lastRolledDay = day;
    this.d.log.info('trading_day_rolled', { tradingDay: day, archived });
  }

  /** One line for the log: each bot, active positions, closed today, day P&L. */
  statusLine(views: ProcessView[]): Record<string, unknown> {
    const day = tradingDayOf(this.d.clock.now());
    const heartbeats = new Map(this.d.repos.heartbeats.getAll().map((h) => [h.app, h]));
    const bots = Object.fromEntries(SUPERVISED_APPS.map((app) => {
      const view = views.find((v) => v.name === app);
      const hb = heartbeats.get(app);
      return [app, view?.status === 'online' ? `running/${hb?.state ?? 'no-heartbeat'}${hb?.brokerConnected === false ? '/broker-down' : ''}` : 'stopped'];
    }));
    const closed = this.d.repos.closed.getClosedToday(day);
    const latest = this.d.repos.reconciliation.latest();
    return {
      tradingDay: day, bots, active: this.d.repos.positions.countActive(), closedToday: closed.length,
      dayRealizedPnl: Math.round(closed.reduce((n, r) => n + r.realizedPnl, 0) * 100) / 100,
      unrealizedPnl: latest?.unrealizedPnl ?? null,
    };
  }
}
