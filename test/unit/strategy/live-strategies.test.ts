import path from 'node:path';
import { z } from 'zod/v3';
import { CandidateMetricsSource } from '../../../apps/day-trader/candidate-metrics';
import { EntryExecutor } from '../../../apps/day-trader/entry-executor';
import { runScanPipeline } from '../../../apps/day-trader/scan-pipeline';
import { timeBasedExit } from '../../../apps/exit-manager/exit-rules';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { silentLogger } from '../../../shared/log/logger';
import { defineStrategy, standardParams } from '../../../shared/strategy/define-strategy';
import type { Strategy } from '../../../shared/strategy/types';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';

/**
 * Several strategies in the live day-trader: each scans as its own agent_name, they share one position per
 * symbol, and a strategy's own exits ride with its claim to the fill and to the exit side.
 */
const DAY = '2026-11-23';

function picker(name: string, take: readonly string[], exits: { stopLossPct: number; takeProfitPct: number; timeExitMinutes: number }): Strategy {
  const definition = defineStrategy({
    name: 'picker',
    description: 'takes the symbols it is told to (tests)',
    params: z.object({ ...standardParams }),
    needs: () => ({ scanners: ['MOST_ACTIVE'], rowsPerScanner: 10, quote: true }),
    evaluate: (data) => ({
      metrics: { symbol: data.symbol, price: data.quote?.ask },
      decision: take.includes(data.symbol) ? { accepted: true, score: 80, reason: 'picked' } : { accepted: false, score: 0, reason: 'not_picked' },
    }),
  });
  return definition.create(definition.params.parse({ ...exits, capitalAllocationPct: 5 }), name);
}

describe('several strategies in the live day-trader', () => {
  const temp = makeTempDir('live-strategies');
  let db: Db;
  let repos: Repositories;
  afterAll(() => temp.cleanup());
  afterEach(() => db?.close());

  it('scans per agent, shares the symbol, carries each strategy\'s exits to the fill and to the exit rules', async () => {
    const config = loadConfig({ env: {} });
    const clock = new ManualClock(newYorkTime(DAY, '10:00'));
    db = openDatabase(path.join(temp.dir, 'live.db'));
    repos = createRepositories(db, clock, 'day-trader');
    repos.heartbeats.beat({ app: 'exit-manager', pid: 1, state: 'ready', beatAtMs: Date.now(), startedAtMs: 0, readyAtMs: 1, progressAtMs: Date.now(), loopLagMs: 1, brokerConnected: true, brokerDownSinceMs: null, detail: { protecting: true } });
    const broker = new FakeBroker(clock, { clientId: 11, cash: 100_000 });
    await broker.connect();
    broker.setPrice('AAA', 50);
    broker.setPrice('BBB', 20);
    const strategies = [picker('first', ['AAA'], { stopLossPct: 1, takeProfitPct: 2, timeExitMinutes: 0 }), picker('second', ['AAA', 'BBB'], { stopLossPct: 2, takeProfitPct: 4, timeExitMinutes: 30 })];
    const entries = new EntryExecutor({ app: 'day-trader', broker, repos, clock, log: silentLogger(), config, agentNames: strategies.map((s) => s.name) });
    entries.start();
    await entries.resolveInFlight();
    const metrics = new CandidateMetricsSource(broker, 1_000, () => clock.now());
    const result = await runScanPipeline({ broker, repos, clock, log: silentLogger(), config, metrics, entries, strategies }, 'test');
    expect(result.taken).toBe(2);
    expect(repos.pipeline.recentRuns(5).map((r) => r.agent_name).sort()).toEqual(['first', 'second']);
    const second = repos.pipeline.recentRuns(5).find((r) => r.agent_name === 'second')!;
    expect(repos.pipeline.signalsForRun(second.id).map((s) => [s.symbol, s.decision, s.reason])).toEqual(expect.arrayContaining([['AAA', 'REJECTED', 'already_active']]));
    const aaa = await waitUntil(() => (repos.positions.getActivePosition('AAA')?.status === 'OPEN' ? repos.positions.getActivePosition('AAA') : undefined), 5_000, 'AAA open');
    const bbb = await waitUntil(() => (repos.positions.getActivePosition('BBB')?.status === 'OPEN' ? repos.positions.getActivePosition('BBB') : undefined), 5_000, 'BBB open');
    expect(aaa).toMatchObject({ agentName: 'first' });
    expect(bbb).toMatchObject({ agentName: 'second', metadata: expect.objectContaining({ strategy: 'picker', exitPlan: { stopLossPct: 2, takeProfitPct: 4, timeExitMinutes: 30 } }) });
    // The stop and target follow the real fill with the strategy's own distances: 20.01 -2 % / +4 %.
    expect(bbb).toMatchObject({ entryPrice: 20.01, stopLossPrice: 19.61, profitTargetPrice: 20.81 });
    // The exit side applies the strategy's time exit (30 min) although TIME_EXIT_MINUTES is off.
    const entered = Date.parse(bbb.entryTimestamp!);
    expect(timeBasedExit(bbb, entered + 29 * 60_000, config.exits)).toBeUndefined();
    expect(timeBasedExit(bbb, entered + 30 * 60_000, config.exits)).toEqual({ reason: 'TIME_EXIT' });
    expect(timeBasedExit(aaa, entered + 30 * 60_000, config.exits)).toBeUndefined();
  });
});
