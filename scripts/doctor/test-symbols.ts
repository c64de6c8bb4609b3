import type { BrokerPort } from '../../shared/broker/types';
import type { Mode } from '../../shared/config/schema';
import { errorMessage } from '../../shared/errors/errors';

/** Liquid US stocks every real account can ask for (PAPER and LIVE, unless --symbols names others). */
export const DEFAULT_TEST_SYMBOLS = ['SPY', 'AAPL', 'MSFT'] as const;
const SIM_TEST_SYMBOLS = 3;

export interface TestSymbols {
  symbols: string[];
  /** Where they came from, for the report. */
  source: string;
  problem?: string;
}

/**
 * The symbols the market-data and history checks use: --symbols when given; in SIM a few of the
 * simulator's most active symbols from a scanner request (its universe is synthetic, so SPY does not exist
 * there; the scanner also hands over each symbol's conId, so none is ambiguous); otherwise SPY, AAPL, MSFT.
 */
export async function testSymbols(broker: BrokerPort, mode: Mode, requested: readonly string[] | undefined): Promise<TestSymbols> {
  if (requested && requested.length > 0) return { symbols: [...requested], source: '--symbols' };
  if (mode !== 'SIM') return { symbols: [...DEFAULT_TEST_SYMBOLS], source: 'default' };
  try {
    // Share-class symbols ("BRK B") are left out: a symbol with a space is a test of its own, not of permissions.
    const symbols = (await broker.scan('MOST_ACTIVE', { rows: 10 })).filter((s) => !s.includes(' ')).slice(0, SIM_TEST_SYMBOLS);
    return symbols.length > 0 ? { symbols, source: 'the simulator\'s MOST_ACTIVE scanner' } : { symbols: [], source: 'scanner', problem: 'the MOST_ACTIVE scanner returned no symbol' };
  } catch (error) {
    return { symbols: [], source: 'scanner', problem: `the MOST_ACTIVE scanner request failed: ${errorMessage(error)}` };
  }
}

/** "--symbols spy, aapl" → ["SPY", "AAPL"]; share classes keep their space ("BRK B"). */
export function parseSymbols(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const symbols = text.split(',').map((s) => s.trim().toUpperCase().replace(/\s+/g, ' ')).filter(Boolean);
  return [...new Set(symbols)];
}
