import { describeChannels } from '../../../shared/alerts/channels/create-channels';
import { nextTrigger } from '../../../shared/schedule/due-triggers';
import { assembleStatus } from '../../../scripts/status/assemble-status';
import { readDatabaseSnapshotFrom } from '../../../scripts/status/database-snapshot';
import type { BrokerSnapshot, DbSnapshot, StatusReport } from '../../../scripts/status/status-model';
import type { BrokerViewState } from '../data/broker-view';
import type { DashboardServices } from '../services';

/**
 * `npm run status -- --json`, built by the same code (assembleStatus) from the same sources: the DB (the
 * dashboard's read-only connection, one read transaction), PM2 (cached for 2 s) and the broker (the
 * dashboard's own read-only view of the gateway, refreshed every DASHBOARD_BROKER_REFRESH_MS).
 */
export async function buildStatus(s: DashboardServices, db?: DbSnapshot): Promise<StatusReport> {
  const snapshot = db ?? readDbSnapshot(s);
  s.broker.interest();
  if (s.broker.enabled && s.broker.current().refreshedAtMs === null) await s.broker.refreshNow();
  const pm2 = await s.pm2.get();
  const nowMarketMs = s.clock.now();
  const lastFill = s.db.read((r) => r.fingerprint.lastFillRecordedAt());
  const lastFillRealMs = lastFill.ok && lastFill.value ? Date.now() - Math.max(0, nowMarketMs - Date.parse(lastFill.value)) / s.clock.speed : null;
  return assembleStatus({
    nowRealMs: Date.now(),
    nowMarketMs,
    clockSpeed: s.clock.speed,
    clockDescription: s.clock.description,
    mode: s.config.mode,
    exitManagerClientId: s.config.ib.clientIds.exitManager,
    heartbeatStaleMs: s.config.supervisor.heartbeatStaleMs,
    startupGraceMs: s.config.supervisor.startupGraceMs,
    foreignPolicy: s.config.positions.foreignPolicy,
    unprotectedAfterMs: s.unprotectedAfterMs,
    alertChannels: describeChannels(s.config.alerts),
    nextTrigger: nextTrigger(nowMarketMs, s.config.schedule),
    pm2,
    broker: settledBroker(s.broker.current(), lastFillRealMs, s.config.exits.brokerSettleMs),
    db: snapshot,
  });
}

/**
 * IB's position reports trail the fills by up to seconds: a positions snapshot taken before a fill had time to
 * show is no evidence about it (the bots' own rule: BROKER_SETTLE_MS). Shown as it is, it would call a fresh
 * position "flat at the broker" and its exit "UNPROTECTED … unknown to the DB" for a moment after every fill.
 * Until the next refresh after the settle time, positions and working orders are held back as unknown
 * (protection shows as unverified, positionsKnown false with no problem named; the overview says why).
 */
export function settledBroker(view: BrokerViewState, lastFillRealMs: number | null, settleMs: number): BrokerSnapshot {
  const snapshot = view.snapshot;
  if (!snapshot.reachable || view.refreshedAtMs === null || lastFillRealMs === null) return snapshot;
  if (view.refreshedAtMs >= lastFillRealMs + settleMs) return snapshot;
  return { ...snapshot, positions: undefined, openOrders: undefined };
}

export function readDbSnapshot(s: DashboardServices): DbSnapshot {
  const result = s.db.read((r) => readDatabaseSnapshotFrom(r.db, r.path, s.clock));
  return result.ok ? result.value : { usable: false, path: s.db.path, problem: result.problem };
}
