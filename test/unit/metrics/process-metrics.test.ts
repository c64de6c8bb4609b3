import path from 'node:path';
import { openDatabase, HeartbeatsRepository } from '../../../shared/db';
import { createLogger, memoryLogger } from '../../../shared/log/logger';
import { parseProcessMetrics, ProcessMetrics } from '../../../shared/metrics/process-metrics';
import { HeartbeatPublisher } from '../../../shared/process/heartbeat-publisher';
import { LivenessFiles } from '../../../shared/process/liveness-file';
import { makeTempDir } from '../../helpers/temp-dir';

const POSITION = 'P-20261123-NOVA-abcdef';

describe('a process\'s own figures, counted from its log events', () => {
  it('counts orders, rejects and errors by kind, warnings and errors by level', () => {
    const m = new ProcessMetrics('exit-manager');
    m.observeLogEvent('info', 'order_placed', { orderRef: `${POSITION}:SL:1` });
    m.observeLogEvent('info', 'order_placed', { orderRef: `${POSITION}:TP:1` });
    m.observeLogEvent('info', 'order_placed', { orderRef: `${POSITION}:X-EOD_LIQUIDATION:3` });
    m.observeLogEvent('error', 'protection_rejected', { orderRef: `${POSITION}:SL:2` });
    m.observeLogEvent('warn', 'protection_order_error', { orderRef: `${POSITION}:TP:1` });
    m.observeLogEvent('warn', 'heartbeat_write_failed', { dbLocked: true });
    m.observeLogEvent('warn', 'heartbeat_write_failed', { dbLocked: false });
    m.observeLogEvent('warn', 'broker_ib_link_lost', {});
    m.observeLogEvent('debug', 'reconciliation_completed', { status: 'OK' });
    const json = m.toJSON();
    expect(json.counters).toEqual({
      orders_placed: { stop_loss: 1, take_profit: 1, exit: 1 },
      order_rejects: { stop_loss: 1 },
      log_events: { error: 1, warn: 4 },
      order_errors: { take_profit: 1 },
      db_busy: { heartbeat: 1 },
      broker_disconnects: { ib_1100: 1 },
      reconciliations: { OK: 1 },
    });
  });

  it('times fill → protection from the first sight of the unprotected shares, the DB row or the broker report, whichever came first', () => {
    const m = new ProcessMetrics('exit-manager');
    // The row (a reported fill) seen 2 ms before the stop left; the broker's position report came later or never.
    m.observeLogEvent('info', 'protection_placed', { msSinceUnprotectedSeen: 2, msSincePositionSeen: 1 });
    m.observeLogEvent('info', 'protection_placed', { msSinceUnprotectedSeen: 7 });
    const h = m.toJSON().histograms.fill_to_protection_seconds!;
    expect(h.count).toBe(2);
    expect(h.sum).toBeCloseTo(0.009, 6);
  });

  it('builds the fill → protection histogram from the exit manager\'s own measurement', () => {
    const m = new ProcessMetrics('exit-manager');
    for (const ms of [3, 4, 40, 180]) m.observeLogEvent('info', 'protection_placed', { msSincePositionSeen: ms });
    m.observeLogEvent('info', 'protection_placed', {}); // a repair without a fill to measure from
    const h = m.toJSON().histograms.fill_to_protection_seconds!;
    expect(h.count).toBe(4);
    expect(h.sum).toBeCloseTo(0.227, 6);
    const cumulative = (le: number) => h.counts.slice(0, h.buckets.indexOf(le) + 1).reduce((a, b) => a + b, 0);
    expect(cumulative(0.005)).toBe(2);
    expect(cumulative(0.05)).toBe(3);
    expect(cumulative(0.25)).toBe(4);
  });

  it('times an entry from its order to its first execution, and a scan from start to end', () => {
    const m = new ProcessMetrics('day-trader');
    m.observeLogEvent('info', 'order_placed', { positionId: POSITION });
    m.observeLogEvent('info', 'execution_completed', { positionId: POSITION });
    m.observeLogEvent('info', 'execution_completed', { positionId: POSITION }); // the second execution is not a round trip
    m.observeLogEvent('info', 'scan_started', { runId: 7 });
    m.observeLogEvent('info', 'pipeline_completed', { runId: 7 });
    const json = m.toJSON();
    expect(json.histograms.order_round_trip_seconds!.count).toBe(1);
    expect(json.histograms.scan_duration_seconds!.count).toBe(1);
    expect(json.counters.executions).toEqual({ entry: 2 });
  });

  it('rides on the heartbeat: every beat (row and liveness file) carries the current figures, and reads back', () => {
    const temp = makeTempDir('metrics-beat');
    try {
      const db = openDatabase(path.join(temp.dir, 'trading.db'));
      const rows = new HeartbeatsRepository(db);
      const files = new LivenessFiles(path.join(temp.dir, 'liveness'));
      const metrics = new ProcessMetrics('day-trader');
      const publisher = new HeartbeatPublisher('day-trader', rows, memoryLogger(), 60_000, files);
      publisher.setDetail({ metrics });
      publisher.start();
      metrics.observeLogEvent('info', 'order_placed', { positionId: POSITION });
      publisher.setState('ready'); // a beat
      const fromRow = parseProcessMetrics(rows.get('day-trader')!.detail.metrics);
      const fromFile = parseProcessMetrics(files.read('day-trader')!.detail.metrics);
      publisher.stop();
      db.close();
      expect(fromRow?.counters.orders_placed).toEqual({ entry: 1 });
      expect(fromFile?.counters.orders_placed).toEqual({ entry: 1 });
      expect(fromRow?.process.residentMemoryBytes).toBeGreaterThan(0);
    } finally {
      temp.cleanup();
    }
  });

  it('sees every event through the logger\'s tap, whatever the log level', () => {
    const seen: string[] = [];
    const log = createLogger({ app: 't', level: 'error', console: false, onEvent: (level, event) => seen.push(`${level}:${event}`) });
    log.debug('scan_started', { runId: 1 });
    log.child({ component: 'x' }).info('order_placed', {});
    expect(seen).toEqual(['debug:scan_started', 'info:order_placed']);
  });

  it('reads back nothing from a detail that is not a published snapshot', () => {
    expect(parseProcessMetrics(undefined)).toBeUndefined();
    expect(parseProcessMetrics({ counters: {} })).toBeUndefined();
  });
});
