import type { AppConfig } from './schema';
import { LIVE_PORTS, PAPER_PORTS } from './schema';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);
const REAL_IB_PORTS: readonly number[] = [...PAPER_PORTS, ...LIVE_PORTS];

/**
 * The static half of the mode safety rules (architecture.md, "Modes"). The other half, "the account the
 * gateway reports matches IB_ACCOUNT and its kind matches the mode", is checked at connect time by
 * `checkAccountForMode` because only the gateway knows it.
 */
export function modeSafetyProblems(config: AppConfig & { ib: { port: number } }): string[] {
  const problems: string[] = [];
  const { mode, ib } = config;
  if (mode === 'LIVE') {
    if (!config.armLiveTrading) {
      problems.push('MODE=LIVE trades real money and needs ARM_LIVE_TRADING=yes set on purpose; refusing to start unarmed');
    }
    if (!ib.account) {
      problems.push('MODE=LIVE needs IB_ACCOUNT (your live account id, e.g. U1234567) so the gateway can be checked against it');
    } else if (ib.account.startsWith('DU')) {
      problems.push(`IB_ACCOUNT=${ib.account} is a paper account (DU prefix) but MODE=LIVE: use MODE=PAPER for paper trading`);
    }
    if ((PAPER_PORTS as readonly number[]).includes(ib.port)) {
      problems.push(`IB_PORT=${ib.port} is a paper-trading port (TWS 7497 / Gateway 4002) but MODE=LIVE: live ports are 7496 / 4001`);
    }
  } else if (mode === 'PAPER') {
    if (ib.account && !ib.account.startsWith('DU')) {
      problems.push(`IB_ACCOUNT=${ib.account} is not a paper account (paper ids start with DU) but MODE=PAPER`);
    }
    if ((LIVE_PORTS as readonly number[]).includes(ib.port)) {
      problems.push(`IB_PORT=${ib.port} is a live-trading port (TWS 7496 / Gateway 4001) but MODE=PAPER: paper ports are 7497 / 4002`);
    }
  } else {
    if (!LOOPBACK_HOSTS.has(ib.host)) {
      problems.push(`MODE=SIM talks only to the local simulator, but IB_HOST=${ib.host} is not loopback: use 127.0.0.1`);
    }
    if (REAL_IB_PORTS.includes(ib.port)) {
      problems.push(`MODE=SIM but IB_PORT=${ib.port} is a real IB port (7496/7497/4001/4002): use the simulator's port (default 4300) or set MODE=PAPER`);
    }
  }
  return problems;
}

/**
 * Connect-time check: the accounts the gateway manages (MANAGED_ACCTS) against the mode and IB_ACCOUNT.
 * Returns the problem, or undefined when trading may go on.
 */
export function accountProblemForMode(
  mode: AppConfig['mode'],
  configuredAccount: string | undefined,
  gatewayAccounts: readonly string[],
): string | undefined {
  if (gatewayAccounts.length === 0) return 'the gateway reported no managed account';
  if (configuredAccount && !gatewayAccounts.includes(configuredAccount)) {
    return `IB_ACCOUNT=${configuredAccount} but the gateway manages ${gatewayAccounts.join(', ')}: log in with the right user or fix IB_ACCOUNT`;
  }
  const isPaper = gatewayAccounts.every((a) => a.startsWith('DU'));
  if (mode === 'LIVE' && isPaper) {
    return `MODE=LIVE but the gateway is logged into paper account ${gatewayAccounts.join(', ')}: refusing to trade`;
  }
  if ((mode === 'PAPER' || mode === 'SIM') && !isPaper) {
    return `MODE=${mode} but the gateway is logged into a live account (${gatewayAccounts.join(', ')}): refusing to trade real money outside MODE=LIVE`;
  }
  return undefined;
}
