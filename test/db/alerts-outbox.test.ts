import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { noteUncleanRestart } from '../../shared/alerts/process-restart';
import { processRestartedAlert } from '../../shared/alerts/fact-alerts';
import { AlertDeliveriesRepository, createRepositories, openDatabase, type Db, type Repositories } from '../../shared/db';
import { silentLogger } from '../../shared/log/logger';
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { makeTempDir } from '../helpers/temp-dir';

const DAY = '2026-11-23';
const settings = { groupWindowMs: 30_000, repeatIntervalMs: 3_600_000, maxAlertsPerMessage: 500 };

describe('the alerts outbox on a real SQLite file', () => {
  const temp = makeTempDir('alerts-outbox');
  let db: Db;
  let clock: ManualClock;
  let repos: Repositories;
  let n = 0;

  beforeEach(() => {
    db = openDatabase(path.join(temp.dir, `outbox-${n++}.db`));
    clock = new ManualClock(newYorkTime(DAY, '10:00'));
    repos = createRepositories(db, clock, 'exit-manager', { alertThresholds: { largeWinAmount: 150, largeLossAmount: 40, pnlMilestones: [100], dailyLossNearPct: 80 } });
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  const outbox = () => db.prepare('SELECT kind, severity, dedupe_key AS dedupeKey, symbol, app FROM alerts_outbox ORDER BY id').all() as Array<{ kind: string; severity: string; dedupeKey: string; symbol: string | null; app: string }>;
  const open = (symbol: string, quantity = 100, price = 50) => {
    const claim = repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'test', maxOpenPositions: 10, requestedQuantity: quantity });
    if (!claim.ok) throw new Error(claim.reason);
    const id = claim.position.id;
    repos.ledger.recordEntryStatus(id, 0, true);
    repos.ledger.recordEntryFill(id, { execId: `e-${symbol}`, symbol, side: 'BUY', quantity, price, commission: 1, executedAtMs: clock.now() });
    repos.ledger.recordEntryStatus(id, quantity, false);
    return id;
  };
  const exit = (id: string, symbol: string, price: number, reason: string, execId = `x-${symbol}`, quantity = 100) =>
    repos.ledger.recordExit(id, { execId, symbol, side: 'SELL', quantity, price, commission: 1, executedAtMs: clock.now() }, reason);

  it('a stop-out books its alerts in the booking transactions: the entry once complete, the close with its reason, a large loss', () => {
    const id = open('NOVA');
    expect(outbox()).toEqual([{ kind: 'entry_filled', severity: 'info', dedupeKey: `entry_filled:${id}`, symbol: 'NOVA', app: 'exit-manager' }]);
    expect(exit(id, 'NOVA', 49.5, 'STOP_LOSS').status).toBe('recorded');
    expect(outbox().map((a) => [a.kind, a.severity])).toEqual([['entry_filled', 'info'], ['position_closed', 'warning'], ['large_loss', 'warning']]);
    // The same fill seen again (replayed after a restart, found by the reconciler): booked once, told once.
    expect(exit(id, 'NOVA', 49.5, 'STOP_LOSS').status).toBe('duplicate');
    expect(outbox()).toHaveLength(3);
  });

  it('a partly reported entry is told when it is complete, not before', () => {
    const claim = repos.positions.claimSymbol({ symbol: 'ACME', tradingDay: DAY, agentName: 'test', maxOpenPositions: 10, requestedQuantity: 100 });
    if (!claim.ok) throw new Error(claim.reason);
    const id = claim.position.id;
    repos.ledger.recordEntryStatus(id, 100, false); // the status overtakes the executions (IB does)
    repos.ledger.recordEntryFill(id, { execId: 'a1', symbol: 'ACME', side: 'BUY', quantity: 60, price: 10, executedAtMs: clock.now() });
    expect(outbox()).toEqual([]);
    repos.ledger.recordEntryFill(id, { execId: 'a2', symbol: 'ACME', side: 'BUY', quantity: 40, price: 10, executedAtMs: clock.now() });
    expect(outbox().map((a) => a.kind)).toEqual(['entry_filled']);
    expect(db.prepare('SELECT data FROM alerts_outbox').pluck().get()).toMatch(/"quantity":100/);
  });

  it('a take-profit that lifts the day past a milestone: close, large win and the milestone, once', () => {
    const id = open('WINR');
    exit(id, 'WINR', 52, 'PROFIT_TARGET');
    expect(outbox().map((a) => [a.kind, a.dedupeKey])).toEqual([
      ['entry_filled', `entry_filled:${id}`], ['position_closed', `position_closed:${id}`], ['large_win', `large_win:${id}`], ['pnl_milestone', `pnl_milestone:${DAY}:+100`],
    ]);
  });

  it('the fact and its alert commit together: when the alert cannot be written, the fill is not booked either', () => {
    const id = open('ATOM');
    db.exec("CREATE TRIGGER refuse_alerts BEFORE INSERT ON alerts_outbox BEGIN SELECT RAISE(ABORT, 'outbox refused'); END");
    expect(() => exit(id, 'ATOM', 51, 'PROFIT_TARGET')).toThrow(/outbox refused/);
    expect(repos.positions.getById(id)?.quantity).toBe(100);
    expect(repos.trades.hasExecution('x-ATOM')).toBe(false);
    expect(repos.closed.wasClosedToday('ATOM', DAY)).toBe(false);
    db.exec('DROP TRIGGER refuse_alerts');
    // And the other way round: a booking that fails leaves no alert behind.
    db.exec("CREATE TRIGGER refuse_close BEFORE INSERT ON closed_positions_today BEGIN SELECT RAISE(ABORT, 'close refused'); END");
    expect(() => exit(id, 'ATOM', 51, 'PROFIT_TARGET')).toThrow(/close refused/);
    expect(outbox().map((a) => a.kind)).toEqual(['entry_filled']);
  });

  it('a reconciliation run with mismatches writes its alerts with its row; a clean run none', () => {
    repos.reconciliation.record({ tradingDay: DAY, trigger: 'interval', status: 'OK', symbols: 1, discrepancies: 0, repaired: 0, flagged: 0, unrealizedPnl: 0, details: [{ symbol: 'A', status: 'OK', action: 'none', flagged: false }], error: null });
    const runId = repos.reconciliation.record({
      tradingDay: DAY, trigger: 'interval', status: 'FLAGGED', symbols: 2, discrepancies: 1, repaired: 0, flagged: 1, unrealizedPnl: 0,
      details: [{ symbol: 'NOVA', status: 'DISCREPANCY', action: 'the broker holds 60 but the DB 100', flagged: true, dbQuantity: 100, brokerQuantity: 60, positionId: 'P-1' }], error: null,
    });
    expect(outbox()).toEqual([{ kind: 'reconciliation_mismatch', severity: 'critical', dedupeKey: `reconciliation:${runId}:NOVA:P-1`, symbol: 'NOVA', app: 'exit-manager' }]);
    db.exec("CREATE TRIGGER refuse_alerts BEFORE INSERT ON alerts_outbox BEGIN SELECT RAISE(ABORT, 'outbox refused'); END");
    expect(() => repos.reconciliation.record({ tradingDay: DAY, trigger: 'interval', status: 'FLAGGED', symbols: 1, discrepancies: 1, repaired: 0, flagged: 1, unrealizedPnl: 0, details: [{ symbol: 'NOVA', status: 'DISCREPANCY', action: 'x', flagged: true }], error: null })).toThrow();
    expect(db.prepare('SELECT COUNT(*) FROM reconciliation_log').pluck().get()).toBe(2);
  });

  it('a halt set by liquidate is told once (an active halt is kept, not stacked), and its lift too', () => {
    const liquidate = createRepositories(db, clock, 'liquidate');
    liquidate.halts.set('emergency liquidation', 'liquidate', { path: 'market-now' });
    liquidate.halts.set('emergency liquidation', 'liquidate', { path: 'market-now' });
    expect(outbox().map((a) => [a.kind, a.severity, a.app])).toEqual([['trading_halt', 'critical', 'liquidate']]);
    expect(liquidate.halts.lift('operator')).toBe(true);
    expect(liquidate.halts.lift('operator')).toBe(false);
    expect(outbox().map((a) => a.kind)).toEqual(['trading_halt', 'trading_resumed']);
  });

  it('an event row and its alert in one transaction; onlyIfNew records a known fact once', () => {
    const draft = processRestartedAlert({ app: 'day-trader', previousPid: 99, reason: 'killed', by: 'supervisor', tradingDay: DAY, atMs: 1 });
    expect(repos.alerts.recordEventWithAlert({ event: 'bot_restarted', level: 'error' }, draft)).toBe(true);
    expect(repos.alerts.recordEventWithAlert({ event: 'process_restarted', level: 'warn' }, draft, { onlyIfNew: true })).toBe(false);
    expect(repos.events.byName('process_restarted')).toEqual([]);
    expect(repos.events.byName('bot_restarted')).toHaveLength(1);
    expect(outbox()).toHaveLength(1);
  });

  it('a process that finds its predecessor died without a shutdown says so once, unless the supervisor already did', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const beat = { app: 'reconciler', pid: dead, state: 'ready' as const, beatAtMs: Date.now() - 2_000, startedAtMs: Date.now() - 60_000, readyAtMs: null, progressAtMs: null, loopLagMs: 0, brokerConnected: true, brokerDownSinceMs: null, detail: {} };
    repos.heartbeats.beat(beat);
    expect(noteUncleanRestart(repos, 'reconciler', clock, silentLogger())).toBe(true);
    expect(noteUncleanRestart(repos, 'reconciler', clock, silentLogger())).toBe(false);
    expect(outbox().map((a) => a.dedupeKey)).toEqual([`process_restarted:reconciler:${dead}:${DAY}`]);
    repos.heartbeats.beat({ ...beat, app: 'day-trader', state: 'stopped' });
    expect(noteUncleanRestart(repos, 'day-trader', clock, silentLogger())).toBe(false);
    repos.heartbeats.beat({ ...beat, app: 'exit-manager' });
    repos.alerts.recordEventWithAlert({ event: 'bot_restarted' }, processRestartedAlert({ app: 'exit-manager', previousPid: dead, reason: 'stale', by: 'supervisor', tradingDay: DAY, atMs: 5 }));
    expect(noteUncleanRestart(repos, 'exit-manager', clock, silentLogger())).toBe(false);
    expect(repos.heartbeats.get('reconciler')?.pid).toBe(dead);
    repos.heartbeats.beat({ ...beat, app: 'supervisor', pid: process.pid === dead ? 1 : process.ppid });
    expect(noteUncleanRestart(repos, 'supervisor', clock, silentLogger())).toBe(false); // that pid still runs
  });

  describe('delivery bookkeeping', () => {
    let deliveries: AlertDeliveriesRepository;
    beforeEach(() => {
      deliveries = new AlertDeliveriesRepository(db);
    });
    const enqueue = (i: number, kind: 'position_closed' | 'broker_down' | 'reconciliation_mismatch' = 'position_closed', conditionKey: string | null = null) =>
      repos.alerts.enqueue({ kind, severity: 'info', dedupeKey: `${kind}:${i}`, conditionKey, title: `alert ${i}`, data: {} });
    const routeAll = (nowMs: number) => deliveries.route(deliveries.unrouted().map((a) => ({ alertId: a.id, decisions: [{ channel: 'webhook', notBeforeMs: nowMs }] })), nowMs);

    it('routes, composes the first alone, groups the rest after the window, records delivery', () => {
      enqueue(1);
      routeAll(1_000);
      expect(deliveries.unrouted()).toEqual([]);
      const first = deliveries.nextMessage('webhook', 1_000, settings);
      if (first.kind !== 'send') throw new Error(first.kind);
      expect(first.message.content).toMatchObject({ idempotencyKey: 'position_closed:1', count: 1 });
      expect(deliveries.nextMessage('webhook', 1_001, settings)).toEqual({ kind: 'idle' }); // one message in flight per channel
      deliveries.recordOutcome(first.message, { result: 'delivered' }, 1_050);
      for (let i = 2; i <= 4; i++) enqueue(i);
      routeAll(2_000);
      expect(deliveries.nextMessage('webhook', 2_000, settings)).toEqual({ kind: 'wait', untilMs: 31_000 });
      const group = deliveries.nextMessage('webhook', 31_000, settings);
      if (group.kind !== 'send') throw new Error(group.kind);
      expect(group.message.content).toMatchObject({ grouped: true, count: 3 });
      deliveries.recordOutcome(group.message, { result: 'delivered' }, 31_010);
      expect(deliveries.counts().channels).toEqual([expect.objectContaining({ channel: 'webhook', delivered: 4, pending: 0, sending: 0, health: expect.objectContaining({ state: 'ok', consecutiveFailures: 0 }) })]);
    });

    it('retries the same message (same content and key) after a failure, at the time given; a 429 is not a failure', () => {
      enqueue(1);
      routeAll(0);
      const sent = deliveries.nextMessage('webhook', 0, settings);
      if (sent.kind !== 'send') throw new Error(sent.kind);
      deliveries.recordOutcome(sent.message, { result: 'retry', error: 'HTTP 429: rate_limited', retryAtMs: 5_000, rateLimited: true }, 10);
      expect(deliveries.health('webhook')).toMatchObject({ state: 'rate_limited', consecutiveFailures: 0, retryAtMs: 5_000 });
      expect(deliveries.nextMessage('webhook', 4_999, settings)).toEqual({ kind: 'wait', untilMs: 5_000 });
      const again = deliveries.nextMessage('webhook', 5_000, settings);
      if (again.kind !== 'send') throw new Error(again.kind);
      expect(again.message).toMatchObject({ id: sent.message.id, attempts: 2, failures: 0, content: sent.message.content });
      deliveries.recordOutcome(again.message, { result: 'retry', error: 'HTTP 503', retryAtMs: 6_000, rateLimited: false }, 5_010);
      expect(deliveries.health('webhook')).toMatchObject({ state: 'failing', consecutiveFailures: 1, failingSinceMs: 5_010, lastError: 'HTTP 503' });
      const third = deliveries.nextMessage('webhook', 6_000, settings);
      if (third.kind !== 'send') throw new Error(third.kind);
      expect(third.message.failures).toBe(1);
      deliveries.recordOutcome(third.message, { result: 'failed', error: 'refused by the receiver: HTTP 400' }, 6_010);
      expect(deliveries.counts().channels[0]).toMatchObject({ failed: 1, pending: 0 });
    });

    it('a message in flight when the notifier died is sent again, and only that one', () => {
      enqueue(1);
      enqueue(2, 'broker_down');
      routeAll(0);
      const inFlight = deliveries.nextMessage('webhook', 0, settings);
      if (inFlight.kind !== 'send') throw new Error(inFlight.kind);
      // ...killed here. The next notifier:
      const restarted = new AlertDeliveriesRepository(db);
      expect(restarted.recoverInFlight(100)).toBe(1);
      const resent = restarted.nextMessage('webhook', 100, settings);
      if (resent.kind !== 'send') throw new Error(resent.kind);
      expect(resent.message).toMatchObject({ id: inFlight.message.id, content: inFlight.message.content, attempts: 2 });
      restarted.recordOutcome(resent.message, { result: 'delivered' }, 110);
      const next = restarted.nextMessage('webhook', 120, settings);
      expect(next.kind === 'send' && next.message.content.kind).toBe('broker_down');
    });

    it('throttles repeats of a condition and counts them into the next message about it', () => {
      const fast = { ...settings, groupWindowMs: 0, repeatIntervalMs: 60_000 };
      enqueue(1, 'reconciliation_mismatch', 'reconciliation:NOVA');
      routeAll(0);
      const first = deliveries.nextMessage('webhook', 0, fast);
      if (first.kind !== 'send') throw new Error(first.kind);
      deliveries.recordOutcome(first.message, { result: 'delivered' }, 5);
      enqueue(2, 'reconciliation_mismatch', 'reconciliation:NOVA');
      enqueue(3, 'reconciliation_mismatch', 'reconciliation:NOVA');
      routeAll(1_000);
      expect(deliveries.nextMessage('webhook', 1_000, fast)).toEqual({ kind: 'idle' });
      expect(deliveries.counts().channels[0]).toMatchObject({ throttled: 2, delivered: 1 });
      enqueue(4, 'reconciliation_mismatch', 'reconciliation:NOVA');
      routeAll(61_000);
      const told = deliveries.nextMessage('webhook', 61_000, fast);
      if (told.kind !== 'send') throw new Error(told.kind);
      expect(told.message.content.suppressedRepeats).toBe(2);
    });

    it('drops deliveries to a channel no longer configured, and prunes what is over', () => {
      enqueue(1);
      deliveries.route(deliveries.unrouted().map((a) => ({ alertId: a.id, decisions: [{ channel: 'slack', notBeforeMs: 0 }, { channel: 'webhook', notBeforeMs: 0 }] })), 0);
      expect(deliveries.dropUnconfigured(['webhook'], 10)).toBe(1);
      const sent = deliveries.nextMessage('webhook', 10, settings);
      if (sent.kind !== 'send') throw new Error(sent.kind);
      expect(deliveries.prune(Date.now() + 1)).toBe(0); // still in flight on webhook
      deliveries.recordOutcome(sent.message, { result: 'delivered' }, 20);
      expect(deliveries.prune(Date.now() + 1)).toBe(1);
      expect(db.prepare('SELECT COUNT(*) FROM alert_deliveries').pluck().get()).toBe(0);
    });
  });
});
