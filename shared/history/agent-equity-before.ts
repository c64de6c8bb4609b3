import type Database from 'better-sqlite3';
import { OneAgentOpeningEquity } from '../analytics/agent-opening-equity';
import type { TradingDay } from '../time/trading-calendar';
import { ExitDayCache, TradingDayEnds, isStoredIso } from './exit-day-cache';
import { tradingDayStartIso } from './trading-day-bounds';

/** The connection-wide name of the aggregate. */
const AGGREGATE = 'history_agent_opening_equity';

interface Request {
  initialCapital: number;
  from: TradingDay;
  /** Shared by the agents: each walks through the same trading days. */
  days: TradingDayEnds;
}

/** One agent's rows (SQL groups by agent). */
interface State {
  chain: OneAgentOpeningEquity;
  days: ExitDayCache;
  from: TradingDay;
  /** The previous row's exit time and id: the figures need the rows in exit order, so the aggregate checks it. */
  lastExitTime: string;
  lastId: number;
  inExitOrder: boolean;
  /** The previous row's time was a stored one, in `days`' span, which ends at spanEndIso. */
  lastInSpan: boolean;
  spanEndIso: string;
}

/**
 * The request of the query running now. A statement runs synchronously, so no other request can start before
 * it ends; passing the request as SQL arguments instead would hand it to JS once per row.
 */
let running: Request | undefined;
const registered = new WeakSet<Database.Database>();

function register(db: Database.Database): void {
  if (registered.has(db)) return;
  // Three named parameters after the state: better-sqlite3 takes the SQL argument count from step's length.
  const step = (state: State, pnl: number | null, exitTime: string, id: number): void => {
    // Most rows: a stored time after the previous row's (so in order) and before the end of its trading day.
    if (state.lastInSpan && isStoredIso(exitTime) && exitTime < state.spanEndIso && exitTime > state.lastExitTime) {
      state.lastExitTime = exitTime;
      state.lastId = id;
      state.chain.addToSameDay(pnl ?? 0);
      return;
    }
    if (exitTime < state.lastExitTime || (exitTime === state.lastExitTime && id <= state.lastId)) state.inExitOrder = false;
    state.lastExitTime = exitTime;
    state.lastId = id;
    state.chain.add(state.days.tradingDayOf(exitTime), pnl ?? 0);
    state.lastInSpan = isStoredIso(exitTime);
    state.spanEndIso = state.days.spanEnd;
  };
  db.aggregate<State>(AGGREGATE, {
    start: () => {
      if (!running) throw new Error(`${AGGREGATE}() runs only inside agentEquityBefore`);
      return {
        chain: new OneAgentOpeningEquity(running.initialCapital), days: new ExitDayCache(running.days), from: running.from,
        lastExitTime: '', lastId: -Infinity, inExitOrder: true, lastInSpan: false, spanEndIso: '',
      };
    },
    step: step as unknown as (state: State, next: unknown) => void,
    result: (state: State) => {
      const equity = state.inExitOrder ? state.chain.result(state.from) : undefined;
      // JSON keeps every double exactly (the shortest form that reads back as the same number); NULL: not usable.
      return equity === undefined ? null : JSON.stringify(equity);
    },
  });
  registered.add(db);
}

/** Migration 7's index: each agent's closed trades in exit order, with their P&L. */
const AGENT_EXIT_INDEX = 'idx_round_trips_closed_agent_exit';

/**
 * Each agent's equity before the trading day `from` (AgentOpeningEquity over the closed trades before it, in
 * exit order): a report's per-agent drawdowns start there. SQLite hands each agent's rows to a JS aggregate
 * one by one, so ten years of trades never become row objects. The function returned answers undefined when
 * the stored exit times do not give the trading days in order (the caller then reads the whole history).
 */
export function prepareAgentEquityBefore(db: Database.Database): (from: TradingDay, initialCapital: number) => Map<string, number> | undefined {
  register(db);
  const indexed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(AGENT_EXIT_INDEX) !== undefined;
  // With migration 7's index the rows come agent by agent in exit order from the index alone, without a sort.
  // A DB opened read-only before its migration has no such index: an ordered subquery sorts the rows (SQLite
  // never flattens an ordered subquery into an aggregate). Either way the aggregate checks the order it gets.
  const statement = db.prepare(indexed
    ? `SELECT agent_name, ${AGGREGATE}(realized_pnl, exit_time, id) FROM round_trips INDEXED BY ${AGENT_EXIT_INDEX}
      WHERE status = 'CLOSED' AND exit_time < @fromIso GROUP BY agent_name`
    : `SELECT agent_name, ${AGGREGATE}(realized_pnl, exit_time, id) FROM
      (SELECT agent_name, realized_pnl, exit_time, id FROM round_trips WHERE status = 'CLOSED' AND exit_time < @fromIso
        ORDER BY agent_name, exit_time, id)
      GROUP BY agent_name`).raw();
  return (from, initialCapital) => {
    running = { initialCapital, from, days: new TradingDayEnds() };
    try {
      const rows = statement.all({ fromIso: tradingDayStartIso(from) }) as Array<[string, string | null]>;
      const equity = new Map<string, number>();
      for (const [agent, json] of rows) {
        if (json === null) return undefined;
        equity.set(agent, JSON.parse(json) as number);
      }
      return equity;
    } finally {
      running = undefined;
    }
  };
}
