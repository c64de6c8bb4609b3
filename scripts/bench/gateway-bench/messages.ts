/** What the bench parent and its client processes say to each other over the fork IPC channel. */

export interface StartCommand {
  kind: 'start';
  port: number;
  clientId: number;
  symbols: string[];
}

/**
 * Collect tick latencies for `durationMs`, or while placing `orders` round trips, or (neither given)
 * until a `finish` command arrives.
 */
export interface MeasureCommand {
  kind: 'measure';
  durationMs?: number;
  /** `warmup` round trips first, not recorded: the first order runs cold code on both sides (~40 ms). */
  orders?: { count: number; warmup: number; quantity: number; pauseMs: number; timeoutMs: number };
}

export interface FinishCommand {
  kind: 'finish';
}

export interface StopCommand {
  kind: 'stop';
}

export type ParentCommand = StartCommand | MeasureCommand | FinishCommand | StopCommand;

export interface ReadyReply {
  kind: 'ready';
  clientId: number;
  nextValidId: number;
}

export interface MeasureReply {
  kind: 'measured';
  clientId: number;
  /** Fan-out latency of every trade seen (ms): listener time minus the simulator's emission stamp. */
  tickLatenciesMs: number[];
  /** Distinct trades received (one per new RT_VOLUME stamp) and quote callbacks (bid, ask, last each call back). */
  trades: number;
  quoteCallbacks: number;
  elapsedMs: number;
  cpuMs: number;
  /** Present when orders were asked for: place -> first filled event (ms). */
  roundTripsMs?: number[];
  orderTimeouts?: number;
  partialFirstFills?: number;
}

export interface FailedReply {
  kind: 'failed';
  clientId: number;
  error: string;
}

export type WorkerReply = ReadyReply | MeasureReply | FailedReply;
