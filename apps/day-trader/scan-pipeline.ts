import type { ResolvedConfig } from '../../shared/config/schema';
import type { BrokerPort, ScanCode } from '../../shared/broker/types';
import type { Repositories } from '../../shared/db';
import { errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { NotMeasured, type CandidateMetricsSource } from './candidate-metrics';
import { noteDailyLoss } from '../../shared/alerts/daily-loss';
import { entryBlockers } from './entry-guards';
import type { EntryExecutor } from './entry-executor';
import { scoreCandidate, type CandidateMetrics } from './scoring';
import { sizePosition } from './sizing';

const SCANNERS: readonly ScanCode[] = ['TOP_PERC_GAIN', 'MOST_ACTIVE', 'HOT_BY_VOLUME'];

export interface PipelineDeps {
  broker: BrokerPort;
  repos: Repositories;
  clock: Clock;
  log: Logger;
  config: ResolvedConfig;
  metrics: CandidateMetricsSource;
  entries: EntryExecutor;
}

/**
 * One scan: candidates from the broker's scanners, each measured and scored, every one stored in `signals`
 * with why it was or was not taken, the best entered within the risk limits; the run is a `pipeline_runs` row.
 */
export async function runScanPipeline(d: PipelineDeps, trigger: string): Promise<{ candidates: number; taken: number }> {
  const { repos, config, clock, log } = d;
  const nowMs = clock.now();
  const tradingDay = tradingDayOf(nowMs);
  let runId: number;
  try {
    runId = repos.pipeline.startRun(config.strategy.agentName, tradingDay, trigger);
  } catch (error) {
    // The DB is locked by someone else: this scan is skipped (nothing was decided), the next one runs.
    log.warn('scan_skipped', { trigger, error: errorMessage(error) });
    return { candidates: 0, taken: 0 };
  }
  log.info('scan_started', { runId, trigger });
  let candidates = 0;
  let taken = 0;
  try {
    const lists = await Promise.all(SCANNERS.map((code) => d.broker.scan(code, { rows: config.strategy.candidatesPerScan, abovePrice: 2 })));
    const symbols = [...new Set(lists.flat())];
    candidates = symbols.length;
    const marketData = d.broker.marketDataState();
    if (marketData === 'unavailable') {
      // Said loudly instead of scoring nothing in silence: the log, the heartbeat (via the adapter) and every signal.
      log.error('no_market_data', { runId, what: 'the account gets neither live nor delayed data for these stocks (IB 354/10168): enable market data subscriptions, or delayed data, in IBKR Account Management' });
    }
    const measured: CandidateMetrics[] = [];
    const notMeasured = new Map<string, string>();
    for (const symbol of symbols) {
      try {
        measured.push(await d.metrics.measure(symbol, nowMs));
      } catch (error) {
        measured.push({ symbol });
        if (error instanceof NotMeasured) notMeasured.set(symbol, error.reason);
        else log.warn('candidate_measure_failed', { symbol, error: errorMessage(error) });
      }
    }
    if (notMeasured.size > 0) log.info('candidates_not_measured', { runId, count: notMeasured.size, reasons: [...new Set(notMeasured.values())] });
    const scored = measured.map((m) => ({ m, decision: notMeasured.has(m.symbol) ? { accepted: false as const, score: 0, reason: notMeasured.get(m.symbol)! } : scoreCandidate(m, config.strategy) })).sort((a, b) => b.decision.score - a.decision.score);
    for (const { m, decision } of scored) log.info('candidate_scored', { runId, symbol: m.symbol, score: decision.score, accepted: decision.accepted, reason: decision.reason, delayedQuote: m.delayedQuote });

    const account = await d.broker.accountSummary();
    // reqAccountSummary has no P&L tags at IB: the unrealized P&L comes from reqPnL; unknown blocks entries.
    const pnl = await d.broker.accountPnl().catch((error: unknown) => {
      log.warn('account_pnl_unavailable', { error: errorMessage(error), what: 'the daily loss limit cannot be checked: no entries this scan' });
      return undefined;
    });
    const realizedToday = repos.closed.getClosedToday(tradingDay).reduce((n, r) => n + r.realizedPnl, 0);
    const halt = repos.halts.active();
    // The loss limit near or reached is a fact worth an alert (once a day each), whatever this scan finds.
    noteDailyLoss(repos.alerts, {
      tradingDay, realizedToday, unrealizedPnl: pnl?.unrealizedPnl, netLiquidation: account.netLiquidation, limitPct: config.risk.dailyLossLimitPct,
      nearPct: config.alerts.thresholds.dailyLossNearPct,
    }, log);
    let grossExposure = account.grossPositionValue;
    for (const { m, decision } of scored) {
      const signal = {
        pipelineRunId: runId, symbol: m.symbol, tradingDay, score: decision.score, price: m.price, rsi: m.rsi, atrPct: m.atrPct, gapPct: m.gapPct,
        relativeVolume: m.relativeVolume, spreadPct: m.spreadPct,
      };
      if (!decision.accepted) {
        repos.pipeline.recordSignal({ ...signal, decision: 'REJECTED', reason: decision.reason });
        continue;
      }
      const blockers = entryBlockers({
        nowMs: clock.now(), realNowMs: Date.now(), exitManager: repos.heartbeats.get('exit-manager'), brokerConnected: d.broker.isConnected(),
        realizedPnlToday: realizedToday, unrealizedPnl: pnl?.unrealizedPnl, netLiquidation: account.netLiquidation, halt, marketData,
      }, config);
      if (!d.entries.ready) blockers.push('entries_not_resolved_yet');
      if (blockers.length > 0) {
        repos.pipeline.recordSignal({ ...signal, decision: 'REJECTED', reason: `blocked: ${blockers.join(', ')}` });
        continue;
      }
      if (repos.positions.isPositionActive(m.symbol)) {
        repos.pipeline.recordSignal({ ...signal, decision: 'REJECTED', reason: 'already_active' });
        continue;
      }
      if (repos.closed.wasClosedToday(m.symbol, tradingDay)) {
        repos.pipeline.recordSignal({ ...signal, decision: 'REJECTED', reason: 'closed_today' });
        continue;
      }
      const size = sizePosition({ entryPrice: m.price!, netLiquidation: account.netLiquidation, grossPositionValue: grossExposure }, config.strategy, config.risk);
      if (!size.ok) {
        repos.pipeline.recordSignal({ ...signal, decision: 'REJECTED', reason: size.reason });
        continue;
      }
      const limitPrice = m.price! * (1 + config.strategy.entryLimitSlippagePct / 100);
      const result = await d.entries.enter({ symbol: m.symbol, quantity: size.quantity, limitPrice, stopLossPrice: size.stopLossPrice, profitTargetPrice: size.profitTargetPrice, score: decision.score, reason: decision.reason });
      if (!result.ok) {
        repos.pipeline.recordSignal({ ...signal, decision: 'REJECTED', reason: result.reason });
        continue;
      }
      repos.pipeline.recordSignal({ ...signal, decision: 'TAKEN', reason: `${decision.reason}; ${size.quantity} sh (${size.limitingRule})`, positionId: result.positionId });
      grossExposure += size.quantity * m.price!;
      taken += 1;
    }
    repos.pipeline.finishRun(runId, { status: 'COMPLETED', candidates, taken });
    log.info('pipeline_completed', { runId, candidates, taken });
  } catch (error) {
    log.error('pipeline_failed', { runId, error: errorMessage(error) });
    try {
      repos.pipeline.finishRun(runId, { status: 'FAILED', candidates, taken, error: errorMessage(error) });
    } catch (writeError) {
      log.warn('pipeline_run_not_closed', { runId, error: errorMessage(writeError) });
    }
  }
  return { candidates, taken };
}
