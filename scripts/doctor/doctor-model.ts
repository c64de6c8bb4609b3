/**
 * What `npm run doctor` reports, as data: one result per check and the verdict. `--json` prints a
 * DoctorReport as it is; the text view renders the same object (render-report.ts). The keys are documented
 * in the README ("Doctor").
 */

/**
 * ok: in place. warn: the system can trade, but something deserves a look (listed under the verdict).
 * fail: the system must not trade as it is. skipped: not run, because a check it needs failed first
 * (the gateway was not reached, the account is the wrong one).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

/** The checks, in the order they run and print. */
export const CHECK_IDS = [
  'config', 'gateway', 'account', 'serverVersion', 'marketData', 'historicalData', 'readOnlyApi', 'masterClientId', 'orderPrecautions',
  'foreignPositions', 'openOrders', 'clock', 'session', 'database',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export const CHECK_TITLES: Record<CheckId, string> = {
  config: 'configuration',
  gateway: 'gateway',
  account: 'account',
  serverVersion: 'server version',
  marketData: 'market data',
  historicalData: 'historical data',
  readOnlyApi: 'read-only API',
  masterClientId: 'master API client ID',
  orderPrecautions: 'order precautions',
  foreignPositions: 'foreign positions',
  openOrders: 'open orders not ours',
  clock: 'clock skew',
  session: 'trading session',
  database: 'database',
};

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** One line: what was found. */
  finding: string;
  /** What to do about it (absent when nothing is to be done). */
  action?: string;
  /** Extra lines printed under the finding (per-symbol results, positions, orders, settings to review). */
  lines?: string[];
  /** Machine-readable facts of the check (JSON only). */
  details?: Record<string, unknown>;
}

export type Verdict = 'READY TO TRADE' | 'NOT READY';

export const DOCTOR_EXIT = { READY: 0, NOT_READY: 1, GATEWAY_UNREACHABLE: 2, BAD_CONFIG: 78 } as const;

export interface DoctorReport {
  verdict: Verdict;
  /** true only with verdict READY TO TRADE. */
  ready: boolean;
  exitCode: number;
  mode: string;
  /** host:port of the gateway the configuration names (null when the configuration could not be read). */
  endpoint: string | null;
  /** The doctor's own client id. */
  clientId: number | null;
  gatewayReachable: boolean;
  /** Accounts the gateway manages (empty when it was not reached). */
  accounts: string[];
  /** Real time of the check (ISO, UTC). */
  checkedAt: string;
  /** Market time of the check in New York (the compressed clock in SIM), "yyyy-MM-dd HH:mm:ss". */
  marketTime: string | null;
  /** Ids of the failed checks, then of the warnings, in check order. */
  failed: CheckId[];
  warnings: CheckId[];
  checks: CheckResult[];
}

export function check(id: CheckId, status: CheckStatus, finding: string, extra: Partial<Pick<CheckResult, 'action' | 'lines' | 'details'>> = {}): CheckResult {
  const result: CheckResult = { id, title: CHECK_TITLES[id], status, finding };
  if (extra.action) result.action = extra.action;
  if (extra.lines && extra.lines.length > 0) result.lines = extra.lines;
  if (extra.details) result.details = extra.details;
  return result;
}

export function skipped(id: CheckId, why: string): CheckResult {
  return check(id, 'skipped', `not checked: ${why}`);
}
