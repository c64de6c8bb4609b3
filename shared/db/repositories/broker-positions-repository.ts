import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import { isoTime } from '../types';

/** How the bots treat one broker position. */
export type PositionHandling = 'ours' | 'ignored' | 'protected' | 'adopted' | 'not-tradable';

export interface BrokerPositionRow {
  conId: number;
  account: string;
  symbol: string;
  secType: string;
  currency: string;
  description: string;
  quantity: number;
  averageCost: number;
  oursQuantity: number;
  foreignQuantity: number;
  handling: PositionHandling;
  updatedAt: string;
}

interface Row {
  con_id: number; account: string; symbol: string; sec_type: string; currency: string; description: string; quantity: number; average_cost: number;
  ours_quantity: number; foreign_quantity: number; handling: PositionHandling; updated_at: string;
}

/**
 * `broker_positions`: the last COMPLETE broker positions snapshot, instrument by instrument, with what is
 * ours and what is not, so the status console, doctor and dashboard can show the whole account without
 * a broker connection of their own. Replaced as a whole, in one transaction, by the reconciler.
 */
export class BrokerPositionsRepository {
  private readonly deleteAllStmt: Database.Statement<[]>;
  private readonly insertStmt: Database.Statement;
  private readonly allStmt: Database.Statement<[]>;
  private readonly replaceTx: (rows: ReadonlyArray<Omit<BrokerPositionRow, 'updatedAt'>>) => void;

  constructor(db: Database.Database, private readonly clock: Clock) {
    this.deleteAllStmt = db.prepare('DELETE FROM broker_positions');
    this.insertStmt = db.prepare(`INSERT INTO broker_positions (con_id, account, symbol, sec_type, currency, description, quantity, average_cost,
      ours_quantity, foreign_quantity, handling, updated_at) VALUES (@conId, @account, @symbol, @secType, @currency, @description, @quantity,
      @averageCost, @oursQuantity, @foreignQuantity, @handling, @updatedAt)
      ON CONFLICT (con_id) DO UPDATE SET quantity = quantity + excluded.quantity, ours_quantity = ours_quantity + excluded.ours_quantity,
        foreign_quantity = foreign_quantity + excluded.foreign_quantity`);
    this.allStmt = db.prepare('SELECT * FROM broker_positions ORDER BY sec_type, symbol');
    const replace = db.transaction((rows: ReadonlyArray<Omit<BrokerPositionRow, 'updatedAt'>>) => {
      this.deleteAllStmt.run();
      const updatedAt = isoTime(this.clock.now());
      for (const row of rows) this.insertStmt.run({ ...row, updatedAt });
    });
    this.replaceTx = (rows) => replace.immediate(rows);
  }

  replaceAll(rows: ReadonlyArray<Omit<BrokerPositionRow, 'updatedAt'>>): void {
    this.replaceTx(rows);
  }

  all(): BrokerPositionRow[] {
    return (this.allStmt.all() as Row[]).map((r) => ({
      conId: r.con_id, account: r.account, symbol: r.symbol, secType: r.sec_type, currency: r.currency, description: r.description, quantity: r.quantity,
      averageCost: r.average_cost, oursQuantity: r.ours_quantity, foreignQuantity: r.foreign_quantity, handling: r.handling, updatedAt: r.updated_at,
    }));
  }
}
