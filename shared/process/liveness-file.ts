import fs from 'node:fs';
import path from 'node:path';
import type { Heartbeat } from '../db';

/**
 * A bot's heartbeat as a small file beside the DB, written every beat whatever the DB does.
 *
 * The heartbeat row alone cannot tell a hung bot from a live one whose writes are blocked: while another
 * process holds the DB's write lock, every row goes stale at once. The file needs no lock, so a fresh file
 * with a stale row means "alive, the DB is locked", and a stale file means "hung" (a stopped event loop
 * writes nothing at all).
 */
export interface LivenessBeat extends Heartbeat {
  /** Real time of the first of the consecutive heartbeat-row writes that failed with SQLITE_BUSY; null when the last one succeeded. */
  waitingForDbLockSinceMs: number | null;
}

/** Where the liveness files of the system using `dbPath` live: one folder per DB file, like its -wal and -shm. */
export function livenessDirFor(dbPath: string): string {
  return `${path.resolve(dbPath)}-liveness`;
}

/** The liveness files of one system: `<dir>/<app>.json`, replaced atomically (temp file + rename). */
export class LivenessFiles {
  private dirReady = false;

  constructor(readonly dir: string) {}

  fileOf(app: string): string {
    return path.join(this.dir, `${app}.json`);
  }

  /** Replaces the app's file: a reader sees the previous beat or this one, never half of one. Throws on I/O errors. */
  write(beat: LivenessBeat): void {
    if (!this.dirReady) {
      fs.mkdirSync(this.dir, { recursive: true });
      this.dirReady = true;
    }
    const file = this.fileOf(beat.app);
    const temp = `${file}.${process.pid}.tmp`;
    try {
      // No fsync: this is liveness, not durability; after an OS crash every bot starts again anyway.
      fs.writeFileSync(temp, JSON.stringify(beat));
      fs.renameSync(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') this.dirReady = false; // the folder was removed: recreate it next beat
      throw error;
    }
  }

  /**
   * The app's last beat, or undefined when there is no usable file (never written, removed, unreadable):
   * then the heartbeat row alone decides, as it did before these files existed.
   */
  read(app: string): LivenessBeat | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.fileOf(app), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return parseBeat(text, app);
  }

  remove(app: string): void {
    fs.rmSync(this.fileOf(app), { force: true });
  }
}

function parseBeat(text: string, app: string): LivenessBeat | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Renames are atomic, so this is a file someone else wrote by hand: not evidence of life.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  const beat = value as Partial<LivenessBeat> | null;
  if (!beat || beat.app !== app || typeof beat.pid !== 'number' || typeof beat.beatAtMs !== 'number') return undefined;
  return {
    app, pid: beat.pid, state: beat.state ?? 'starting', beatAtMs: beat.beatAtMs, startedAtMs: beat.startedAtMs ?? 0,
    readyAtMs: beat.readyAtMs ?? null, progressAtMs: beat.progressAtMs ?? null, loopLagMs: beat.loopLagMs ?? 0,
    brokerConnected: beat.brokerConnected ?? null, brokerDownSinceMs: beat.brokerDownSinceMs ?? null, detail: beat.detail ?? {},
    waitingForDbLockSinceMs: beat.waitingForDbLockSinceMs ?? null,
  };
}
