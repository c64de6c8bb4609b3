import fs from 'node:fs';
import os from 'node:os';
import type Database from 'better-sqlite3';

type Db = Database.Database;

const DEFAULT_THRESHOLD_PAGES = 1_000;
/** How often the checkpointer reads the WAL's size (a 100-byte read of the -shm file), ms. */
const DEFAULT_POLL_MS = 20;
/** A deferring writer checkpoints itself (SQLite's auto-checkpoint) only past this many times the threshold. */
const FALLBACK_FACTOR = 4;

/**
 * Frames in the WAL not yet copied back into the DB file, read from the wal-index header in the -shm file
 * (https://www.sqlite.org/walformat.html, "The WAL-Index Format": two copies of a 48-byte header whose
 * mxFrame is at byte 16, then nBackfill at byte 96, all in the host's byte order). Lock-free and racy on
 * purpose: it only decides WHEN to checkpoint; undefined while the header is being rewritten or absent.
 */
export function walBacklogPages(dbPath: string): number | undefined {
  let fd: number;
  try {
    fd = fs.openSync(`${dbPath}-shm`, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return backlogFromHeader(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const WAL_INDEX_VERSION = 3007000;

function backlogFromHeader(fd: number): number | undefined {
  const header = Buffer.alloc(100);
  if (fs.readSync(fd, header, 0, 100, 0) < 100) return undefined;
  const u32 = (offset: number) => (os.endianness() === 'LE' ? header.readUInt32LE(offset) : header.readUInt32BE(offset));
  // A writer updates the second copy first; the copies differ only in the middle of that update.
  if (u32(0) !== WAL_INDEX_VERSION || header[12] !== 1 || !header.subarray(0, 48).equals(header.subarray(48, 96))) return undefined;
  return u32(16) - u32(96);
}

/**
 * The system's one WAL checkpointer, run by the supervisor on its own connection.
 *
 * SQLite's auto-checkpoint runs inside the commit that crosses its threshold: that one write also copies the
 * WAL back into the DB file and waits for two fsyncs (WAL, then DB file; synchronous=NORMAL), 0.1 to 14 ms on
 * this kind of VM. In bench:db that was every `recordExit` p99 (4-7 ms against a p50 of 0.4 ms) and ~10 % of a
 * claim loop's CPU, and in the bots it would land on whichever fill or exit happened to cross the threshold.
 * So the bots' connections checkpoint themselves only at FALLBACK_FACTOR x the threshold (`deferCheckpoints`),
 * and this does the same PASSIVE checkpoint at the usual threshold, in a process whose event loop no order
 * waits for. PASSIVE never waits for and never blocks a writer or a reader. Durability is unchanged: the
 * same syncs at the same WAL size. A supervisor that is down costs only the bots' own checkpoints at the
 * fallback size (the WAL stays bounded, at 4 x 1,000 pages of 4 KB).
 */
export class WalCheckpointer {
  private timer: NodeJS.Timeout | undefined;
  private readonly thresholdPages: number;
  private checkpoints = 0;

  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
    private readonly options: { thresholdPages?: number; pollMs?: number; onError?: (error: Error) => void } = {},
  ) {
    this.thresholdPages = options.thresholdPages ?? DEFAULT_THRESHOLD_PAGES;
  }

  start(): void {
    this.timer ??= setInterval(() => this.checkNow(), this.options.pollMs ?? DEFAULT_POLL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Checkpoints completed by this checkpointer so far. */
  get completed(): number {
    return this.checkpoints;
  }

  /** One look: a PASSIVE checkpoint when the backlog reached the threshold. True when one ran. */
  checkNow(): boolean {
    let pages: number | undefined;
    try {
      pages = walBacklogPages(this.dbPath);
    } catch (error) {
      this.options.onError?.(error as Error);
      return false;
    }
    if (pages === undefined || pages < this.thresholdPages) return false;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
      this.checkpoints += 1;
      return true;
    } catch (error) {
      // Busy: another connection holds a lock the checkpoint needs (a recovery); the next look tries again.
      if (!String((error as { code?: string }).code).startsWith('SQLITE_BUSY')) this.options.onError?.(error as Error);
      return false;
    }
  }
}

/**
 * For a connection of a process that runs beside the WalCheckpointer: it checkpoints itself only past
 * FALLBACK_FACTOR x the threshold (the checkpointer fell behind or is down), not inside an ordinary commit.
 */
export function deferCheckpoints(db: Db, thresholdPages = DEFAULT_THRESHOLD_PAGES): void {
  db.pragma(`wal_autocheckpoint = ${thresholdPages * FALLBACK_FACTOR}`);
}
