import { brokerDownAlert, processRestartedAlert } from '../../shared/alerts/fact-alerts';
import type { AlertDraft } from '../../shared/alerts/alert-types';
import type { ResolvedConfig } from '../../shared/config/schema';
import { isBusyError, type Heartbeat, type Repositories } from '../../shared/db';
import { errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import type { LivenessBeat } from '../../shared/process/liveness-file';
import type { Clock } from '../../shared/time/clock';
import { marketPhase, tradingDayOf } from '../../shared/time/trading-calendar';
import { gatewayNotBackAlert } from '../../shared/alerts/ops-alerts';
import { GatewayRestartWindow } from './gateway-window';
import { assessBot, judgeBeatAge, latestBeat, restartDelayMs, staleLimitMs, type BeatView, type ProcessView } from './health';
import { isAlreadyStarting, type Pm2Api } from './pm2-client';

/** Checked in this order: the exit manager first, so protection is back before anything else. */
export const SUPERVISED_APPS = ['exit-manager', 'day-trader', 'reconciler'] as const;

interface RestartRecord {
  recent: number;
  lastAtMs: number;
  pendingUntilMs: number;
}

const STABLE_RESET_MS = 60_000;
const BROKER_ALERT_EVERY_MS = 30_000;

export interface SupervisorDeps {
  pm2: Pm2Api;
  repos: Repositories;
  /** Market time: the trading day and market hours. */
  clock: Clock;
  log: Logger;
  config: ResolvedConfig;
  /** The bots' liveness files (shared/process/liveness-file.ts). */
  liveness: { read(app: string): LivenessBeat | undefined };
  /** Real time, the time heartbeats are stamped with (default Date.now). */
  realNowMs?: () => number;
  /** Sends a signal to a pid (default process.kill; tests record it instead). */
  kill?: (pid: number, signal: NodeJS.Signals) => void;
  /** True while another connection holds the DB's write lock, asked without waiting (db-lock-probe.ts; default: never). */
  dbLockHeldElsewhere?: () => boolean;
}

/**
 * Health checks through PM2, the heartbeat rows and the liveness files; restarts what is dead, stopped or
 * hung (the exit manager immediately, the others with back-off); rolls the trading day; reports broker
 * outages loudly. Holds no trading state: everything it decides on is re-read every cycle.
 *
 * A bot is hung when neither its row nor its liveness file got a beat within its staleness limit. A DB
 * write lock held by someone else stops the rows of every bot at once but none of the files, so it can
 * never make a live bot look hung; a bot hung while holding the lock itself stops both and is killed,
 * which releases the lock. A bot's own writes during a lock fail fast (db-lock-breaker.ts) but a late beat
 * is still possible then: while the lock is held (its beat says so, or the probe finds it) a late beat is
 * given `dbLockGraceMs` more before it counts as a hang (health.ts, judgeBeatAge).
 */
export class Supervisor {
  private readonly restarts = new Map<string, RestartRecord>();
  private readonly lastBrokerAlert = new Map<string, number>();
  private lastRolledDay: string | undefined;
  /** Since when bots report that their heartbeat rows are blocked by a lock, while that is said in the log. */
  private dbLockNotice: { sinceMs: number; apps: Set<string> } | undefined;
  private readonly unreadableLiveness = new Set<string>();
  private lastViews = new Map<string, ProcessView>();
  private readonly realNowMs: () => number;
  private readonly kill: (pid: number, signal: NodeJS.Signals) => void;
  private readonly gatewayWindow: GatewayRestartWindow;
  /** Bots whose late beat is currently excused by a DB lock: said once per episode. */
  private readonly lateDuringLock = new Set<string>();
  private lockProbeFailed = false;

  constructor(private readonly d: SupervisorDeps) {
    this.realNowMs = d.realNowMs ?? Date.now;
    this.kill = d.kill ?? ((pid, signal) => process.kill(pid, signal));
    this.gatewayWindow = new GatewayRestartWindow({
      restartTime: d.config.gateway.restartTime, restartWindowMinutes: d.config.gateway.restartWindowMinutes, graceMs: d.config.supervisor.brokerDownAlertSeconds * 1000,
    });
  }

  async check(): Promise<void> {
    const views = new Map((await this.d.pm2.list()).map((v) => [v.name, v]));
    this.lastViews = views;
    const rows = new Map(this.d.repos.heartbeats.getAll().map((h) => [h.app, h]));
    const nowMs = this.realNowMs();
    const beats: BeatView[] = [];
    const lockedRows: Array<{ app: string; sinceMs: number }> = [];
    for (const app of SUPERVISED_APPS) {
      const view: ProcessView = views.get(app) ?? { name: app, status: 'not_found', pid: undefined, uptimeMs: 0, restarts: 0 };
      const row = rows.get(app);
      const beat = latestBeat(view.pid, row, this.readLiveness(app));
      if (beat) beats.push(beat);
      if (this.rowBlockedByLock(app, view, row, beat, nowMs)) lockedRows.push({ app, sinceMs: beat!.waitingForDbLockSinceMs! });
      // The probe only for a late beat of the running pid: the one case a lock can excuse.
      const late = beat !== undefined && beat.pid === view.pid && nowMs - beat.beatAtMs > staleLimitMs(app, this.d.config);
      const health = assessBot(view, beat, nowMs, this.d.config, late && this.dbLockHeldElsewhere());
      this.noteLateDuringLock(app, health.healthy && late ? health.note : undefined);
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
    this.noteDbLock(lockedRows, nowMs);
    this.alertBrokerOutages(beats, nowMs);
    this.rollTradingDay();
  }

  /**
   * Between full checks: the exit manager's beats alone, every 250 ms. Its hang is the one that can leave a
   * fresh fill unprotected, so it is detected in about a second, not three.
   */
  async checkExitManagerFast(): Promise<void> {
    const app = 'exit-manager';
    const listed = this.lastViews.get(app);
    if (!listed || listed.status !== 'online' || !listed.pid) return;
    const record = this.restarts.get(app);
    if (record && this.realNowMs() < record.pendingUntilMs) return;
    if (!this.hungExitManager(listed.pid)) return;
    // The view is up to a check old: PM2 may have replaced the process since (a crash, a kill by someone
    // else). Only the pid PM2 runs now is judged; a new one booting belongs to the full check.
    const view = (await this.d.pm2.list()).find((v) => v.name === app);
    if (!view || view.status !== 'online' || view.pid !== listed.pid) return;
    const reason = this.hungExitManager(view.pid);
    if (!reason) return;
    const nowMs = this.realNowMs();
    await this.recover(app, view, reason, 'kill');
    this.restarts.set(app, { recent: (record?.recent ?? 0) + 1, lastAtMs: nowMs, pendingUntilMs: nowMs + this.d.config.supervisor.startupGraceMs / 2 });
  }

  /** Why the exit manager running as `pid` counts as hung, or undefined when it does not (fresh, or late during a DB lock). */
  private hungExitManager(pid: number): string | undefined {
    const app = 'exit-manager';
    const beat = latestBeat(pid, this.d.repos.heartbeats.get(app), this.readLiveness(app));
    if (!beat || beat.pid !== pid) return undefined; // booting: the full check owns that case
    const ageMs = this.realNowMs() - beat.beatAtMs;
    if (ageMs <= staleLimitMs(app, this.d.config)) {
      this.noteLateDuringLock(app, undefined);
      return undefined;
    }
    const verdict = judgeBeatAge(app, ageMs, { waitingForDbLock: beat.waitingForDbLockSinceMs != null, lockObserved: this.dbLockHeldElsewhere() }, this.d.config);
    this.noteLateDuringLock(app, verdict.lockWait ? verdict.reason : undefined);
    return verdict.hung ? verdict.reason : undefined;
  }

  /** The probe's answer; a probe that fails (not for a lock) excuses nothing and is said once. */
  private dbLockHeldElsewhere(): boolean {
    if (!this.d.dbLockHeldElsewhere) return false;
    try {
      const held = this.d.dbLockHeldElsewhere();
      this.lockProbeFailed = false;
      return held;
    } catch (error) {
      if (!this.lockProbeFailed) this.d.log.error('db_lock_probe_failed', { error: errorMessage(error), what: 'late heartbeats are judged without knowing whether the DB is locked' });
      this.lockProbeFailed = true;
      return false;
    }
  }

  /** Once per episode: a bot's beat is late and a DB lock held elsewhere is why it is not killed (yet). */
  private noteLateDuringLock(app: string, why: string | undefined): void {
    if (!why) {
      this.lateDuringLock.delete(app);
      return;
    }
    if (this.lateDuringLock.has(app)) return;
    this.lateDuringLock.add(app);
    this.d.log.warn('bot_late_during_db_lock', { target: app, reason: why, what: 'not killed for a lock held by someone else; killed if its beat stays away past the lock grace' });
  }

  private readLiveness(app: string): LivenessBeat | undefined {
    try {
      const beat = this.d.liveness.read(app);
      this.unreadableLiveness.delete(app);
      return beat;
    } catch (error) {
      // Without the file the row alone decides, as before the files existed: a lock then looks like a hang.
      if (!this.unreadableLiveness.has(app)) this.d.log.error('liveness_file_unreadable', { target: app, error: errorMessage(error), what: 'judging this bot by its heartbeat row alone' });
      this.unreadableLiveness.add(app);
      return undefined;
    }
  }

  /** The bot is alive by its liveness file, and its row is past the staleness limit because the DB is locked. */
  private rowBlockedByLock(app: string, view: ProcessView, row: Heartbeat | undefined, beat: BeatView | undefined, nowMs: number): boolean {
    if (!beat || beat.source !== 'file' || beat.pid !== view.pid || beat.waitingForDbLockSinceMs == null) return false;
    const rowAgeMs = row && row.pid === view.pid ? nowMs - row.beatAtMs : Infinity;
    return rowAgeMs > staleLimitMs(app, this.d.config) && nowMs - beat.beatAtMs <= staleLimitMs(app, this.d.config);
  }

  /** Said once per lock, and once when it is gone: the old supervisor would have killed these bots. */
  private noteDbLock(lockedRows: Array<{ app: string; sinceMs: number }>, nowMs: number): void {
    if (lockedRows.length > 0) {
      const sinceMs = Math.min(...lockedRows.map((l) => l.sinceMs));
      if (this.dbLockNotice) {
        for (const { app } of lockedRows) this.dbLockNotice.apps.add(app);
        return;
      }
      this.dbLockNotice = { sinceMs, apps: new Set(lockedRows.map((l) => l.app)) };
      const heldForS = Math.round((nowMs - sinceMs) / 100) / 10;
      this.d.log.warn('db_write_blocked', {
        heldForS, targets: lockedRows.map((l) => l.app),
        what: `db write lock held by someone else for ${heldForS} s: heartbeat rows cannot be written, the bots are alive (their liveness files are fresh) and are not restarted; close the other writer (a sqlite3 shell, a backup tool) if it lasts`,
      });
      return;
    }
    if (!this.dbLockNotice) return;
    this.d.log.info('db_write_unblocked', { blockedForS: Math.round((nowMs - this.dbLockNotice.sinceMs) / 100) / 10, targets: [...this.dbLockNotice.apps] });
    this.dbLockNotice = undefined;
  }

  private async recover(app: string, view: ProcessView, reason: string, action: 'restart' | 'kill'): Promise<void> {
    const { log } = this.d;
    log.error('bot_unhealthy', { target: app, reason, action, pid: view.pid, pm2Status: view.status });
    // The action first, the audit row after: with the DB locked the row may not be writable, the kill must happen.
    let outcome: string;
    if (action === 'kill' && view.pid) {
      outcome = await this.killHung(app, view.pid);
    } else {
      outcome = await this.restartThroughPm2(app);
    }
    this.recordEvent('bot_restarted', { target: app, reason, action, pid: view.pid, outcome }, 'error',
      processRestartedAlert({ app, previousPid: view.pid ?? null, reason: `${reason} (${action}: ${outcome})`, by: 'supervisor', tradingDay: tradingDayOf(this.d.clock.now()), atMs: this.realNowMs() }));
  }

  /** SIGKILL: a hung process does not handle SIGINT, and PM2's autorestart brings it back at once. */
  private async killHung(app: string, pid: number): Promise<string> {
    try {
      this.kill(pid, 'SIGKILL');
      return 'killed';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
        // Already gone: PM2 has seen the exit and is restarting it. Restarting it again would kill the new one.
        this.d.log.info('bot_already_gone', { target: app, pid, what: 'PM2 restarts it by itself' });
        return 'already-gone';
      }
      this.d.log.error('kill_failed', { target: app, pid, error: errorMessage(error), what: 'asking PM2 to restart it instead' });
      return this.restartThroughPm2(app);
    }
  }

  private async restartThroughPm2(app: string): Promise<string> {
    try {
      await this.d.pm2.restart(app);
      return 'restarted';
    } catch (error) {
      if (isAlreadyStarting(error)) {
        this.d.log.info('restart_already_in_progress', { target: app, pm2: errorMessage(error), what: 'PM2 is (re)starting it already; no second restart' });
        return 'already-starting';
      }
      this.d.log.error('restart_failed', { target: app, error: errorMessage(error) });
      return 'failed';
    }
  }

  /** "Broker disconnected for more than N seconds during market hours" is a health failure, said loudly. */
  private alertBrokerOutages(beats: Iterable<BeatView>, nowMs: number): void {
    const regular = marketPhase(this.d.clock.now()) === 'REGULAR';
    for (const hb of beats) {
      if (hb.brokerConnected !== false || !hb.brokerDownSinceMs) {
        if (hb.brokerConnected === true && this.gatewayWindow.connected(hb.app)) this.d.log.info('gateway_back_after_restart', { target: hb.app });
        continue;
      }
      // The gateway's daily restart: expected inside its window, a failure when it does not come back.
      if (!this.judgeRestartWindow(hb, nowMs)) continue;
      if (!regular) continue;
      const downMs = nowMs - hb.brokerDownSinceMs;
      if (downMs < this.d.config.supervisor.brokerDownAlertSeconds * 1000) continue;
      if (nowMs - (this.lastBrokerAlert.get(hb.app) ?? 0) < BROKER_ALERT_EVERY_MS) continue;
      this.lastBrokerAlert.set(hb.app, nowMs);
      this.d.log.error('broker_down_alert', { target: hb.app, downSeconds: Math.round(downMs / 1000), what: 'check the gateway (IB Gateway/TWS logged in, API enabled, port); positions stay protected by broker-side orders' });
      this.recordEvent('broker_down_alert', { target: hb.app, downSeconds: Math.round(downMs / 1000) }, 'error',
        brokerDownAlert({ app: hb.app, downSinceMs: hb.brokerDownSinceMs, downSeconds: Math.round(downMs / 1000), tradingDay: tradingDayOf(this.d.clock.now()) }));
    }
  }

  /** False when the restart window explains the outage (expected, or reported as not back): no broker_down_alert then. */
  private judgeRestartWindow(hb: BeatView, nowMs: number): boolean {
    const verdict = this.gatewayWindow.judge(hb.app, hb.brokerDownSinceMs!, this.d.clock.now(), nowMs);
    const { restartTime, restartWindowMinutes } = this.d.config.gateway;
    if (verdict.kind === 'unrelated') return true;
    if (verdict.kind === 'expected') {
      if (verdict.firstSeen) this.d.log.info('gateway_restart_window_disconnect', { target: hb.app, restartTime, restartWindowMinutes, what: 'the gateway\'s daily restart: expected, not a failure; positions stay protected at the broker' });
      return false;
    }
    if (verdict.kind === 'returning' || !verdict.firstTime) return false;
    const downSeconds = Math.round((nowMs - hb.brokerDownSinceMs!) / 1000);
    this.d.log.error('gateway_not_back', { target: hb.app, downSeconds, restartTime, restartWindowMinutes, what: 'the gateway did not come back after its daily restart: log it back in (IBC, or by hand; the weekly login may need two-factor approval)' });
    this.recordEvent('gateway_not_back', { target: hb.app, downSeconds, restartTime }, 'error',
      gatewayNotBackAlert({ app: hb.app, downSinceMs: hb.brokerDownSinceMs!, windowEndMs: verdict.windowEndedRealMs, downSeconds, restartTime }, tradingDayOf(this.d.clock.now())));
    return false;
  }

  /** Archives earlier days' closed rows; today's are never touched, so restarts forget nothing. */
  rollTradingDay(): void {
    const day = tradingDayOf(this.d.clock.now());
    if (day === this.lastRolledDay) return;
    let archived: number;
    try {
      ({ archived } = this.d.repos.closed.clearClosedToday(day));
    } catch (error) {
      if (!isBusyError(error)) throw error;
      this.d.log.warn('trading_day_roll_deferred', { tradingDay: day, what: 'the DB is locked by another process; retried at the next check' });
      return;
    }
    this.lastRolledDay = day;
    this.d.log.info('trading_day_rolled', { tradingDay: day, archived });
  }

  /** recordEvent for the host checks (disk, clock) beside the supervisor. */
  record(event: string, fields: Record<string, unknown>, level: 'info' | 'warn' | 'error', alert?: AlertDraft): void {
    this.recordEvent(event, fields, level, alert);
  }

  /** The audit trail in `events`; a locked DB costs the row (the log line has it), never the supervision. */
  private recordEvent(event: string, fields: Record<string, unknown>, level: 'info' | 'warn' | 'error', alert?: AlertDraft): void {
    try {
      // With an alert: the event row and the alert in one transaction (the outbox), once per fact.
      if (alert) this.d.repos.alerts.recordEventWithAlert({ event, data: fields, level }, alert);
      else this.d.repos.events.record('supervisor', event, fields, null, level);
    } catch (error) {
      if (!isBusyError(error)) throw error;
      this.d.log.warn('event_not_recorded', { event, error: errorMessage(error), what: 'the DB is locked by another process; the log line above is the record' });
    }
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
