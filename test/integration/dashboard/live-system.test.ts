import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { createRepositories, openDatabase } from '../../../shared/db';
import { SystemClock } from '../../../shared/time/clock';
import { SystemHarness } from '../../../scripts/harness/system-harness';
import { collectPageProblems, launchChromium } from '../../../scripts/dashboard/chromium';
import { freePort } from '../../helpers/ports';
import { startPrometheus, type PrometheusProcess } from '../../helpers/prometheus-process';
import { CHROMIUM, describeWithTools, PROMETHEUS, PROMTOOL } from '../../helpers/required-tools';
import { makeTempDir, PROJECT_ROOT } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';

interface Row { symbol: string; status: string; quantity: number }
interface DashboardStats { states: number; audits: number; opened: number; errors: number; charts: number }

/**
 * The dashboard of a whole simulated day under a private PM2 (the system `npm start` runs, on free ports),
 * looked at by a real headless Chromium and scraped by a real Prometheus: the page loads without a console
 * error and shows the day's positions, follows a fill live without reloading, works without JavaScript,
 * resumes its feed after the dashboard restarts with the events it missed, and Prometheus scrapes it, loads
 * the project's alerting rules and answers queries about the system.
 *
 * Screenshots are kept (their folder is printed); DASHBOARD_README_SCREENSHOT=1 also writes docs/dashboard.png.
 */
