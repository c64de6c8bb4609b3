import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SimExecution, SimOrder, SimPosition } from '../engine/types';

/**
 * The simulated account's durable state, in its own SQLite file (never the bots' DB): cash, positions,
 * orders, executions, order-id and perm-id counters, price shocks. Written through on every change, so a
 * gateway restart (or SIGKILL) loses nothing, like a real account at IB.
 */
export class BrokerStore {
  private readonly db: Database.Database;
  private readonly upsertOrderStmt: Database.Statement;
  private readonly insertExecStmt: Database.Statement;
  private readonly upsertPositionStmt: Database.Statement;
  private readonly deletePositionStmt: Database.Statement<[string]>;
  private readonly setMetaStmt: Database.Statement<[string, string]>;
  private readonly getMetaStmt: Database.Statement<[string]>;
  private readonly setClientIdStmt: Database.Statement<[number, number]>;

  constructor(readonly stateDir: string) {
    fs.mkdirSync(stateDir, { recursive: true });
    this.db = new Database(path.join(stateDir, 'broker.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS orders (perm_id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL, order_id INTEGER NOT NULL,
        status TEXT NOT NULL, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS idx_orders_client ON orders(client_id, order_id);
      CREATE INDEX IF NOT EXISTS idx_orders_status ON orders(status);
      CREATE TABLE IF NOT EXISTS executions (exec_id TEXT PRIMARY KEY, trading_day TEXT NOT NULL, time_ms INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS idx_executions_day ON executions(trading_day, time_ms);
      CREATE TABLE IF NOT EXISTS positions (symbol TEXT PRIMARY KEY, quantity INTEGER NOT NULL, average_cost REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS client_order_ids (client_id INTEGER PRIMARY KEY, last_order_id INTEGER NOT NULL);
    `);
    this.upsertOrderStmt = this.db.prepare(`INSERT INTO orders (perm_id, client_id, order_id, status, body) VALUES (@permId, @clientId, @orderId, @status, @body)
      ON CONFLICT (perm_id) DO UPDATE SET status = excluded.status, body = excluded.body`);
    this.insertExecStmt = this.db.prepare('INSERT OR IGNORE INTO executions (exec_id, trading_day, time_ms, body) VALUES (?, ?, ?, ?)');
    this.upsertPositionStmt = this.db.prepare(`INSERT INTO positions (symbol, quantity, average_cost) VALUES (?, ?, ?)
      ON CONFLICT (symbol) DO UPDATE SET quantity = excluded.quantity, average_cost = excluded.average_cost`);
    this.deletePositionStmt = this.db.prepare('DELETE FROM positions WHERE symbol = ?');
    this.setMetaStmt = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.getMetaStmt = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    this.setClientIdStmt = this.db.prepare(`INSERT INTO client_order_ids (client_id, last_order_id) VALUES (?, ?)
      ON CONFLICT (client_id) DO UPDATE SET last_order_id = MAX(last_order_id, excluded.last_order_id)`);
  }

  /** Several writes as one atomic step (a fill: execution, order, position, cash). */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  saveOrder(order: SimOrder): void {
    this.upsertOrderStmt.run({ permId: order.permId, clientId: order.clientId, orderId: order.orderId, status: order.status, body: JSON.stringify(order) });
  }

  saveExecution(execution: SimExecution): void {
    this.insertExecStmt.run(execution.execId, execution.tradingDay, execution.timeMs, JSON.stringify(execution));
  }

  /** A corrected execution replaces the earlier report in place (same position in the day's order). */
  replaceExecution(oldExecId: string, execution: SimExecution): void {
    this.db.prepare('UPDATE executions SET exec_id = ?, body = ? WHERE exec_id = ?').run(execution.execId, JSON.stringify(execution), oldExecId);
  }

  savePosition(position: SimPosition): void {
    if (position.quantity === 0) this.deletePositionStmt.run(position.symbol);
    else this.upsertPositionStmt.run(position.symbol, position.quantity, position.averageCost);
  }

  setMeta(key: string, value: unknown): void {
    this.setMetaStmt.run(key, JSON.stringify(value));
  }

  getMeta<T>(key: string, fallback: T): T {
    const text = this.getMetaStmt.get(key) as string | undefined;
    return text === undefined ? fallback : (JSON.parse(text) as T);
  }

  recordClientOrderId(clientId: number, orderId: number): void {
    this.setClientIdStmt.run(clientId, orderId);
  }

  loadOrders(): SimOrder[] {
    return (this.db.prepare('SELECT body FROM orders ORDER BY perm_id').pluck().all() as string[]).map((b) => JSON.parse(b) as SimOrder);
  }

  loadExecutions(): SimExecution[] {
    return (this.db.prepare('SELECT body FROM executions ORDER BY rowid').pluck().all() as string[]).map((b) => JSON.parse(b) as SimExecution);
  }

  loadPositions(): SimPosition[] {
    return (this.db.prepare('SELECT symbol, quantity, average_cost AS averageCost FROM positions').all() as SimPosition[]);
  }

  loadClientOrderIds(): Map<number, number> {
    const rows = this.db.prepare('SELECT client_id AS clientId, last_order_id AS lastOrderId FROM client_order_ids').all() as Array<{ clientId: number; lastOrderId: number }>;
    return new Map(rows.map((r) => [r.clientId, r.lastOrderId]));
  }

  close(): void {
    this.db.close();
  }
}
