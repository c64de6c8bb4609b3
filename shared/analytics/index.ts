/**
 * Performance analytics: pure functions from a daily equity series and closed round trips to metrics.
 * Every formula and the library convention it follows is documented in conventions.ts.
 */
export * from './conventions';
export { finiteOrNull } from './numbers';
export * from './returns';
export * from './risk';
export * from './drawdown';
export * from './trade-stats';
export * from './equity-series';
export * from './metrics';
export * from './agent-breakdown';
export * from './agent-opening-equity';
export { tradingDaysBetween, sessionMinutes, tradingDayOfTime, isoWeekKey, isoWeekBounds, monthBounds, monthKey, formatEt, isTradingDate } from './trading-days';
