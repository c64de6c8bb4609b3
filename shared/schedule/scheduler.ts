import type Database from 'better-sqlite3';
import type { ReportFormat, ReportPeriodKind } from '../analytics/report/report-model';
import { daySummaryFigures } from '../alerts/daily-summary';
import { dailySummaryAlert } from '../alerts/fact-alerts';
import { backupFailedAlert } from '../alerts/ops-alerts';
import { AlertsOutboxRepository } from '../db/repositories/alerts-outbox-repository';
import { EventsRepository } from '../db/repositories/events-repository';
import { isoTime } from '../db/types';
import { errorMessage } from '../errors/errors';
import { generateReport } from '../history/generate-report';
import type { Logger } from '../log/logger';
import type { Clock } from '../time/clock';
import { tradingDayOf, type TradingDay } from '../time/trading-calendar';
import { REPORT_TRIGGER_KINDS, dueTriggers, type ScheduleConfig, type Trigger, type TriggerKind } from './due-triggers';
import { ScheduleRepository, type FiredTrigger } from './schedule-repository';

export interface SchedulerOptions {
  db: Database.Database;
  clock: Clock;
  /** The resolved config's `schedule` and `paths.reports` (a ResolvedConfig fits). */
  config: { schedule: ScheduleConfig; paths: { reports: string } };
  log: Logger;
  /** Name in events and in `consumedBy` of the report triggers (default 'supervisor'). */
  app?: string;
  /** Formats of the scheduled reports (default md and html). */
  reportFormats?: readonly ReportFormat[];
  initialCapital?: number;
  riskFreeRate?: number;
  /**
   * Runs the day's BACKUP trigger (the supervisor: the db-backup code in a child process) and resolves to what
   * it made; a rejection is the failure. Without it BACKUP triggers stay FIRED and expire.
   */
  runBackup?: (trigger: FiredTrigger) => Promise<Record<string, unknown>>;
}

const PERIOD_OF: Partial<Record<TriggerKind, ReportPeriodKind>> = { DAILY_REPORT: 'daily', WEEKLY_REPORT: 'weekly', MONTHLY_REPORT: 'monthly' };

/** A trigger that fired more than this after its time is logged as late (a catch-up after a restart). */
const LATE_AFTER_MS = 60_000;

/**
 * Fires the day's triggers (see due-triggers.ts) and runs the report triggers itself. The supervisor calls
 * `tick()` every second (or `start()` runs it on a timer). Everything it knows is in the DB, so a restarted
 * supervisor carries on: fired keys are not fired again, report triggers fired but not yet run are run.
 * SCAN and RECONCILE_AFTER_CLOSE triggers stay FIRED until the day-trader / reconciler consumes them
 * (ScheduleRepository.consumeNext); at the next trading day the unconsumed ones become EXPIRED.
 */
export class Scheduler {
  readonly repository: ScheduleRepository;
  private readonly events: EventsRepository;
  private readonly app: string;
  private lastTradingDay: TradingDay | undefined;
  private timer: NodeJS.Timeout | undefined;
  private alertsRepo: AlertsOutboxRepository | undefined;
  private backupRunning = false;

  constructor(private readonly options: SchedulerOptions) {
    this.repository = new ScheduleRepository(options.db, options.clock);
    this.events = new EventsRepository(options.db, options.clock);
    this.app = options.app ?? 'supervisor';
  }

  /** One pass: fire what is due, run pending report triggers of today. Returns the triggers fired now. */
  tick(): Trigger[] {
    const nowMs = this.options.clock.now();
    const tradingDay = tradingDayOf(nowMs);
    if (tradingDay !== this.lastTradingDay) {
      const expired = this.repository.expireBefore(tradingDay);
      if (expired > 0) this.options.log.info('schedule_triggers_expired', { tradingDay, expired });
      this.lastTradingDay = tradingDay;
    }
    const fired: Trigger[] = [];
    for (const trigger of dueTriggers(nowMs, this.options.config.schedule, this.repository.firedKeys(tradingDay))) {
      if (!this.repository.fire(trigger)) continue; // another supervisor instance fired it first
      fired.push(trigger);
      const lateMs = nowMs - trigger.dueAtMs;
      const fields = { kind: trigger.kind, key: trigger.key, tradingDay: trigger.tradingDay, dueAt: isoTime(trigger.dueAtMs), lateMs, late: lateMs > LATE_AFTER_MS };
      this.options.log.info('schedule_triggered', fields);
      this.events.record(this.app, 'schedule_triggered', fields);
    }
    for (const kind of REPORT_TRIGGER_KINDS) {
      for (const pending of this.repository.pending(kind, tradingDay)) this.runReport(pending);
    }
    if (this.options.runBackup && !this.backupRunning) {
      const backup = this.repository.pending('BACKUP', tradingDay)[0];
      if (backup) this.startBackup(backup, this.options.runBackup);
    }
    return fired;
  }

