import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { createRepositories, openDatabase } from '../../../shared/db';
import { memoryLogger } from '../../../shared/log/logger';
import { ProcessMetrics } from '../../../shared/metrics/process-metrics';
import { HeartbeatPublisher } from '../../../shared/process/heartbeat-publisher';
import { SystemClock } from '../../../shared/time/clock';
import { tradingDayOf } from '../../../shared/time/trading-calendar';
import { startDashboard } from '../../helpers/dashboard-process';
import { describeWithTools, PROMTOOL } from '../../helpers/required-tools';
import { makeTempDir, PROJECT_ROOT } from '../../helpers/temp-dir';

const DEPLOY = path.join(PROJECT_ROOT, 'deploy');

interface Panel { title: string; targets?: Array<{ expr: string }> }

/**
 * The files an operator copies into Prometheus and Grafana are checked by the real tools, and every metric they
 * name is one the dashboard really exposes: a renamed metric would otherwise leave an alert silent forever.
 */
describeWithTools('the deploy files', [PROMTOOL], () => {
  const temp = makeTempDir('deploy-files');
  afterAll(() => temp.cleanup());

  const rules = YAML.parse(fs.readFileSync(path.join(DEPLOY, 'prometheus', 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const grafana = JSON.parse(fs.readFileSync(path.join(DEPLOY, 'grafana', 'ib-daytrader-dashboard.json'), 'utf8')) as { panels: Panel[]; uid: string };
  const panelExpressions = grafana.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it('passes promtool check config and check rules', () => {
    const config = spawnSync(PROMTOOL, ['check', 'config', path.join(DEPLOY, 'prometheus', 'prometheus.yml')], { encoding: 'utf8' });
    expect({ status: config.status, output: config.stderr }).toEqual({ status: 0, output: '' });
    expect(config.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('has Grafana panels whose every query is valid PromQL', () => {
    expect(grafana.uid).toBe('ib-daytrader');
    expect(panelExpressions.length).toBeGreaterThan(20);
    // promtool parses PromQL in rule files: each panel's query as a recording rule ($__rate_interval as Grafana fills it in).
    const file = path.join(temp.dir, 'grafana-queries.yml');
    fs.writeFileSync(file, YAML.stringify({
      groups: [{ name: 'grafana', rules: panelExpressions.map((e, i) => ({ record: `grafana:query_${i}`, expr: e.expr.replace(/\$__rate_interval/g, '1m') })) }],
    }));
    const check = spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' });
    expect({ status: check.status, output: `${check.stdout}${check.stderr}` }).toMatchObject({ status: 0 });
  });

  it('names only metrics the dashboard exposes', async () => {
    const db = openDatabase(path.join(temp.dir, 'trading.db'));
    const clock = new SystemClock();
    const repos = createRepositories(db, clock, 'test');
    const claim = repos.positions.claimSymbol({ symbol: 'NOVA', tradingDay: tradingDayOf(clock.now()), agentName: 'gap', maxOpenPositions: 5, requestedQuantity: 10 });
    if (!claim.ok) throw new Error(claim.reason);
    repos.ledger.recordEntryFill(claim.position.id, { execId: 'e1', symbol: 'NOVA', side: 'BUY', quantity: 10, price: 10, commission: 1, executedAtMs: clock.now() });
    repos.reconciliation.record({ tradingDay: tradingDayOf(clock.now()), trigger: 'interval', status: 'OK', symbols: 1, discrepancies: 0, repaired: 0, flagged: 0, unrealizedPnl: 0, details: [], error: null });
    // Every bot's figures, every counter and histogram filled once, as the processes publish them.
    for (const app of ['exit-manager', 'day-trader', 'reconciler', 'supervisor']) {
      const figures = new ProcessMetrics(app);
      for (const [event, fields] of [
        ['order_placed', { orderRef: 'P-20261123-NOVA-abcdef:SL:1' }], ['protection_rejected', { orderRef: 'P-20261123-NOVA-abcdef:SL:1' }],
        ['protection_order_error', { orderRef: 'P-20261123-NOVA-abcdef:TP:1' }], ['execution_completed', {}], ['heartbeat_write_failed', { dbLocked: true }],
        ['reconciliation_completed', { status: 'OK' }], ['broker_disconnected', {}], ['protection_gave_up', {}], ['protection_placed', { msSincePositionSeen: 3 }],
        ['scan_started', { runId: 1 }], ['pipeline_completed', { runId: 1 }], ['order_placed', { positionId: 'P-1', orderRef: 'P-20261123-NOVA-abcdef:X-EOD:1' }],
      ] as const) figures.observeLogEvent('warn', event, fields as Record<string, unknown>);
      figures.observeLogEvent('info', 'execution_completed', { positionId: 'P-20261123-NOVA-abcdef' });
      const beat = new HeartbeatPublisher(app, repos.heartbeats, memoryLogger(), 60_000);
      beat.setDetail({ metrics: figures, protecting: true });
      beat.start();
      beat.stop('ready');
    }
    db.close();
    const dashboard = await startDashboard(temp.dir, { SIM_SPEED: '1' });
    try {
      const text = (await dashboard.get('/metrics')).body;
      const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
      const named = (expr: string) => [...expr.matchAll(/\b(ibdt_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
      const missing: string[] = [];
      for (const rule of rules.groups.flatMap((g) => g.rules)) for (const name of named(rule.expr)) if (!exposed.has(name)) missing.push(`alert ${rule.alert}: ${name}`);
      for (const e of panelExpressions) for (const name of named(e.expr)) if (!exposed.has(name)) missing.push(`panel ${e.panel}: ${name}`);
      expect(missing).toEqual([]);
      expect(rules.groups.flatMap((g) => g.rules).length).toBeGreaterThanOrEqual(15);
    } finally {
      await dashboard.stop();
    }
  });
});
