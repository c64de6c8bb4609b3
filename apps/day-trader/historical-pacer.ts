/** Moved to shared/strategy (the backtest applies the same pacing to its emulated requests). */
export { HistoricalPacer } from '../../shared/strategy/historical-pacer';
