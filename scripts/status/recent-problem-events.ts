import type { Db } from '../../shared/db/open-database';
import type { AuditEvent } from '../../shared/db/repositories/events-repository';
import { parseJsonObject } from '../../shared/db/types';

/**
 * The latest warn/error rows of `events`. EventsRepository.recent() has no level filter, and filtering its
 * output would show fewer than `limit` problems on a busy day; this read-only query belongs there eventually.
 */
export function recentProblemEvents(db: Db, limit: number): AuditEvent[] {
  const rows = db.prepare("SELECT * FROM events WHERE level IN ('warn', 'error') ORDER BY id DESC LIMIT ?").all(limit) as Array<Omit<AuditEvent, 'data'> & { data: string }>;
  return rows.map((row) => ({ ...row, data: parseJsonObject(row.data) }));
}
