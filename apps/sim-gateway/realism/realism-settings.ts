/**
 * How hostile the simulator is. The realistic profile reproduces what a real IB Gateway does to a client
 * (TWS API docs and the field reports in ../shared/docs/ib-protocol.md): position updates trail the fills
 * that caused them, order statuses overtake executions, executions get corrected, data needs permissions,
 * requests are paced, the account holds things nobody bought through the API. Every behaviour is a
 * separate switch (admin `POST /realism`), so a test can turn on exactly the one it is about.
 * The ideal profile is tidy and synchronous: benchmarks that measure our own latency use it.
 */

export type SimProfile = 'realistic' | 'ideal';
export type MarketDataPermission = 'live' | 'delayed' | 'none';

export interface DelayRange {
  minMs: number;
  maxMs: number;
}

export interface RealismSettings {
  profile: SimProfile;
  /** Position (and portfolio) updates reach clients this long after the fill (REAL ms). */
  positionLag: DelayRange;
  /** Share of position updates that take much longer ("sometimes seconds"). */
  slowPositionProbability: number;
  slowPositionLag: DelayRange;
  /**
   * Execution reports (execDetails + commissionReport) trail the order status of the same fill, so
   * orderStatus(Filled) and orderStatus(Cancelled, filled > 0) routinely arrive before the last execution.
   */
  executionLag: DelayRange;
  /** Share of executions that are later corrected: a new execId with the same prefix and the next suffix. */
  correctionProbability: number;
  correctionDelay: DelayRange;
  /** managedAccounts is sent after nextValidId (real gateways send them in either order). */
  managedAccountsAfterNextValidId: boolean;
  /** Market-data permissions of the account: live, delayed only (reqMarketDataType 3), or none. */
  marketData: MarketDataPermission;
  /** The account holds a long-held stock, an option on a traded symbol, a EUR stock and a share-class symbol. */
  foreignHoldings: boolean;
  /** reqAccountSummary answers RealizedPnL/UnrealizedPnL tags (real IB does not: they come from reqPnL). */
  accountSummaryPnlTags: boolean;
  /** Historical data is paced (60 requests per 10 minutes, identical requests within 15 s refused: 162). */
  historicalPacing: boolean;
  /** At most this many scanner subscriptions at once per client (0 = unlimited). */
  maxScannerSubscriptions: number;
  /** Some symbols are ambiguous on SMART without a primary exchange or conId (error 200). */
  ambiguousSymbols: boolean;
  /** Modifications are checked like IB does (price off the tick: 110; precautions: 201); a rejected modify leaves the order working. */
  strictModifications: boolean;
  /** An order joining an OCA group that already traded is cancelled (a member filled) or reduced, as IB does. */
  lateOcaJoinRules: boolean;
  /**
   * The account has an order preset: an order placed without a time in force gets DAY from it and the
   * informational 10349 before its acknowledgement (the order works and fills; it is not a rejection).
   */
  orderPresetWarnings: boolean;
}

const REALISTIC: RealismSettings = {
  profile: 'realistic',
  positionLag: { minMs: 80, maxMs: 700 },
  slowPositionProbability: 0.1,
  slowPositionLag: { minMs: 1_000, maxMs: 2_500 },
  executionLag: { minMs: 0, maxMs: 250 },
  correctionProbability: 0.05,
  correctionDelay: { minMs: 200, maxMs: 1_500 },
  managedAccountsAfterNextValidId: true,
  marketData: 'delayed',
  foreignHoldings: true,
  accountSummaryPnlTags: false,
  historicalPacing: true,
  maxScannerSubscriptions: 10,
  ambiguousSymbols: true,
  strictModifications: true,
  lateOcaJoinRules: true,
  orderPresetWarnings: true,
};

const IDEAL: RealismSettings = {
  profile: 'ideal',
  positionLag: { minMs: 0, maxMs: 0 },
  slowPositionProbability: 0,
  slowPositionLag: { minMs: 0, maxMs: 0 },
  executionLag: { minMs: 0, maxMs: 0 },
  correctionProbability: 0,
  correctionDelay: { minMs: 0, maxMs: 0 },
  managedAccountsAfterNextValidId: false,
  marketData: 'live',
  foreignHoldings: false,
  accountSummaryPnlTags: true,
  historicalPacing: false,
  maxScannerSubscriptions: 0,
  ambiguousSymbols: false,
  strictModifications: false,
  lateOcaJoinRules: false,
  orderPresetWarnings: false,
};

export function realismFor(profile: SimProfile, overrides: { marketData?: MarketDataPermission; foreignHoldings?: boolean } = {}): RealismSettings {
  const base = profile === 'ideal' ? IDEAL : REALISTIC;
  return {
    ...structuredClone(base),
    ...(overrides.marketData !== undefined ? { marketData: overrides.marketData } : {}),
    ...(overrides.foreignHoldings !== undefined ? { foreignHoldings: overrides.foreignHoldings } : {}),
  };
}

/** Applies a partial update from the admin endpoint; throws a message naming the bad field. */
export function applyRealismPatch(settings: RealismSettings, patch: Record<string, unknown>): RealismSettings {
  const next = structuredClone(settings) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (!(key in next) || key === 'profile') throw new Error(`unknown realism setting "${key}" (settable: ${Object.keys(next).filter((k) => k !== 'profile').join(', ')})`);
    const current = next[key];
    if (typeof current === 'object' && current !== null) {
      const range = value as Partial<DelayRange>;
      if (typeof range !== 'object' || range === null || typeof range.minMs !== 'number' || typeof range.maxMs !== 'number' || range.minMs < 0 || range.maxMs < range.minMs) {
        throw new Error(`"${key}" must be {"minMs": n, "maxMs": m} with 0 <= n <= m`);
      }
      next[key] = { minMs: range.minMs, maxMs: range.maxMs };
    } else if (typeof current !== typeof value) {
      throw new Error(`"${key}" must be a ${typeof current}`);
    } else if (key === 'marketData' && !['live', 'delayed', 'none'].includes(value as string)) {
      throw new Error('"marketData" must be live, delayed or none');
    } else {
      next[key] = value;
    }
  }
  return next as unknown as RealismSettings;
}
