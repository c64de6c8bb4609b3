import { describeChannels } from '../../shared/alerts/channels/create-channels';
import type { ResolvedConfig } from '../../shared/config/schema';
import { nextTrigger } from '../../shared/schedule/due-triggers';
import type { Clock } from '../../shared/time/clock';
import { assembleStatus } from './assemble-status';
import type { StatusBrokerLink } from './broker-snapshot';
import { readDatabaseSnapshot } from './database-snapshot';
import { readPm2Processes } from './pm2-processes';
import type { StatusReport } from './status-model';

export interface CollectStatusOptions {
  config: ResolvedConfig;
  clock: Clock;
  brokerLink: StatusBrokerLink;
  /** Short on purpose: a console that waits on a locked DB is a console nobody can use in an incident. */
  dbBusyTimeoutMs: number;
  pm2TimeoutMs: number;
  unprotectedAfterMs: number;
}

/** Asks every source (DB, PM2, broker) once, each failing on its own, and assembles the report. */
export async function collectStatus(options: CollectStatusOptions): Promise<StatusReport> {
  const { config, clock } = options;
  const db = readDatabaseSnapshot(config.paths.db, clock, options.dbBusyTimeoutMs);
  const dbSymbols = db.usable ? db.activePositions.map((p) => p.symbol) : [];
  const [pm2, broker] = await Promise.all([readPm2Processes(options.pm2TimeoutMs), options.brokerLink.snapshot(dbSymbols)]);
  const nowMarketMs = clock.now();
  return assembleStatus({
    nowRealMs: Date.now(),
    nowMarketMs,
    clockSpeed: clock.speed,
    clockDescription: clock.description,
    mode: config.mode,
    exitManagerClientId: config.ib.clientIds.exitManager,
    heartbeatStaleMs: config.supervisor.heartbeatStaleMs,
    startupGraceMs: config.supervisor.startupGraceMs,
    foreignPolicy: config.positions.foreignPolicy,
    unprotectedAfterMs: options.unprotectedAfterMs,
    alertChannels: describeChannels(config.alerts),
    nextTrigger: nextTrigger(nowMarketMs, config.schedule),
    pm2,
    broker,
    db,
  });
}
