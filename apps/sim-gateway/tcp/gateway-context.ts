import type { Clock } from '../../../shared/time/clock';
import type { Logger } from '../../../shared/log/logger';
import type { BrokerEngine } from '../engine/broker-engine';
import type { MarketFeed } from '../feed/market-feed';
import type { MarketModel, SymbolInfo } from '../market';
import type { ServerContract } from '../protocol/server-messages';
import type { RealismSettings } from '../realism/realism-settings';
import type { PositionView } from '../realism/reported-positions';
import type { ClientSession } from './client-session';

/** Faults and quirks switched on through the admin endpoint. */
export interface FaultState {
  silent: boolean;
  /** Connections are accepted and closed at once (gateway restarting). */
  refuseConnections: boolean;
  /** The next N REQ_POSITIONS are answered `lateAnswerMs` late (after the client's timeout: a late end marker). */
  positionsTimeouts: number;
  /** The next N REQ_OPEN_ORDERS / REQ_ALL_OPEN_ORDERS are answered `lateAnswerMs` late. */
  openOrdersTimeouts: number;
  lateAnswerMs: number;
  /** 1100 in force: the gateway answers but has no link to IB (no data, nothing executes). */
  ibLinkLost: boolean;
  /** The next N historical requests are refused with 162 (pacing violation). */
  historicalPacingViolations: number;
  /** After the next restart, nextValidId starts below the ids already used (IB quirk). */
  idsBackwardsOnRestart: boolean;
  idsBackwardsActive: boolean;
  /** After the next restart, each client's executions of the day are replayed to it on connect. */
  replayExecutionsOnRestart: boolean;
  replayExecutionsActive: boolean;
  /**
   * The next N placed orders get IB's informational 10349 "Order TIF was set to DAY based on order preset."
   * before their acknowledgement, then work (and fill) as usual: newer TWS versions send it, and client
   * libraries that took every error before the acknowledgement for a rejection lost the fills that followed.
   */
  presetWarnings: number;
  /** The message the fault sends (10349 by default; a test may send a code the client does not know yet). */
  presetWarning: { code: number; message: string };
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
  /** The positions as the gateway reports them now (lagging the fills on the realistic profile). */
  positionRows(): PositionView[];
  sessions(): Iterable<ClientSession>;
  sessionFor(clientId: number): ClientSession | undefined;
  info(symbol: string): SymbolInfo | undefined;
  contract(symbol: string): ServerContract;
}
