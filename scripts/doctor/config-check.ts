import type { ResolvedConfig } from '../../shared/config/schema';
import type { ConfigError } from '../../shared/errors/errors';
import { check, type CheckResult } from './doctor-model';

/**
 * The doctor connects with its own fixed client id (CLIENT_ID_DOCTOR, 17), never one of the bots': IB
 * refuses a second connection with a client id in use (326), and the configuration refuses duplicates.
 */
export function doctorClientId(config: ResolvedConfig): number {
  return config.ib.clientIds.doctor;
}

/** The bots' client ids (their orders are ours), by process. */
export function botClientIds(config: ResolvedConfig): { dayTrader: number; exitManager: number; reconciler: number } {
  const { dayTrader, exitManager, reconciler } = config.ib.clientIds;
  return { dayTrader, exitManager, reconciler };
}

export function configCheck(config: ResolvedConfig, configFile: string | undefined): CheckResult {
  const clientId = doctorClientId(config);
  const summary = [
    `MODE=${config.mode}${config.mode === 'LIVE' ? ' (armed: ARM_LIVE_TRADING=yes)' : ''}`,
    `gateway ${config.ib.host}:${config.ib.port}`,
    config.ib.account ? `IB_ACCOUNT=${config.ib.account}` : 'IB_ACCOUNT not set',
    `MARKET_DATA_TYPE=${config.marketData.type}`,
    `FOREIGN_POSITIONS=${config.positions.foreignPolicy}`,
  ].join(', ');
  const details = {
    configFile: configFile ?? null, mode: config.mode, host: config.ib.host, port: config.ib.port, account: config.ib.account ?? null,
    clientIds: { ...config.ib.clientIds }, marketDataType: config.marketData.type, foreignPolicy: config.positions.foreignPolicy, db: config.paths.db,
  };
  const ids = botClientIds(config);
  const lines = [
    `client ids: day-trader ${ids.dayTrader}, exit-manager ${ids.exitManager}, reconciler ${ids.reconciler}, status ${config.ib.clientIds.status}, liquidate ${config.ib.clientIds.liquidate}, doctor ${clientId}`,
    `database ${config.paths.db}${configFile ? `; CONFIG_FILE ${configFile}` : ''}`,
  ];
  return check('config', 'ok', `valid: ${summary}`, { lines, details });
}

/** Invalid configuration: every problem, each with its fix (the same list the bots print before exit 78). */
export function invalidConfigCheck(error: ConfigError): CheckResult {
  return check('config', 'fail', `invalid configuration (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}): nothing else was checked`, {
    action: 'fix each value below in the environment or CONFIG_FILE, then run npm run doctor again',
    lines: [...error.problems],
    details: { problems: [...error.problems] },
  });
}
