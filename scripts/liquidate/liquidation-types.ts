import type { BrokerOrder, BrokerPort, BrokerPosition } from '../../shared/broker/types';
import type { ActivePosition, TradingHalt } from '../../shared/db';
import type { Logger } from '../../shared/log/logger';
import type { Clock } from '../../shared/time/clock';
import type { MarketPhase } from '../../shared/time/trading-calendar';
import type { CancelWaitResult } from './broker-waits';
import type { BookingSummary, LiquidationJournal } from './liquidation-journal';
import type { LiquidationOrder } from './liquidation-orders';
import type { ScopedPosition, ScopeOptions } from './position-scope';
import type { PlannedOrder, SessionPath } from './session-path';

/** What a liquidation run is given and what it gives back: shared by its steps (run-liquidation, execute-liquidation). */

export interface LiquidationOptions {
  execute: boolean;
  /** Close every US stock in USD, not only the bots' positions. */
  allStock: boolean;
  /** Outside regular hours: queue DAY market orders for the next open (the only way when the market is closed). */
  atOpen: boolean;
  fillTimeoutMs: number;
  cancelTimeoutMs: number;
  /** How long to wait for a quote before a marketable limit falls back to a market order at the open. */
  quoteTimeoutMs: number;
}

export interface LiquidationDeps {
  broker: BrokerPort;
  journal: LiquidationJournal;
  clock: Clock;
  log: Logger;
  /** The bots' client ids: their orders are told apart from orders placed by hand or by another program. */
  botClientIds: ReadonlySet<number>;
}

export type HaltOutcome =
  | { status: 'set'; halt: TradingHalt }
  | { status: 'already-active'; halt: TradingHalt }
  | { status: 'failed'; problem: string };

/** flat: nothing of the bots' (or of the chosen scope) is left; queued: what is left has a DAY order waiting for the open. */
export type LiquidationVerdict = 'dry-run' | 'refused' | 'flat' | 'queued' | 'remain' | 'unknown';

/** What happened, for the printout, the log and the `emergency_liquidation` event. */
export interface LiquidationOutcome {
  execute: boolean;
  scopeOptions: ScopeOptions & { atOpen: boolean };
  marketPhase: MarketPhase;
  path: SessionPath;
  /** The next regular open (market time, epoch ms), for the queued paths. */
  nextOpenMs: number;
  initialPositions: BrokerPosition[];
  initialOrders: BrokerOrder[];
  /** Every broker position, with what this run does to it. */
  scope: ScopedPosition[];
  /** The orders of the first pass (in a dry run: what would be sent, with the quotes of now). */
  plan: PlannedOrder[];
  dbRows: ActivePosition[];
  /** The halt that was active before this run, if any. */
  haltBefore: TradingHalt | undefined;
  halt: HaltOutcome | undefined;
  cancel: CancelWaitResult | undefined;
  orders: LiquidationOrder[];
  retried: boolean;
  /** undefined when the broker could not tell at the end (connection lost). */
  finalPositions: BrokerPosition[] | undefined;
  finalScope: ScopedPosition[] | undefined;
  finalOrders: BrokerOrder[] | undefined;
  /** Orders that appeared after the cancel and were cancelled by a last global cancel once the scope was flat. */
  sweptOrders: BrokerOrder[];
  /** Orders that appeared after the cancel and were left working (our own orders wait for the open). */
  leftWorking: BrokerOrder[];
  booking: BookingSummary | undefined;
  /** The broker connection failed mid-run (the account state is then unknown). */
  brokerLost: string | undefined;
  verdict: LiquidationVerdict;
  warnings: string[];
}
