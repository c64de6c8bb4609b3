import { readPm2Processes } from '../../../scripts/status/pm2-processes';
import type { Pm2Snapshot } from '../../../scripts/status/status-model';

/**
 * PM2's process list as the status console reads it (never starting a daemon), cached: asking the daemon
 * costs a socket round trip and a pm2 connect, so one answer serves every page, push and scrape for
 * `maxAgeMs`. A stale answer is served while the next one is on its way.
 */
export class Pm2View {
  private snapshot: Pm2Snapshot | undefined;
  private readAtMs = 0;
  private reading: Promise<Pm2Snapshot> | undefined;

  constructor(private readonly maxAgeMs = 2_000, private readonly timeoutMs = 3_000) {}

  /** The cached answer, refreshed in the background when older than maxAgeMs; waits only for the first one. */
  async get(): Promise<Pm2Snapshot> {
    if (this.snapshot && Date.now() - this.readAtMs < this.maxAgeMs) return this.snapshot;
    const reading = this.refresh();
    return this.snapshot ?? reading;
  }

  private refresh(): Promise<Pm2Snapshot> {
    this.reading ??= readPm2Processes(this.timeoutMs)
      .then((snapshot) => {
        this.snapshot = snapshot;
        this.readAtMs = Date.now();
        return snapshot;
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}
