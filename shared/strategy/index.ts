/**
 * The trading rules, pure (no I/O, no clock): what the live day-trader and exit-manager decide, and what
 * the backtest engine decides the same way. The runners own time, data, orders and the book.
 *
 * - types.ts: the Strategy interface (what it needs from the market, evaluate, exits) and StrategyDefinition.
 * - define-strategy.ts: `defineStrategy` for user strategies (the `strategies/` folder), standard parameters.
 * - registry.ts: strategies by name, parameters validated, several at once each as its own agent_name.
 * - gap-momentum.ts: the built-in; candidate-metrics.ts, scoring.ts: its measurements and score.
 * - sizing.ts, entry-guards.ts, entry-decision.ts, claim-rules.ts: size, guards, the per-candidate decision, re-entry.
 * - exit-rules.ts: end-of-day flatten, time exit, trailing stop; sizing.ts protectionLevels: stop and target.
 * - historical-pacer.ts: IB's historical-data pacing, applied to live requests and emulated ones alike.
 */
export * from './types';
export * from './bar-window';
export * from './candidate-metrics';
export * from './scoring';
export * from './sizing';
export * from './entry-guards';
export * from './entry-decision';
export * from './claim-rules';
export * from './exit-rules';
export * from './historical-pacer';
export { defineStrategy, standardParams, type StandardParams, type StrategySpec } from './define-strategy';
export { gapMomentum, gapMomentumNeeds, gapMomentumParams, type GapMomentumParams, GAP_MOMENTUM_SCANNERS } from './gap-momentum';
export { loadStrategies, findStrategyDefinition, listStrategyDefinitions, parseStrategyEntries, defaultStrategiesDir, type StrategiesConfig, type StrategyEntry } from './registry';
