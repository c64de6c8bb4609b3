import { ConfigError } from '../errors/errors';
import { DEFAULT_COMMISSIONS, type CommissionSettings } from './commissions';

/**
 * The engine's assumptions, all stated and all settable (`npm run backtest -- run --help`):
 *
 * - Time: decisions at time t see only bars that ENDED by t (start + 1 min <= t), like IB's historical data
 *   (complete bars only). Scans run at the scheduled SCAN_TIMES and every SCANNER_REFRESH_S from the open
 *   (the live timer counts from the process start; here from 09:30), in the regular session only.
 * - Entries: the IOC marketable limit fills at the NEXT bar's open plus half the spread plus slippage, if that
 *   is within its limit (else nothing fills: IOC), for at most `participation` of that bar's volume. With an
 *   `entryLatencySeconds` the order reaches the market that long into the bar: the price is taken that far
 *   along from the bar's open to its close (a minute bar does not say more about its path), and the IOC's limit
 *   is priced then (live prices it from the quote the scan just took).
 * - Stop (broker-side STP): triggers when a bar trades at or below it and fills at the stop less half the
 *   spread and slippage; a bar that OPENS below it (a gap through the stop) fills at that open less half the
 *   spread, not at the stop.
 * - Target (broker-side LMT sell): fills at its price when a bar's high less half the spread reaches it (the
 *   bid must get there); a bar opening above it fills at the open less half the spread.
 * - Both in one bar: the stop is taken (conservative: a minute bar does not say which came first).
 * - Market exits (end of day, time exit, trailing stop): at the next bar's open less half the spread and slippage.
 * - Partial fills: any order takes at most `participation` of a bar's volume; the rest waits for the next bar
 *   (an IOC entry's rest is cancelled). A position still open at the close is closed at the last bar's close.
 * - Spread: `model` = the simulator's calibration (1.2 bp at $1B of daily dollar volume, widening with
 *   1/sqrt(dollar volume), wider in the first minutes and on gap-and-go movers, whole cents), or a fixed bps.
 * - Commissions: IB fixed or tiered (commissions.ts). No borrow, no interest, no overnight positions.
 */
export interface EngineSettings {
  initialCapital: number;
  commissions: CommissionSettings;
  /** Extra price impact of marketable orders, basis points of price. */
  slippageBps: number;
  /** 'model' or a fixed spread in basis points. */
  spread: 'model' | number;
  /** Most of a bar's volume one order may take (0 < p <= 1). */
  participation: number;
  /** Seconds between the scan and the entry reaching the market (0: at the bar's open). */
  entryLatencySeconds: number;
  /** Record every scored candidate (signals), not just the taken ones: bigger results, slower. */
  recordSignals: boolean;
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  initialCapital: 100_000,
  commissions: DEFAULT_COMMISSIONS,
  slippageBps: 1,
  spread: 'model',
  participation: 0.1,
  entryLatencySeconds: 0,
  recordSignals: false,
};

/** The settings with the defaults filled in, and every problem with them (empty: usable). */
export function checkEngineSettings(partial: Partial<EngineSettings> = {}): { settings: EngineSettings; problems: string[] } {
  const settings = { ...DEFAULT_ENGINE_SETTINGS, ...partial, commissions: { ...DEFAULT_ENGINE_SETTINGS.commissions, ...partial.commissions } };
  const problems: string[] = [];
  if (!(settings.initialCapital > 0)) problems.push(`initial capital must be positive, got ${settings.initialCapital}`);
  if (!(settings.slippageBps >= 0)) problems.push(`slippage must be >= 0 bps, got ${settings.slippageBps}`);
  if (settings.spread !== 'model' && !(settings.spread >= 0)) problems.push(`spread must be "model" or >= 0 bps, got ${settings.spread}`);
  if (!(settings.participation > 0 && settings.participation <= 1)) problems.push(`participation must be in (0, 1], got ${settings.participation}`);
  if (!(settings.entryLatencySeconds >= 0 && settings.entryLatencySeconds < 60)) problems.push(`entry latency must be 0 to 59 seconds, got ${settings.entryLatencySeconds}`);
  return { settings, problems };
}

/** The settings with the defaults filled in; a ConfigError (exit 78) lists every problem. */
export function engineSettings(partial: Partial<EngineSettings> = {}): EngineSettings {
  const { settings, problems } = checkEngineSettings(partial);
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}
