import type { DailyRecord } from '../../shared/analytics/equity-series';
import type { PerformanceMetrics } from '../../shared/analytics/metrics';
import { analyzeBacktest, headline } from '../../shared/backtest/analysis';
import { runBacktest } from '../../shared/backtest/engine';
import { pointOverrides, type ParameterAxis, type ParameterPoint } from '../../shared/backtest/parameter-space';
import { prepareBacktest } from '../../shared/backtest/prepare';
import type { EngineSettings } from '../../shared/backtest/settings';
import type { BacktestTrade } from '../../shared/backtest/result';
import type { ResolvedConfig } from '../../shared/config/schema';
import { BarStore } from '../../shared/db/bar-store/bar-store-repository';

/** What a worker needs to run any point of a search (sent once, in workerData). */
export interface SearchJob {
  storeFile: string;
  config: ResolvedConfig;
  symbols?: readonly string[];
  settings: EngineSettings;
  axes: readonly ParameterAxis[];
  /** Configuration overrides every point shares (--set). */
  baseOverrides: Record<string, unknown>;
}

export interface PointTask {
  id: number;
  point: ParameterPoint;
  from: string;
  to: string;
  /** Equity to start from (walk-forward: the previous out-of-sample window's end). */
  initialCapital?: number;
  withDaily?: boolean;
  /** Return the trades too (walk-forward's out-of-sample runs). */
  withTrades?: boolean;
}

export interface PointResult {
  id: number;
  point: ParameterPoint;
  figures: Record<string, number | null>;
  metrics: PerformanceMetrics;
  daily?: DailyRecord[];
  trades?: BacktestTrade[];
  bars: number;
  seconds: number;
  error?: string;
}

/** Runs points against one open store (a worker keeps one for all its points). */
export class PointRunner {
  private readonly store: BarStore;

  constructor(private readonly job: SearchJob) {
    this.store = BarStore.open(job.storeFile, { readonly: true });
  }

  run(task: PointTask): PointResult {
    const started = process.hrtime.bigint();
    try {
      const overrides = pointOverrides(task.point, this.job.axes);
      const input = prepareBacktest(this.store, {
        from: task.from, to: task.to, symbols: this.job.symbols, config: this.job.config, params: overrides.params,
        configOverrides: { ...this.job.baseOverrides, ...overrides.config },
        settings: task.initialCapital !== undefined ? { ...this.job.settings, initialCapital: task.initialCapital } : this.job.settings,
      });
      const result = runBacktest(input);
      const analysis = analyzeBacktest(result);
      return {
        id: task.id, point: task.point, figures: headline(analysis.metrics), metrics: analysis.metrics, daily: task.withDaily ? result.daily : undefined, trades: task.withTrades ? result.trades : undefined,
        bars: result.stats.bars, seconds: Number(process.hrtime.bigint() - started) / 1e9,
      };
    } catch (error) {
      return { id: task.id, point: task.point, figures: {}, metrics: undefined as unknown as PerformanceMetrics, bars: 0, seconds: Number(process.hrtime.bigint() - started) / 1e9, error: (error as Error).message };
    }
  }

  close(): void {
    this.store.close();
  }
}
