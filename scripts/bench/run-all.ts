/**
 * npm run bench: every benchmark, one JSON document. Each part also runs alone (bench:db, bench:gateway,
 * bench:bots, bench:analytics, bench:alerts, bench:backtest). BENCH_ONLY=db,gateway limits the parts (bots-realistic: the bots on
 * the realistic simulator profile; alerts: the notifier's latency and bursts).
 */
import { runAlertsBench } from './alerts-bench';
import { runAnalyticsBench } from './analytics-bench';
import { runBacktestBench } from './backtest-bench';
import { runBotsBench } from './bots-bench';
import { runDashboardBench } from './dashboard-bench';
import { runDbBench } from './db-bench';
import { runGatewayBench } from './gateway-bench';

const PARTS: Record<string, () => Promise<Record<string, unknown>>> = {
  db: runDbBench,
  gateway: runGatewayBench,
  bots: () => runBotsBench('ideal'),
  'bots-realistic': () => runBotsBench('realistic'),
  analytics: runAnalyticsBench,
  alerts: runAlertsBench,
  // The backtest engine (200 symbols x 60 days of minute bars, one core), its peak memory, a 100-point grid on every core.
  backtest: runBacktestBench,
  // Page load, live latency in Chromium, /metrics scrape, and the dashboard's memory after an hour of a live day
  // (BENCH_DASHBOARD_LIVE_MINUTES, 60).
  dashboard: runDashboardBench,
};

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  const result: Record<string, unknown> = { startedAt: new Date().toISOString(), node: process.version };
  for (const [name, run] of Object.entries(PARTS)) {
    if (only && !only.includes(name)) continue;
    const started = Date.now();
    process.stderr.write(`bench: ${name}...\n`);
    try {
      result[name] = { ...(await run()), benchSeconds: Math.round((Date.now() - started) / 100) / 10 };
    } catch (error) {
      result[name] = { error: (error as Error).message };
    }
  }
  console.log(JSON.stringify(result, null, 2));
}

void main();
