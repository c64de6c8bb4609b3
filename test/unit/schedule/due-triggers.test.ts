import { dueTriggers, isLastTradingDayOfMonth, isLastTradingDayOfWeek, nextTrigger, triggersForDay, type ScheduleConfig } from '../../../shared/schedule';
import { newYorkTime } from '../../../shared/time/trading-calendar';

const CONFIG: ScheduleConfig = { scanTimes: ['09:35', '12:00'], reconcileAfterCloseMinutes: 5, reportAfterCloseMinutes: 10 };
const utc = (ms: number) => new Date(ms).toISOString();
const plan = (day: string, config = CONFIG) => triggersForDay(day, config).map((t) => [t.key, t.kind, utc(t.dueAtMs)]);

describe('the daily schedule', () => {
  it('plans an ordinary winter day in New York time (EST, UTC-5)', () => {
    // Monday 2026-11-23: not the last trading day of the week or month
    expect(plan('2026-11-23')).toEqual([
      ['2026-11-23:scan:09:35', 'SCAN', '2026-11-23T14:35:00.000Z'],
      ['2026-11-23:scan:12:00', 'SCAN', '2026-11-23T17:00:00.000Z'],
      ['2026-11-23:reconcile-after-close', 'RECONCILE_AFTER_CLOSE', '2026-11-23T21:05:00.000Z'],
      ['2026-11-23:daily-report', 'DAILY_REPORT', '2026-11-23T21:10:00.000Z'],
    ]);
  });

  it('has nothing on holidays and weekends', () => {
    expect(triggersForDay('2026-11-26', CONFIG)).toEqual([]); // Thanksgiving
    expect(triggersForDay('2026-04-03', CONFIG)).toEqual([]); // Good Friday
    expect(triggersForDay('2026-11-28', CONFIG)).toEqual([]); // Saturday
    // 10:00 on Thanksgiving belongs to Friday's trading day, whose triggers are not due yet
    expect(dueTriggers(newYorkTime('2026-11-26', '10:00'), CONFIG, new Set())).toEqual([]);
    expect(dueTriggers(newYorkTime('2026-11-28', '16:30'), CONFIG, new Set())).toEqual([]);
  });

  it('runs close-relative jobs from the 13:00 early close, and the weekly report on the last day of the week', () => {
    // Friday 2026-11-27, day after Thanksgiving: close 13:00 EST = 18:00Z
    expect(plan('2026-11-27')).toEqual([
      ['2026-11-27:scan:09:35', 'SCAN', '2026-11-27T14:35:00.000Z'],
      ['2026-11-27:scan:12:00', 'SCAN', '2026-11-27T17:00:00.000Z'],
      ['2026-11-27:reconcile-after-close', 'RECONCILE_AFTER_CLOSE', '2026-11-27T18:05:00.000Z'],
      ['2026-11-27:daily-report', 'DAILY_REPORT', '2026-11-27T18:10:00.000Z'],
      ['2026-11-27:weekly-report', 'WEEKLY_REPORT', '2026-11-27T18:10:00.000Z'],
    ]);
  });

  it('skips scan times outside the session (after an early close, before the open)', () => {
    const config = { ...CONFIG, scanTimes: ['09:00', '12:00', '14:00'] };
    expect(plan('2026-11-27', config).filter(([, kind]) => kind === 'SCAN').map(([key]) => key)).toEqual(['2026-11-27:scan:12:00']);
    expect(plan('2026-11-23', config).filter(([, kind]) => kind === 'SCAN').map(([key]) => key)).toEqual(['2026-11-23:scan:12:00', '2026-11-23:scan:14:00']);
  });

  it('puts the weekly report on Thursday when Friday is a holiday, and handles Christmas Eve', () => {
    // Good Friday 2026-04-03: Thursday 04-02 is the week's last trading day
    expect(isLastTradingDayOfWeek('2026-04-02')).toBe(true);
    expect(plan('2026-04-02').map(([key]) => key)).toContain('2026-04-02:weekly-report');
    // Thursday 2026-12-24 closes at 13:00 and Friday is Christmas: weekly report at 13:10 EST = 18:10Z
    expect(plan('2026-12-24').filter(([, kind]) => kind !== 'SCAN')).toEqual([
      ['2026-12-24:reconcile-after-close', 'RECONCILE_AFTER_CLOSE', '2026-12-24T18:05:00.000Z'],
      ['2026-12-24:daily-report', 'DAILY_REPORT', '2026-12-24T18:10:00.000Z'],
      ['2026-12-24:weekly-report', 'WEEKLY_REPORT', '2026-12-24T18:10:00.000Z'],
    ]);
  });

  it('puts the monthly report on the last trading day of the month', () => {
    expect(isLastTradingDayOfMonth('2026-11-30')).toBe(true); // Monday
    expect(plan('2026-11-30').map(([key]) => key)).toEqual([
      '2026-11-30:scan:09:35', '2026-11-30:scan:12:00', '2026-11-30:reconcile-after-close', '2026-11-30:daily-report', '2026-11-30:monthly-report',
    ]);
    expect(isLastTradingDayOfMonth('2026-01-30')).toBe(true); // Jan 31 is a Saturday
    expect(isLastTradingDayOfMonth('2026-12-31')).toBe(true);
    expect(isLastTradingDayOfMonth('2026-12-30')).toBe(false);
    // Friday 2026-07-31 closes both the week and the month
    expect(plan('2026-07-31').map(([, kind]) => kind)).toEqual(['SCAN', 'SCAN', 'RECONCILE_AFTER_CLOSE', 'DAILY_REPORT', 'WEEKLY_REPORT', 'MONTHLY_REPORT']);
  });

  it('keeps New York wall-clock times across the DST changes', () => {
    // DST starts Sunday 2026-03-08: the 09:35 scan is 14:35Z on Friday 03-06 and 13:35Z on Monday 03-09
    expect(utc(triggersForDay('2026-03-06', CONFIG)[0]!.dueAtMs)).toBe('2026-03-06T14:35:00.000Z');
    expect(utc(triggersForDay('2026-03-09', CONFIG)[0]!.dueAtMs)).toBe('2026-03-09T13:35:00.000Z');
    expect(utc(triggersForDay('2026-03-09', CONFIG).find((t) => t.kind === 'DAILY_REPORT')!.dueAtMs)).toBe('2026-03-09T20:10:00.000Z');
    // DST ends Sunday 2026-11-01: 13:35Z on Friday 10-30, 14:35Z on Monday 11-02
    expect(utc(triggersForDay('2026-10-30', CONFIG)[0]!.dueAtMs)).toBe('2026-10-30T13:35:00.000Z');
    expect(utc(triggersForDay('2026-11-02', CONFIG)[0]!.dueAtMs)).toBe('2026-11-02T14:35:00.000Z');
    // At 09:34:59 EDT on 03-09 nothing is due; at 09:35 the scan is
    expect(dueTriggers(newYorkTime('2026-03-09', '09:35') - 1_000, CONFIG, new Set())).toEqual([]);
    expect(dueTriggers(newYorkTime('2026-03-09', '09:35'), CONFIG, new Set()).map((t) => t.key)).toEqual(['2026-03-09:scan:09:35']);
  });

  it('catches up on missed triggers of the same trading day once, but never on earlier days', () => {
    const at15 = newYorkTime('2026-11-23', '15:00');
    expect(dueTriggers(at15, CONFIG, new Set()).map((t) => t.key)).toEqual(['2026-11-23:scan:09:35', '2026-11-23:scan:12:00']);
    expect(dueTriggers(at15, CONFIG, new Set(['2026-11-23:scan:09:35'])).map((t) => t.key)).toEqual(['2026-11-23:scan:12:00']);
    // 23:59 the same evening: everything of the day is due
    expect(dueTriggers(newYorkTime('2026-11-23', '23:59'), CONFIG, new Set())).toHaveLength(4);
    // 00:30 the next morning: a new trading day; the missed ones of 11-23 are gone
    expect(dueTriggers(newYorkTime('2026-11-24', '00:30'), CONFIG, new Set())).toEqual([]);
  });

  it('tells the next trigger for status lines, across a weekend', () => {
    expect(nextTrigger(newYorkTime('2026-11-23', '10:00'), CONFIG)?.key).toBe('2026-11-23:scan:12:00');
    expect(nextTrigger(newYorkTime('2026-11-27', '18:00'), CONFIG)?.key).toBe('2026-11-30:scan:09:35');
  });
});