describeWithTools('the dashboard of a running simulated day', [CHROMIUM, PROMETHEUS, PROMTOOL], () => {
  const temp = makeTempDir('dashboard-live');
  const shots = makeTempDir('dashboard-screenshots'); // kept: test artifacts
  let system: SystemHarness;
  let browser: BrowserContext;
  let prometheus: PrometheusProcess | undefined;
  let dashboardUrl: string;
  let profiles = 0;

  const screenshot = async (page: Page, name: string) => {
    const file = path.join(shots.dir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
  /**
   * The README's picture: a settled moment (the broker's reports caught up with the fills, so no transient
   * MISMATCH; several positions; the stop-loss closed), the page as a visitor sees it.
   */
  const readmeScreenshot = async (page: Page) => {
    const settled = async () => {
      const banner = (await page.locator('#panel-banner-body').textContent()) ?? '';
      // Protection verified at the broker (not just after a fill, when the broker's report may not show it yet).
      const protectedRows = await page.$$eval('#positions-table tbody tr', (rows) => rows.filter((r) => (r as unknown as { cells: Array<{ textContent: string }> }).cells[8]?.textContent === 'PROTECTED').length);
      return banner.includes('No alerts.') && protectedRows >= 2;
    };
    await waitUntil(async () => {
      if (!(await settled())) return false;
      await page.evaluate(() => (globalThis as unknown as { __dashboard: { stop(): void } }).__dashboard.stop());
      if (await settled()) return true;
      await page.reload(); // a push changed the page between the two looks: follow again and wait
      return false;
    }, 90_000, 'a settled page for the README screenshot', 250);
    await page.screenshot({ path: path.join(PROJECT_ROOT, 'docs', 'dashboard.png'), fullPage: true });
  };
  const newProfile = () => path.join(temp.dir, `chromium-profile-${profiles++}`);
  const stats = (page: Page) => page.evaluate(() => (globalThis as unknown as { __dashboard: DashboardStats }).__dashboard);

  beforeAll(async () => {
    process.stdout.write(`dashboard screenshots: ${shots.dir}\n`);
    system = await SystemHarness.start({
      dir: path.join(temp.dir, 'system'), speed: 60, dayStart: '09:20', dayEnd: '16:15', startDay: '2026-11-23', seed: 42,
      env: {
        DASHBOARD_PORT: String(await freePort()),
        // Wide stops so the exit this test wants happens when it moves the price; a looser filter for early entries.
        STOP_LOSS_PCT: '8', TAKE_PROFIT_PCT: '20', SCANNER_REFRESH_S: '300', MIN_ATR_PCT: '0.02', MIN_SCORE: '40', ENTRY_RSI_MAX: '80', MAX_OPEN_POSITIONS: '6',
      },
    });
    dashboardUrl = `http://127.0.0.1:${system.env.DASHBOARD_PORT}`;
    browser = await launchChromium(newProfile());
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await prometheus?.stop();
    await system?.stop();
    temp.cleanup();
  }, 90_000);

  it('shows the positions of the running day without a console error, and follows a fill live', async () => {
    const held = await waitUntil(() => {
      const rows = system.query<Row>("SELECT symbol, status, quantity FROM active_positions WHERE status = 'PROTECTED' AND quantity > 0");
      const snapshots = system.query<{ n: number }>('SELECT COUNT(*) AS n FROM portfolio_snapshots')[0]!.n;
      return rows.length >= 2 && snapshots >= 3 ? rows : undefined;
    }, 180_000, 'two protected positions and three portfolio snapshots');

    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    await page.goto(`${dashboardUrl}/`);
    await waitUntil(async () => (await stats(page)).states > 0, 20_000, 'the first live state');
    // Every position the DB holds now is on the page.
    await waitUntil(async () => {
      const db = system.query<Row>('SELECT symbol, status, quantity FROM active_positions WHERE quantity > 0').map((r) => r.symbol);
      const shown = await page.$$eval('#positions-table tbody tr', (rows) => rows.map((r) => (r as unknown as { dataset: Record<string, string> }).dataset.symbol));
      return db.length > 0 && db.every((s) => shown.includes(s));
    }, 20_000, 'the page listing the DB\'s positions');
    expect(await page.locator('#positions-table').textContent()).toContain('PROTECTED');
    expect((await stats(page)).charts).toBeGreaterThanOrEqual(1); // uPlot drew the intraday NAV
    expect(await page.locator('#chart-equity canvas').count()).toBe(1);
    await screenshot(page, 'overview');

    // A fill: the price of one position falls through its stop. The page must show the exit without a reload.
    await page.evaluate(() => ((globalThis as unknown as { __notReloaded: boolean }).__notReloaded = true));
    const statesBefore = (await stats(page)).states;
    const victim = held[0]!.symbol;
    await system.admin('POST /faults/jump', { symbol: victim, pct: -12 });
    await waitUntil(() => system.query("SELECT 1 FROM closed_positions_today WHERE symbol = ? AND exit_reason = 'STOP_LOSS'", victim).length === 1, 60_000, 'the stop-loss exit in the DB');
    await waitUntil(async () => {
      const today = (await page.locator('#panel-today-body').textContent()) ?? '';
      return today.includes(victim) && today.includes('STOP_LOSS');
    }, 15_000, 'the closed trade on the page');
    await waitUntil(async () => ((await page.locator('#events-table').textContent()) ?? '').includes('position_closed'), 15_000, 'the audit event on the page');
    expect(await page.evaluate(() => (globalThis as unknown as { __notReloaded?: boolean }).__notReloaded)).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as { performance: { getEntriesByType(type: string): unknown[] } }).performance.getEntriesByType('navigation').length)).toBe(1);
    expect((await stats(page)).states).toBeGreaterThan(statesBefore);
    await screenshot(page, 'overview-after-stop-loss');
    if (process.env.DASHBOARD_README_SCREENSHOT) await readmeScreenshot(page);

    for (const name of ['performance', 'trades', 'portfolio', 'operations']) {
      await page.goto(`${dashboardUrl}/${name}`);
      await page.waitForLoadState('load');
      await screenshot(page, name);
    }
    expect(await page.locator('#snapshot-positions').count()).toBe(0); // operations is the last page: not the portfolio's table
    await page.goto(`${dashboardUrl}/portfolio`);
    expect(await page.locator('#snapshot-positions tbody tr').count()).toBeGreaterThan(0);
    await page.goto(`${dashboardUrl}/trades`);
    expect(await page.locator('#trades-table').textContent()).toContain(victim);
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);

  it('works without JavaScript: the same tables, and charts drawn by the server', async () => {
    const noJs = await launchChromium(newProfile(), { javaScriptEnabled: false });
    try {
      const page = await noJs.newPage();
      const problems = collectPageProblems(page);
      await page.goto(`${dashboardUrl}/`);
      expect(await page.locator('#positions-table tbody tr, #panel-positions-body p').count()).toBeGreaterThan(0);
      expect(await page.locator('#chart-equity svg.chart-fallback polyline').count()).toBe(1);
      expect(await page.locator('#live-state').textContent()).toBe('static (JavaScript off)');
      await page.goto(`${dashboardUrl}/performance`);
      expect(await page.locator('#panel-stats table tr').count()).toBeGreaterThan(10);
      await screenshot(page, 'overview-without-javascript');
      expect(problems).toEqual([]);
    } finally {
      await noJs.close();
    }
  }, 60_000);

  it('resumes its live feed after the dashboard restarts, with the audit events it missed', async () => {
    const page = await browser.newPage();
    await page.goto(`${dashboardUrl}/`);
    await waitUntil(async () => (await stats(page)).opened === 1 && (await stats(page)).states > 0, 20_000, 'the feed open');
    system.pm2(['stop', 'dashboard']);
    await waitUntil(async () => (await stats(page)).errors > 0, 20_000, 'the browser noticing the dashboard gone');
    // Recorded while the browser cannot hear: only Last-Event-ID can bring it back.
    const writer = openDatabase(system.env.DB_PATH!);
    createRepositories(writer, new SystemClock(), 'test').events.record('test', 'recorded_while_the_dashboard_was_down', { note: 'replayed by id' });
    const missedId = writer.prepare('SELECT MAX(id) FROM events').pluck().get() as number;
    writer.close();
    system.pm2(['start', 'dashboard']);
    await waitUntil(async () => (await stats(page)).opened >= 2, 30_000, 'the feed reopened');
    await waitUntil(async () => (await page.locator(`#events-table tr[data-event-id="${missedId}"]`).count()) === 1, 15_000, 'the missed event on the page');
    expect(await page.evaluate(() => (globalThis as unknown as { performance: { getEntriesByType(type: string): unknown[] } }).performance.getEntriesByType('navigation').length)).toBe(1);
    await page.close();
  }, 90_000);

  it('is scraped by a real Prometheus that loads the project\'s alerting rules and answers about the system', async () => {
    const rules = spawnSync(PROMTOOL, ['check', 'rules', path.join(PROJECT_ROOT, 'deploy', 'prometheus', 'alerts.yml')], { encoding: 'utf8' });
    expect(rules.status).toBe(0);
    const scrape = await (await fetch(`${dashboardUrl}/metrics`)).text();
    const metrics = spawnSync(PROMTOOL, ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
    expect({ status: metrics.status, output: `${metrics.stdout}${metrics.stderr}` }).toEqual({ status: 0, output: '' });

    prometheus = await startPrometheus(path.join(temp.dir, 'prometheus'), `127.0.0.1:${system.env.DASHBOARD_PORT}`);
    const config = spawnSync(PROMTOOL, ['check', 'config', prometheus.configFile], { encoding: 'utf8' });
    expect({ status: config.status, output: config.stderr }).toEqual({ status: 0, output: '' });
    const value = async (promql: string) => {
      const result = await prometheus!.query(promql);
      return result.length ? Number(result[0]!.value[1]) : undefined;
    };
    await waitUntil(async () => (await value('ibdt_up{app="exit-manager"}')) === 1, 30_000, 'Prometheus seeing the exit manager up');
    const targets = await prometheus.api<{ activeTargets: Array<{ health: string; labels: Record<string, string> }> }>('/api/v1/targets');
    expect(targets.activeTargets.map((t) => [t.labels.job, t.health])).toEqual([['ib-daytrader', 'up']]);
    // The day goes on (entries, exits): Prometheus's latest sample and the DB agree once they are a scrape apart.
    const dbOpen = () => system.query<{ n: number }>('SELECT COUNT(*) AS n FROM active_positions WHERE quantity != 0')[0]!.n;
    await waitUntil(async () => (await value('ibdt_open_positions')) === dbOpen(), 30_000, 'ibdt_open_positions equal to the DB\'s open positions');
    await waitUntil(async () => (await value('ibdt_exit_manager_protecting')) === 1, 30_000, 'ibdt_exit_manager_protecting 1');
    expect(await value('sum(ibdt_fill_to_protection_seconds_count{app="exit-manager"})')).toBeGreaterThan(0);
    expect(await value('sum(ibdt_orders_placed_total{app="day-trader",kind="entry"})')).toBeGreaterThan(0);
    expect(await value('ibdt_trades_closed_today{reason="STOP_LOSS"}')).toBeGreaterThanOrEqual(1);
    expect(await value('ibdt_net_liquidation_usd')).toBeGreaterThan(0);
    expect(await value('histogram_quantile(0.99, sum by (le) (ibdt_fill_to_protection_seconds_bucket))')).toBeGreaterThan(0);
    const loaded = await prometheus.api<{ groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> }>('/api/v1/rules');
    const ruleNames = loaded.groups.flatMap((g) => g.rules.map((r) => r.name));
    expect(ruleNames).toEqual(expect.arrayContaining(['IbdtPositionUnprotected', 'IbdtExitManagerNotProtecting', 'IbdtReconciliationMismatch', 'IbdtDailyLossLimitNear']));
    await waitUntil(async () => {
      const now = await prometheus!.api<typeof loaded>('/api/v1/rules');
      return now.groups.every((g) => g.rules.every((r) => r.health === 'ok'));
    }, 30_000, 'every rule evaluated without error');
    // The system is healthy: the alerts that guard the money are quiet.
    const alerts = await prometheus.api<{ alerts: Array<{ labels: { alertname: string }; state: string }> }>('/api/v1/alerts');
    expect(alerts.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname)).not.toEqual(expect.arrayContaining(['IbdtPositionUnprotected', 'IbdtProtectionMissing', 'IbdtMetricsDown']));
  }, 120_000);
});