  /** Runs `tick` every `intervalMs` real ms until `stop`; a failing tick is logged and the next one runs. */
  start(intervalMs = 1_000): void {
    if (this.timer) return;
    const run = () => {
      try {
        this.tick();
      } catch (error) {
        this.options.log.error('schedule_tick_failed', { error });
      }
    };
    run();
    this.timer = setInterval(run, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Whether a backup started by this scheduler is still running (tests, shutdown). */
  get backupInProgress(): boolean {
    return this.backupRunning;
  }

  /** Consumes the trigger, runs the job without blocking the tick, records DONE or FAILED (+ an alert). */
  private startBackup(trigger: FiredTrigger, run: (trigger: FiredTrigger) => Promise<Record<string, unknown>>): void {
    if (!this.repository.markConsumed(trigger.key, this.app)) return;
    this.backupRunning = true;
    this.options.log.info('backup_started', { key: trigger.key, tradingDay: trigger.tradingDay });
    void run(trigger).then((result) => {
      this.repository.complete(trigger.key, 'DONE', result);
      this.events.record(this.app, 'backup_written', { key: trigger.key, ...result });
      this.options.log.info('backup_written', { key: trigger.key, ...result });
    }, (error: unknown) => {
      const fields = { key: trigger.key, tradingDay: trigger.tradingDay, error: errorMessage(error) };
      this.options.log.error('backup_failed', fields);
      try {
        this.repository.complete(trigger.key, 'FAILED', { error: errorMessage(error) });
        this.alerts().recordEventWithAlert({ event: 'backup_failed', data: fields, level: 'error' }, backupFailedAlert(trigger.tradingDay, errorMessage(error)));
      } catch (recordError) {
        this.options.log.error('backup_failure_not_recorded', { key: trigger.key, error: errorMessage(recordError) });
      }
    }).catch((error: unknown) => {
      // Recording the outcome itself failed (a DB lock): the log line is the record.
      this.options.log.error('backup_outcome_not_recorded', { key: trigger.key, error: errorMessage(error) });
    }).finally(() => {
      this.backupRunning = false;
    });
  }

  private alerts(): AlertsOutboxRepository {
    this.alertsRepo ??= new AlertsOutboxRepository(this.options.db, this.options.clock, this.app);
    return this.alertsRepo;
  }

  private runReport(trigger: FiredTrigger): void {
    const period = PERIOD_OF[trigger.kind];
    if (!period || !this.repository.markConsumed(trigger.key, this.app)) return;
    try {
      const report = generateReport(this.options.db, this.options.clock, {
        period,
        date: trigger.tradingDay,
        formats: this.options.reportFormats ?? ['md', 'html'],
        reportsDir: this.options.config.paths.reports,
        initialCapital: this.options.initialCapital,
        riskFreeRate: this.options.riskFreeRate,
      });
      const fields = { kind: trigger.kind, key: trigger.key, period: report.data.period.key, files: report.files, trades: report.data.trades.length };
      // The trigger's completion, its audit row and (for the daily report) the daily summary alert: one transaction.
      const finish = this.options.db.transaction(() => {
        this.repository.complete(trigger.key, 'DONE', { files: report.files });
        this.events.record(this.app, 'report_written', fields);
        if (trigger.kind === 'DAILY_REPORT') this.alerts().enqueue(dailySummaryAlert(daySummaryFigures(report.data, trigger.tradingDay, report.files)));
      });
      finish.immediate();
      this.options.log.info('report_written', fields);
    } catch (error) {
      this.repository.complete(trigger.key, 'FAILED', { error: errorMessage(error) });
      this.options.log.error('report_failed', { kind: trigger.kind, key: trigger.key, error });
      this.events.record(this.app, 'report_failed', { kind: trigger.kind, key: trigger.key, error: errorMessage(error) }, null, 'error');
    }
  }
}
