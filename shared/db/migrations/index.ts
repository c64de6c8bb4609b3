import type Database from 'better-sqlite3';
import { migration001 } from './001-initial-schema';
import { migration002 } from './002-realistic-broker';
import { migration003 } from './003-portfolio-snapshots';
import { migration004 } from './004-alerts-outbox';
import { migration005 } from './005-backtest-runs';
import { migration006 } from './006-lean-hot-path';
import { migration007 } from './007-agent-equity-index';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Data changes SQL alone cannot express; runs after `sql`, in the same transaction. */
  readonly up?: (db: Database.Database) => void;
}

/** Numbered, append-only. Never edit a released migration: add the next number. */
export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
