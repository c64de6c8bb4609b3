import type { AccountSummary } from '../../shared/broker/types';
import { accountProblemForMode } from '../../shared/config/safety';
import type { ResolvedConfig } from '../../shared/config/schema';
import { check, type CheckResult } from './doctor-model';
import { formatUsd } from './format';

function kindOf(account: string): 'paper' | 'live' {
  return account.startsWith('DU') ? 'paper' : 'live';
}

/**
 * The accounts the gateway manages against MODE and IB_ACCOUNT, by the very rule the bots apply when they
 * connect (accountProblemForMode): what fails here makes every bot refuse to start (exit 78). Pure.
 */
export function accountCheck(config: ResolvedConfig, accounts: readonly string[], summary: AccountSummary | undefined, summaryProblem?: string): CheckResult {
  const described = accounts.map((a) => `${a} (${kindOf(a)})`).join(', ') || 'none';
  const money = summary ? `; net liquidation ${formatUsd(summary.netLiquidation)}, buying power ${formatUsd(summary.buyingPower)}` : '';
  const lines = summaryProblem ? [`account summary not available: ${summaryProblem}`] : [];
  const details = {
    accounts: [...accounts], configuredAccount: config.ib.account ?? null, mode: config.mode,
    netLiquidation: summary?.netLiquidation ?? null, buyingPower: summary?.buyingPower ?? null,
  };
  const problem = accountProblemForMode(config.mode, config.ib.account, accounts);
  if (problem) {
    return check('account', 'fail', `${problem}`, {
      action: `the bots refuse to start with this same message (exit 78): log the gateway into the right ${config.mode === 'LIVE' ? 'live' : 'paper'} user, or fix IB_ACCOUNT / MODE`,
      lines, details,
    });
  }
  if (!config.ib.account && accounts.length > 1) {
    return check('account', 'warn', `the gateway manages ${accounts.length} accounts (${described}) and IB_ACCOUNT is not set`, {
      action: `set IB_ACCOUNT to the one account the bots may trade (e.g. IB_ACCOUNT=${accounts[0]}): positions are reported for every account`,
      lines, details,
    });
  }
  const pinned = config.ib.account ? `matches IB_ACCOUNT` : `IB_ACCOUNT is not set (set IB_ACCOUNT=${accounts[0]} to pin it${config.mode === 'LIVE' ? '' : '; LIVE requires it'})`;
  return check('account', 'ok', `${described}, ${pinned}, MODE=${config.mode}${money}`, { lines, details });
}

/** The connection succeeded, so the version is one @stoqey/ib speaks; reported for support questions. */
export function serverVersionCheck(serverVersion: number): CheckResult {
  return check('serverVersion', 'ok', `${serverVersion} (the IB client here speaks server versions 100 to 193)`, { details: { serverVersion } });
}
