import type Database from 'better-sqlite3';
import type { Clock } from '../../time/clock';
import { isoTime } from '../types';

/**
 * IB's nextValidId is not durable: after a gateway restart it can go backwards, and reusing an id attributes
 * callbacks to the wrong order (architecture.md, "Order ids are not durable"). We keep our own high-water
 * mark per client id and never hand out an id at or below it.
 */
export class OrderIdHighWater {
  private readonly getStmt: Database.Statement<[number]>;
  private readonly setStmt: Database.Statement;
  private readonly reserveTx: (clientId: number, brokerNextValidId: number, count: number) => number;

  constructor(db: Database.Database, private readonly clock: Clock) {
    this.getStmt = db.prepare('SELECT last_order_id FROM order_id_high_water WHERE client_id = ?').pluck();
    this.setStmt = db.prepare(`INSERT INTO order_id_high_water (client_id, last_order_id, updated_at) VALUES (@clientId, @id, @now)
      ON CONFLICT (client_id) DO UPDATE SET last_order_id = MAX(last_order_id, excluded.last_order_id), updated_at = excluded.updated_at`);
    const tx = db.transaction((clientId: number, brokerNextValidId: number, count: number) => {
      const last = (this.getStmt.get(clientId) as number | undefined) ?? 0;
      const id = Math.max(brokerNextValidId, last + 1);
      this.setStmt.run({ clientId, id: id + count - 1, now: isoTime(this.clock.now()) });
      return id;
    });
    this.reserveTx = (clientId, brokerNextValidId, count) => tx.immediate(clientId, brokerNextValidId, count);
  }

  /**
   * The first of `count` ids to use, above both the broker's nextValidId and every id ever reserved; the end
   * of the block is persisted before return. Ids left unused when a process dies are simply skipped (IB
   * only needs them to increase), so a block saves a DB write on every order's hot path.
   */
  reserve(clientId: number, brokerNextValidId: number, count = 1): number {
    return this.reserveTx(clientId, brokerNextValidId, Math.max(1, Math.floor(count)));
  }

  lastUsed(clientId: number): number | undefined {
    return (this.getStmt.get(clientId) as number | undefined) ?? undefined;
  }
}
