export { type Clock, ManualClock, SystemClock, realDelayMs } from './clock';
export { CompressedClock, type CompressedClockAnchor } from './compressed-clock';
export { clockForConfig } from './clock-for-config';
export * from './trading-calendar';
export { loadOrCreateClockAnchor, readClockAnchor, writeClockAnchor } from './sim-clock-file';
