import type { ResolvedConfig } from '../../shared/config/schema';
import type { BrokerPort } from '../../shared/broker/types';
import type { Repositories } from '../../shared/db';
import { errorMessage } from '../../shared/errors/errors';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import { tradingDayOf } from '../../shared/time/trading-calendar';
import { NotMeasured, type CandidateMetricsSource } from './candidate-metrics';
import { noteDailyLoss } from '../../shared/alerts/daily-loss';
import { entryBlockers } from '../../shared/strategy/entry-guards';
import { claimMetadata, planEntry, rankCandidates } from '../../shared/strategy/entry-decision';
import type { Evaluation, Strategy } from '../../shared/strategy/types';
import type { EntryExecutor } from './entry-executor';

export interface PipelineDeps {
  broker: BrokerPort;
  repos: Repositories;
  clock: Clock;
  log: Logger;
  config: ResolvedConfig;
  metrics: CandidateMetricsSource;
  entries: EntryExecutor;
  /** The configured strategies, in order (shared/strategy registry); each scans as its own agent_name. */
  strategies: readonly Strategy[];
}

/**
 * One scan: each configured strategy in turn runs its pipeline (they share the account, the risk limits and
 * the one-position-per-symbol rule, so a later strategy sees what an earlier one entered).
 */
export async function runScanPipeline(d: PipelineDeps, trigger: string): Promise<{ candidates: number; taken: number }> {
  let candidates = 0;
  let taken = 0;
  for (const strategy of d.strategies) {
    const result = await runStrategyScan(d, strategy, trigger);
    candidates += result.candidates;
    taken += result.taken;
  }
  return { candidates, taken };
}

/**
 * One strategy's scan: candidates from the broker's scanners, each measured and scored by the strategy
 * (shared/strategy), every one stored in `signals` with why it was or was not taken, the best entered within
 * the risk limits; the run is a `pipeline_runs` row under the strategy's agent name.
 */
