/**
 * The simulator's market model: where prices and volumes come from.
 *
 * - `createSyntheticMarket({ seed, universeSize })`: a seeded synthetic market. Every (symbol, day) is a
 *   pure function of the seed, computed directly (no simulating from an epoch), so any process, after
 *   any restart, sees the same market. Each trading day has 2-5 gap-up movers (+5..+15 %, heavy
 *   pre-market volume, some go, some fade) and sometimes one gap-down; everything else gaps < 1 %.
 * - `createReplayMarket({ dir, seed, universeSize })`: real regular-session minute bars from
 *   `<SYMBOL>.csv` files, cycled over the simulated days, with thin synthetic extended hours; synthetic
 *   symbols fill the universe up to `universeSize`.
 *
 * For the server:
 * - Arrays returned by `minuteBars` are cached and shared: treat them as read-only.
 * - Costs (plain node, 2 cores): a symbol-day of 960 bars ≈ 0.3-0.5 ms once warm, then cached (LRU of
 *   400 symbol-days, ~30 MB at most); the first day asked in a process also fills each symbol's
 *   ~640-day price window (~1 ms per symbol). `previousClose` and `quote` are microseconds;
 *   `ticksForBar` is O(ticks) and not cached, so cache the ticks of the bar being played.
 * - `ticksForBar(symbol, bar, n)` makes min(n, volume / 100) trades (at least the 1-4 needed to touch
 *   open, high, low and close); pick n from the number of updates a client can see in a bar's worth of
 *   wall-clock time (IB streams at most ~4 updates a second per symbol).
 * - Quotes are stable within one second for a given last price and move with the tape.
 */
export type { DailyBar, MarketModel, MinuteBar, Quote, SymbolInfo, Tick } from './market-types';
export { MarketDataError, type MarketDataErrorReason } from './market-data-error';
export { DEFAULT_UNIVERSE_SIZE, MINIMUM_UNIVERSE_SIZE, SyntheticMarket, createSyntheticMarket } from './synthetic-market';
export { ReplayMarket, createReplayMarket } from './replay-market';
