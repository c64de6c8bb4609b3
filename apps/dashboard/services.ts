import type { ResolvedConfig } from '../../shared/config/schema';
import type { Logger } from '../../shared/log/logger';
import { LivenessFiles, livenessDirFor } from '../../shared/process/liveness-file';
import type { Clock } from '../../shared/time/clock';
import { cliClock } from '../../scripts/report/cli-common';
import { BrokerView } from './data/broker-view';
import { DbSource } from './data/db-source';
import { Pm2View } from './data/pm2-view';

/** What every view reads from: the DB (read-only), the gateway (read-only), PM2, the liveness files, the clock. */
export interface DashboardServices {
  config: ResolvedConfig;
  log: Logger;
  clock: Clock;
  db: DbSource;
  broker: BrokerView;
  pm2: Pm2View;
  liveness: LivenessFiles;
  /** Real ms an OPEN position may go without protection before it is shouted about (as in npm run status). */
  unprotectedAfterMs: number;
}

export const UNPROTECTED_AFTER_MS = 5_000;

export function createServices(config: ResolvedConfig, log: Logger): DashboardServices {
  const clock = new AnchorClock(config);
  return {
    config, log, clock,
    db: new DbSource(config.paths.db, clock, log),
    broker: new BrokerView(config, log),
    pm2: new Pm2View(),
    liveness: new LivenessFiles(livenessDirFor(config.paths.db)),
    unprotectedAfterMs: UNPROTECTED_AFTER_MS,
  };
}

/**
 * The market clock as the status console reads it: the simulator's shared anchor file when there is one
 * (re-read every few seconds: `npm start` writes a fresh one for a new simulated day), the system clock
 * otherwise. The dashboard never writes the anchor.
 */
export class AnchorClock implements Clock {
  private clock: Clock;
  private readAtMs: number;

  constructor(private readonly config: ResolvedConfig) {
    this.clock = cliClock(config);
    this.readAtMs = Date.now();
  }

  private current(): Clock {
    if (Date.now() - this.readAtMs > 2_000) {
      this.clock = cliClock(this.config);
      this.readAtMs = Date.now();
    }
    return this.clock;
  }

  now(): number {
    return this.current().now();
  }

  get speed(): number {
    return this.current().speed;
  }

  get description(): string {
    return this.current().description;
  }
}
