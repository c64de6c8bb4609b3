import type Database from 'better-sqlite3';
import { AgentOpeningEquity } from '../analytics/agent-opening-equity';
import type { TradingDay } from '../time/trading-calendar';
import { ExitDayCache } from './exit-day-cache';
import { tradingDayStartIso } from './trading-day-bounds';

/** The connection-wide name of the aggregate. */
const AGGREGATE = 'history_agent_opening_equity';

interface Request {
  initialCapital: number;
  from: TradingDay;
}

interface State {
  chain: AgentOpeningEquity;
  days: ExitDayCache;
  from: TradingDay;
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
  const step = (state: State, agent: string, pnl: number | null, exitTime: string): void => {
    state.chain.add(agent, state.days.tradingDayOf(exitTime), pnl ?? 0);
  };
  db.aggregate<State>(AGGREGATE, {
    start: () => {
      if (!running) throw new Error(`${AGGREGATE}() runs only inside agentEquityBefore`);
      return { chain: new AgentOpeningEquity(running.initialCapital), days: new ExitDayCache(), from: running.from };
    },
    step: step as unknown as (state: State, next: unknown) => void,
    result: (state: State) => {
      const equity = state.chain.result(state.from);
      // JSON keeps every double exactly (the shortest form that reads back as the same number).
      return equity ? JSON.stringify([...equity]) : null;
    },
  });
  registered.add(db);
}

/**
 * Each agent's equity before the trading day `from` (AgentOpeningEquity over the closed trades before it, in
 * exit order): a report's per-agent drawdowns start there. SQLite hands the rows to a JS aggregate one by one,
 * so ten years of trades never become row objects. The function returned answers undefined when the stored
 * exit times do not give the trading days in order (the caller then reads the whole history).
 */
export function prepareAgentEquityBefore(db: Database.Database): (from: TradingDay, initialCapital: number) => Map<string, number> | undefined {
  register(db);
  // The subquery's ORDER BY feeds the aggregate in exit order: SQLite never flattens an ordered subquery into an aggregate.
  const statement = db.prepare(`SELECT ${AGGREGATE}(agent_name, realized_pnl, exit_time) FROM
    (SELECT agent_name, realized_pnl, exit_time FROM round_trips WHERE status = 'CLOSED' AND exit_time < @fromIso ORDER BY exit_time, id)`).pluck();
  return (from, initialCapital) => {
    running = { initialCapital, from };
    try {
      const json = statement.get({ fromIso: tradingDayStartIso(from) }) as string | null | undefined;
      return typeof json === 'string' ? new Map(JSON.parse(json) as Array<[string, number]>) : undefined;
    } finally {
      running = undefined;
    }
  };
}
