/**
 * A monthly report gives each strategy its drawdown from the equity its earlier trades built: it feeds every
 * closed trade before the period (97,000 of 100,000 over ten years) through a JS aggregate, one strategy at a
 * time, in exit order (see shared/history/agent-equity-before.ts). With only (status, exit_time) SQLite looked
 * up each row in the table for its agent and P&L: most of the report's time. This index holds what the
 * aggregate reads, in the order it reads it, so the rows come from the index alone and without a sort.
 *
 * Partial (closed rows only): a bot's entry inserts an OPEN row and never touches it; a close adds one entry.
 */
export const migration007 = {
  version: 7,
  name: 'agent-equity-index',
  sql: `
CREATE INDEX idx_round_trips_closed_agent_exit ON round_trips(agent_name, exit_time, id, realized_pnl) WHERE status = 'CLOSED';
`,
};
