import type { Clock } from '../../../shared/time/clock';
import type { Logger } from '../../../shared/log/logger';
import type { BrokerEngine } from '../engine/broker-engine';
import type { MarketFeed } from '../feed/market-feed';
import type { MarketModel, SymbolInfo } from '../market';
import type { ServerContract } from '../protocol/server-messages';
import type { RealismSettings } from '../realism/realism-settings';
import type { ClientSession } from './client-session';

/** Faults and quirks switched on through the admin endpoint. */
export interface FaultState {
  silent: boolean;
  /** Connections are accepted and closed at once (gateway restarting). */
  refuseConnections: boolean;
  /** The next N REQ_POSITIONS get no POSITION_END (a positions query that times out). */
  positionsTimeouts: number;
  /** The next N historical requests are refused with 162 (pacing violation). */
  historicalPacingViolations: number;
  /** After the next restart, nextValidId starts below the ids already used (IB quirk). */
  idsBackwardsOnRestart: boolean;
  idsBackwardsActive: boolean;
  /** After the next restart, each client's executions of the day are replayed to it on connect. */
  replayExecutionsOnRestart: boolean;
  replayExecutionsActive: boolean;
}

export interface GatewayContext {
  readonly engine: BrokerEngine;
  readonly feed: MarketFeed;
  readonly model: MarketModel;
  readonly clock: Clock;
  readonly log: Logger;
  readonly accountId: string;
  readonly faults: FaultState;
  /** How hostile the simulator is right now (profile plus admin changes). */
  readonly realism: RealismSettings;
  /** Seeded randomness for realism decisions (delays, corrections): same seed, same run. */
  random(): number;
  sessions(): Iterable<ClientSession>;
  sessionFor(clientId: number): ClientSession | undefined;
  info(symbol: string): SymbolInfo | undefined;
  contract(symbol: string): ServerContract;
}
