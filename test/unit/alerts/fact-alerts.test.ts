import { DEFAULT_ALERT_THRESHOLDS } from '../../../shared/alerts/alert-types';
import { dailyLossLevel } from '../../../shared/alerts/daily-loss';
import {
  brokerDownAlert, entryComplete, positionClosedAlerts, processRestartedAlert, reconciliationAlerts, type ClosedFact,
} from '../../../shared/alerts/fact-alerts';
import type { ActivePosition } from '../../../shared/db/types';

const closed = (realizedPnl: number, exitReason = 'PROFIT_TARGET', positionId = 'P-1'): ClosedFact => ({
  symbol: 'NOVA', closeDate: '2026-11-23', positionId, quantity: 100, entryPrice: 50, exitPrice: 51, exitReason, profitLossPct: 2, realizedPnl,
  commission: 2, agentName: 'gap-momentum', entryTimestamp: '2026-11-23T14:40:00.000Z', timestamp: '2026-11-23T15:00:00.000Z',
});

describe('the alerts a fact makes', () => {
  const thresholds = { largeWinAmount: 500, largeLossAmount: 300, pnlMilestones: [1_000, 250], dailyLossNearPct: 80 };

  it('a close is one alert with its reason; a stop-out is a warning, a take-profit info', () => {
    const [takeProfit] = positionClosedAlerts(closed(98), 0, 98, thresholds);
    expect(takeProfit).toMatchObject({ kind: 'position_closed', severity: 'info', dedupeKey: 'position_closed:P-1', symbol: 'NOVA' });
    expect(takeProfit!.title).toMatch(/NOVA closed, take-profit hit: \+98\.00/);
    const [stop] = positionClosedAlerts(closed(-45, 'STOP_LOSS'), 0, -45, thresholds);
    expect(stop).toMatchObject({ severity: 'warning' });
    expect(stop!.title).toMatch(/stop-loss hit: -45\.00/);
  });

  it('a large win or loss only from the configured amount on, and 0 turns it off', () => {
    const noMilestones = { ...thresholds, pnlMilestones: [] };
    expect(positionClosedAlerts(closed(499.99), 0, 499.99, noMilestones).map((a) => a.kind)).toEqual(['position_closed']);
    expect(positionClosedAlerts(closed(500), 0, 500, noMilestones).map((a) => a.kind)).toEqual(['position_closed', 'large_win']);
    expect(positionClosedAlerts(closed(-300, 'STOP_LOSS'), 0, -300, thresholds).map((a) => a.kind)).toEqual(['position_closed', 'large_loss', 'pnl_milestone']);
    expect(positionClosedAlerts(closed(-5_000), 0, -5_000, { ...thresholds, largeLossAmount: 0, pnlMilestones: [] }).map((a) => a.kind)).toEqual(['position_closed']);
  });

  it('each P&L milestone the day crosses, up or down, keyed per day so it is told once', () => {
    const up = positionClosedAlerts(closed(900), 200, 1_100, thresholds).filter((a) => a.kind === 'pnl_milestone');
    expect(up.map((a) => a.dedupeKey)).toEqual(['pnl_milestone:2026-11-23:+250', 'pnl_milestone:2026-11-23:+1000']);
    // Staying above, or crossing back down through +250, is not a new milestone; reaching -250 is.
    expect(positionClosedAlerts(closed(100), 1_100, 1_200, thresholds).filter((a) => a.kind === 'pnl_milestone')).toEqual([]);
    const down = positionClosedAlerts(closed(-1_300, 'STOP_LOSS'), 1_100, -200, thresholds).filter((a) => a.kind === 'pnl_milestone');
    expect(down).toEqual([]);
    const belowZero = positionClosedAlerts(closed(-100, 'STOP_LOSS'), -200, -300, thresholds).filter((a) => a.kind === 'pnl_milestone');
    expect(belowZero.map((a) => [a.dedupeKey, a.severity])).toEqual([['pnl_milestone:2026-11-23:-250', 'warning']]);
  });

  it('an entry is told when it is complete: booked, no longer working, every reported share booked', () => {
    const base = { entryBooked: 100, entryReported: 100, entryWorking: false } as ActivePosition;
    expect(entryComplete(base)).toBe(true);
    expect(entryComplete({ ...base, entryWorking: true })).toBe(false);
    expect(entryComplete({ ...base, entryBooked: 60 })).toBe(false);
    expect(entryComplete({ ...base, entryBooked: 0, entryReported: 0 })).toBe(false);
  });

  it('reconciliation: one alert per mismatched symbol, none for OK, foreign or deferred symbols; flagged is critical', () => {
    const details = [
      { symbol: 'AAA', status: 'OK', action: 'none', flagged: false },
      { symbol: 'BBB', status: 'FOREIGN', action: '10 shares not ours', flagged: false },
      { symbol: 'CCC', status: 'DISCREPANCY', action: 'deferred: a fill of ours is younger than the broker\'s reports lag; re-checked next run', flagged: false },
      { symbol: 'DDD', status: 'DISCREPANCY', action: '1 execution(s) outside our orders booked (MANUAL)', flagged: false, dbQuantity: 100, brokerQuantity: 60, positionId: 'P-D' },
      { symbol: 'EEE', status: 'MISSING_AT_BROKER', action: 'the broker holds 0 but the DB 50', flagged: true, dbQuantity: 50, brokerQuantity: 0, positionId: 'P-E' },
      'not a report',
    ];
    const alerts = reconciliationAlerts({ id: 7, tradingDay: '2026-11-23', trigger: 'interval', status: 'FLAGGED' }, details);
    expect(alerts.map((a) => [a.symbol, a.severity, a.conditionKey])).toEqual([['DDD', 'warning', 'reconciliation:DDD'], ['EEE', 'critical', 'reconciliation:EEE']]);
    expect(reconciliationAlerts({ id: 8, tradingDay: '2026-11-23', trigger: 'interval', status: 'OK' }, details)).toEqual([]);
  });

  it('a restart is keyed by the pid that died, so the supervisor and the restarted process say it once', () => {
    const bySupervisor = processRestartedAlert({ app: 'exit-manager', previousPid: 4242, reason: 'heartbeat stale', by: 'supervisor', tradingDay: '2026-11-23', atMs: 1 });
    const byProcess = processRestartedAlert({ app: 'exit-manager', previousPid: 4242, reason: 'ended without a shutdown', by: 'exit-manager', tradingDay: '2026-11-23', atMs: 2 });
    expect(bySupervisor.dedupeKey).toBe(byProcess.dedupeKey);
    expect(bySupervisor.conditionKey).toBe('process_restarted:exit-manager');
    expect(processRestartedAlert({ app: 'x', previousPid: null, reason: 'r', by: 's', tradingDay: 'd', atMs: 1 }).dedupeKey)
      .not.toBe(processRestartedAlert({ app: 'x', previousPid: null, reason: 'r', by: 's', tradingDay: 'd', atMs: 2 }).dedupeKey);
  });

  it('a gateway outage is one alert per outage and app, all outages one condition', () => {
    const a = brokerDownAlert({ app: 'day-trader', downSinceMs: 1_000, downSeconds: 31, tradingDay: '2026-11-23' });
    expect(brokerDownAlert({ app: 'day-trader', downSinceMs: 1_000, downSeconds: 61, tradingDay: '2026-11-23' }).dedupeKey).toBe(a.dedupeKey);
    expect(a.conditionKey).toBe('broker_down');
    expect(a.severity).toBe('critical');
  });

  it('the daily loss limit: near from the configured share of it, reached at it', () => {
    expect(dailyLossLevel(-100, 2_000, 80)).toBeUndefined();
    expect(dailyLossLevel(-1_600, 2_000, 80)).toBe('near');
    expect(dailyLossLevel(-2_000, 2_000, 80)).toBe('reached');
    expect(dailyLossLevel(-10, 0, 80)).toBeUndefined();
  });

  it('has defaults that match the schema', () => {
    expect(DEFAULT_ALERT_THRESHOLDS).toEqual({ largeWinAmount: 1_000, largeLossAmount: 1_000, pnlMilestones: [1_000, 2_500, 5_000], dailyLossNearPct: 80 });
  });
});
