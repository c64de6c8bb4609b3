import type { Db } from '../../shared/db/open-database';
import type { BrokerPositionRecord } from './status-model';

interface BrokerPositionRow {
  con_id: number; account: string; symbol: string; sec_type: string; currency: string; description: string; quantity: number; average_cost: number;
  ours_quantity: number; foreign_quantity: number; handling: string; updated_at: string;
}

/** Whether a table exists: a DB from before a migration (read-only, so never migrated here) lacks the newer ones. */
export function tableExists(db: Db, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

/**
 * The reconciler's last complete broker snapshot (`broker_positions`), instrument by instrument. A read-only
 * query of the console; undefined when the table does not exist (schema 1).
 */
export function readBrokerPositions(db: Db): BrokerPositionRecord[] | undefined {
  if (!tableExists(db, 'broker_positions')) return undefined;
  const rows = db.prepare('SELECT * FROM broker_positions ORDER BY symbol, sec_type, con_id').all() as BrokerPositionRow[];
  return rows.map((r) => ({
    conId: r.con_id, account: r.account, symbol: r.symbol, secType: r.sec_type, currency: r.currency, description: r.description, quantity: r.quantity,
    averageCost: r.average_cost, oursQuantity: r.ours_quantity, foreignQuantity: r.foreign_quantity, handling: r.handling, updatedAt: r.updated_at,
  }));
}
