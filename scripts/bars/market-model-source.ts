import { dayBarsFrom, type DayBars } from '../../shared/bars/day-bars';
import { createReplayMarket, createSyntheticMarket, type MarketModel } from '../../apps/sim-gateway/market';
import { sessionHours, type TradingDay } from '../../shared/time/trading-calendar';

/**
 * The simulator's market as a bar source: the seeded synthetic market (any number of symbols and days), or
 * the replay of a CSV folder exactly as sim-gateway plays it (its days cycled onto the simulated dates, thin
 * synthetic extended hours, synthetic symbols filling the universe): the same bars a live system on the
 * simulator trades, which is what the parity run compares against.
 */
export interface MarketModelOptions {
  seed: number;
  universeSize: number;
  /** A CSV folder replayed the way sim-gateway replays it (SIM_MARKET=replay). */
  replayDir?: string;
}

export function marketModel(options: MarketModelOptions): MarketModel {
  return options.replayDir
    ? createReplayMarket({ dir: options.replayDir, seed: options.seed, universeSize: options.universeSize })
    : createSyntheticMarket({ seed: options.seed, universeSize: options.universeSize });
}

/** One symbol-day of the model as stored bars (04:00-20:00, every minute). Empty on a closed day. */
export function modelDayBars(model: MarketModel, symbol: string, tradingDay: TradingDay): DayBars | undefined {
  if (!sessionHours(tradingDay)) return undefined;
  const bars = model.minuteBars(symbol, tradingDay);
  return bars.length > 0 ? dayBarsFrom(symbol, tradingDay, bars) : undefined;
}