export async function runStrategyScan(d: PipelineDeps, strategy: Strategy, trigger: string): Promise<{ candidates: number; taken: number }> {
  const { repos, config, clock, log } = d;
  const nowMs = clock.now();
  const tradingDay = tradingDayOf(nowMs);
  const multi = d.strategies.length > 1;
  let runId: number;
  try {
    runId = repos.pipeline.startRun(strategy.name, tradingDay, trigger);
  } catch (error) {
    // The DB is locked by someone else: this scan is skipped (nothing was decided), the next one runs.
    log.warn('scan_skipped', { trigger, error: errorMessage(error), ...(multi ? { strategy: strategy.name } : {}) });
    return { candidates: 0, taken: 0 };
  }
  log.info('scan_started', { runId, trigger, ...(multi ? { strategy: strategy.name } : {}) });
  let candidates = 0;
  let taken = 0;
  try {
    const needs = strategy.needs;
    const lists = await Promise.all(needs.scanners.map((code) => d.broker.scan(code, { rows: needs.rowsPerScanner, abovePrice: needs.abovePrice })));
    const symbols = [...new Set(lists.flat())];
    candidates = symbols.length;
    const marketData = d.broker.marketDataState();
    if (marketData === 'unavailable') {
      // Said loudly instead of scoring nothing in silence: the log, the heartbeat (via the adapter) and every signal.
      log.error('no_market_data', { runId, what: 'the account gets neither live nor delayed data for these stocks (IB 354/10168): enable market data subscriptions, or delayed data, in IBKR Account Management' });
    }
    const evaluated: Array<{ symbol: string; evaluation?: Evaluation; notMeasured?: string }> = [];
    const notMeasured = new Map<string, string>();
    for (const symbol of symbols) {
      try {
        evaluated.push({ symbol, evaluation: strategy.evaluate(await d.metrics.fetch(symbol, nowMs, needs)) });
      } catch (error) {
        if (error instanceof NotMeasured) {
          notMeasured.set(symbol, error.reason);
          evaluated.push({ symbol, notMeasured: error.reason });
        } else {
          log.warn('candidate_measure_failed', { symbol, error: errorMessage(error) });
          // Measured nothing: scored on no data (insufficient_data), as before the strategy module existed.
          evaluated.push({ symbol, evaluation: strategy.evaluate({ symbol, nowMs, tradingDay, session: undefined, intraday: EMPTY_WINDOW, dailyBars: [], daily: undefined, quote: undefined }) });
        }
      }
    }
    if (notMeasured.size > 0) log.info('candidates_not_measured', { runId, count: notMeasured.size, reasons: [...new Set(notMeasured.values())] });
    const scored = rankCandidates(strategy, evaluated);
    for (const { metrics: m, decision } of scored) log.info('candidate_scored', { runId, symbol: m.symbol, score: decision.score, accepted: decision.accepted, reason: decision.reason, delayedQuote: m.delayedQuote });

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
    for (const candidate of scored) {
      const { metrics: m, decision } = candidate;
      const signal = {
        pipelineRunId: runId, symbol: m.symbol, tradingDay, score: decision.score, price: m.price, rsi: m.rsi, atrPct: m.atrPct, gapPct: m.gapPct,
        relativeVolume: m.relativeVolume, spreadPct: m.spreadPct,
      };
      const plan = planEntry(candidate, strategy, config.risk, {
        blockers: () => {
          const blockers = entryBlockers({
            nowMs: clock.now(), realNowMs: Date.now(), exitManager: repos.heartbeats.get('exit-manager'), brokerConnected: d.broker.isConnected(),
            realizedPnlToday: realizedToday, unrealizedPnl: pnl?.unrealizedPnl, netLiquidation: account.netLiquidation, halt, marketData,
          }, config);
          if (!d.entries.ready) blockers.push('entries_not_resolved_yet');
          return blockers;
        },
        isActive: (symbol) => repos.positions.isPositionActive(symbol),
        closedToday: (symbol) => repos.closed.wasClosedToday(symbol, tradingDay),
        netLiquidation: account.netLiquidation,
        grossExposure,
      });
      if (plan.kind === 'reject') {
        repos.pipeline.recordSignal({ ...signal, decision: 'REJECTED', reason: plan.reason });
        continue;
      }
      const result = await d.entries.enter({
        symbol: m.symbol, quantity: plan.quantity, limitPrice: plan.limitPrice, stopLossPrice: plan.stopLossPrice, profitTargetPrice: plan.profitTargetPrice,
        score: decision.score, reason: decision.reason,
        ...(isDefault(strategy, config) ? {} : { agentName: strategy.name, exitPlan: plan.exitPlan, metadata: claimMetadata(decision.score, decision.reason, strategy, plan.exitPlan) }),
      });
      if (!result.ok) {
        repos.pipeline.recordSignal({ ...signal, decision: 'REJECTED', reason: result.reason });
        continue;
      }
      repos.pipeline.recordSignal({ ...signal, decision: 'TAKEN', reason: `${decision.reason}; ${plan.quantity} sh (${plan.limitingRule})`, positionId: result.positionId });
      grossExposure += plan.quantity * m.price!;
      taken += 1;
    }
    repos.pipeline.finishRun(runId, { status: 'COMPLETED', candidates, taken });
    log.info('pipeline_completed', { runId, candidates, taken, ...(multi ? { strategy: strategy.name } : {}) });
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

/**
 * The configuration's own gap-momentum agent with exactly the `strategy.*` exits: its claims look as they
 * always did (score and reason only; stop and target follow `strategy.*` at the fill). Any other strategy's
 * claim carries its agent name and its exits.
 */
function isDefault(strategy: Strategy, config: ResolvedConfig): boolean {
  return strategy.type === 'gap-momentum' && strategy.name === config.strategy.agentName && strategy.exitPlan.stopLossPct === config.strategy.stopLossPct
    && strategy.exitPlan.takeProfitPct === config.strategy.takeProfitPct && !(strategy.exitPlan.timeExitMinutes! > 0);
}

const EMPTY_WINDOW = { bars: [], rsi: () => undefined, atr: () => undefined };
