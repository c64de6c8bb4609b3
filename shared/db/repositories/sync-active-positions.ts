import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import type { TradingDay } from '../../time/trading-calendar';
import { ActivePositionsRepository } from './active-positions-repository';
import { EventsRepository } from './events-repository';

export interface BrokerPositionSnapshotRow {
  symbol: string;
  /** Signed shares at the broker. */
  quantity: number;
  averageCost: number;
  conId?: number;
}

export type PositionDifferenceKind = 'OK' | 'QUANTITY_DIFFERS' | 'MISSING_IN_DB' | 'MISSING_AT_BROKER' | 'ENTRY_IN_FLIGHT';

export interface PositionDifference {
  symbol: string;
  kind: PositionDifferenceKind;
  dbQuantity: number | null;
  brokerQuantity: number;
  positionId: string | null;
}

export interface PositionChange {
  symbol: string;
  action: 'ADOPTED' | 'QUANTITY_UPDATED';
  positionId: string;
  from: number | null;
  to: number;
}

export interface SyncResult {
  differences: PositionDifference[];
  changes: PositionChange[];
}

export interface SyncOptions {
  tradingDay: TradingDay;
  app: string;
  /** Insert broker positions the DB does not know as OPEN rows (so the exit manager protects them). */
  adoptUntracked: boolean;
  /** Set the DB quantity of OPEN/PROTECTED/CLOSING rows to the broker's. */
  fixQuantities: boolean;
  adoptedAgentName?: string;
  /** Extra metadata of adopted rows (e.g. protectOnly for the "protect" foreign-position policy). */
  adoptedMetadata?: Record<string, unknown>;
  /**
   * Symbols whose snapshot is already out of date (a fill was recorded after it was taken): reported, never
   * changed. Evaluated inside the transaction, so no fill can slip in between the check and the change.
   */
  snapshotStale?: (symbol: string) => boolean;
}

/**
 * Compares active_positions with a COMPLETE broker snapshot (never call it with a timed-out one: unknown is
 * not empty) and applies the unambiguous repairs in one immediate transaction. Rows whose entry is in flight
 * (PENDING_ENTRY) are reported, not touched: their owner resolves them from orders and executions. Rows the
 * broker no longer holds are reported; closing them needs the exit executions (the reconciler does that).
 */
export function syncActivePositions(db: Database.Database, clock: Clock, snapshot: readonly BrokerPositionSnapshotRow[], options: SyncOptions): SyncResult {
  const positions = new ActivePositionsRepository(db, clock);
  const events = new EventsRepository(db, clock);
  const run = db.transaction((): SyncResult => {
    const differences: PositionDifference[] = [];
    const changes: PositionChange[] = [];
    const broker = new Map(snapshot.filter((p) => p.quantity !== 0).map((p) => [p.symbol, p]));
    for (const row of positions.getActivePositions()) {
      const held = broker.get(row.symbol);
      broker.delete(row.symbol);
      const brokerQuantity = held?.quantity ?? 0;
      if (row.status === 'PENDING_ENTRY') {
        differences.push({ symbol: row.symbol, kind: 'ENTRY_IN_FLIGHT', dbQuantity: row.quantity, brokerQuantity, positionId: row.id });
      } else if (brokerQuantity === 0) {
        differences.push({ symbol: row.symbol, kind: 'MISSING_AT_BROKER', dbQuantity: row.quantity, brokerQuantity, positionId: row.id });
      } else if (brokerQuantity !== row.quantity) {
        differences.push({ symbol: row.symbol, kind: 'QUANTITY_DIFFERS', dbQuantity: row.quantity, brokerQuantity, positionId: row.id });
        if (options.fixQuantities && !options.snapshotStale?.(row.symbol)) {
          positions.updateActivePosition(row.id, { quantity: brokerQuantity });
          changes.push({ symbol: row.symbol, action: 'QUANTITY_UPDATED', positionId: row.id, from: row.quantity, to: brokerQuantity });
          events.record(options.app, 'position_quantity_synced', { positionId: row.id, from: row.quantity, to: brokerQuantity }, row.symbol, 'warn');
        }
      } else {
        differences.push({ symbol: row.symbol, kind: 'OK', dbQuantity: row.quantity, brokerQuantity, positionId: row.id });
      }
    }
    for (const held of broker.values()) {
      differences.push({ symbol: held.symbol, kind: 'MISSING_IN_DB', dbQuantity: null, brokerQuantity: held.quantity, positionId: null });
      // A position the exit manager closed a moment after the snapshot was taken is not "untracked".
      if (!options.adoptUntracked || options.snapshotStale?.(held.symbol)) continue;
      const adopted = positions.addActivePosition({
        symbol: held.symbol,
        quantity: held.quantity,
        entryPrice: held.averageCost,
        entryTimestamp: new Date(clock.now()).toISOString(),
        agentName: options.adoptedAgentName ?? 'adopted',
        status: 'OPEN',
        tradingDay: options.tradingDay,
        conId: held.conId,
        metadata: { adoptedBy: options.app, reason: 'broker position not in DB', ...options.adoptedMetadata },
      });
      changes.push({ symbol: held.symbol, action: 'ADOPTED', positionId: adopted.id, from: null, to: held.quantity });
      events.record(options.app, 'position_adopted', { positionId: adopted.id, quantity: held.quantity, averageCost: held.averageCost }, held.symbol, 'warn');
    }
    return { differences, changes };
  });
  return run.immediate();
}
