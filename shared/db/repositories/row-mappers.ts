import { parseJsonObject, type ActivePosition, type ClosedPosition, type PositionStatus } from '../types';

export interface ActivePositionRow {
  id: string;
  symbol: string;
  quantity: number;
  entry_price: number | null;
  entry_timestamp: string | null;
  agent_name: string;
  profit_target_price: number | null;
  stop_loss_price: number | null;
  status: string;
  trading_day: string;
  entry_order_ref: string;
  entry_order_id: number | null;
  requested_quantity: number;
  oca_group: string | null;
  stop_order_id: number | null;
  target_order_id: number | null;
  protected_quantity: number;
  exit_reason: string | null;
  con_id: number | null;
  entry_reported: number;
  entry_booked: number;
  entry_working: number;
  claimed_at: string;
  last_updated: string;
  metadata: string;
}

export function toActivePosition(row: ActivePositionRow): ActivePosition {
  return {
    id: row.id,
    symbol: row.symbol,
    quantity: row.quantity,
    entryPrice: row.entry_price,
    entryTimestamp: row.entry_timestamp,
    agentName: row.agent_name,
    profitTargetPrice: row.profit_target_price,
    stopLossPrice: row.stop_loss_price,
    status: row.status as PositionStatus,
    tradingDay: row.trading_day,
    entryOrderRef: row.entry_order_ref,
    entryOrderId: row.entry_order_id,
    requestedQuantity: row.requested_quantity,
    ocaGroup: row.oca_group,
    stopOrderId: row.stop_order_id,
    targetOrderId: row.target_order_id,
    protectedQuantity: row.protected_quantity,
    exitReason: row.exit_reason,
    conId: row.con_id,
    entryReported: row.entry_reported,
    entryBooked: row.entry_booked,
    entryWorking: row.entry_working === 1,
    claimedAt: row.claimed_at,
    lastUpdated: row.last_updated,
    metadata: parseJsonObject(row.metadata),
  };
}

export interface ClosedPositionRow {
  id: number;
  symbol: string;
  close_date: string;
  position_id: string;
  quantity: number;
  entry_price: number | null;
  exit_price: number;
  exit_reason: string;
  profit_loss_pct: number | null;
  realized_pnl: number;
  commission: number;
  agent_name: string;
  entry_timestamp: string | null;
  timestamp: string;
}

export function toClosedPosition(row: ClosedPositionRow): ClosedPosition {
  return {
    id: row.id,
    symbol: row.symbol,
    closeDate: row.close_date,
    positionId: row.position_id,
    quantity: row.quantity,
    entryPrice: row.entry_price,
    exitPrice: row.exit_price,
    exitReason: row.exit_reason,
    profitLossPct: row.profit_loss_pct,
    realizedPnl: row.realized_pnl,
    commission: row.commission,
    agentName: row.agent_name,
    entryTimestamp: row.entry_timestamp,
    timestamp: row.timestamp,
  };
}
