export {
  TRIGGER_KINDS, REPORT_TRIGGER_KINDS, dueTriggers, triggersForDay, nextTrigger, isLastTradingDayOfWeek, isLastTradingDayOfMonth,
  type Trigger, type TriggerKind, type ScheduleConfig,
} from './due-triggers';
export { ScheduleRepository, type FiredTrigger, type TriggerStatus } from './schedule-repository';
export { Scheduler, type SchedulerOptions } from './scheduler';
