import { DateTime } from 'luxon';
import type { SimExecution, SimOrder } from '../engine/types';
import {
  commissionReportFields, completedOrderFields, executionDataFields, openOrderFields, orderStatusFields,
  type ServerContract, type WireField,
} from '../protocol/server-messages';

/** IB's execution and completion time format. */
export function ibTime(ms: number): string {
  return `${DateTime.fromMillis(ms, { zone: 'America/New_York' }).toFormat('yyyyLLdd HH:mm:ss')} America/New_York`;
}

function serverOrder(order: SimOrder) {
  return {
    action: order.action, totalQuantity: order.totalQuantity, orderType: order.orderType, lmtPrice: order.lmtPrice,
    auxPrice: order.auxPrice, tif: order.tif, account: order.account, ocaGroup: order.ocaGroup, ocaType: order.ocaType,
    orderRef: order.orderRef, permId: order.permId, outsideRth: order.outsideRth, trailStopPrice: order.trailStopPrice,
    trailingPercent: order.trailingPercent,
  };
}

export function openOrderMessage(order: SimOrder, contract: ServerContract): WireField[] {
  return openOrderFields({
    orderId: order.orderId,
    contract,
    order: { ...serverOrder(order), clientId: order.clientId, parentId: order.parentId },
    orderState: { status: order.status, commission: undefined },
  });
}

export function orderStatusMessage(order: SimOrder): WireField[] {
  return orderStatusFields({
    orderId: order.orderId, status: order.status, filled: order.filled, remaining: Math.max(0, order.totalQuantity - order.filled),
    avgFillPrice: order.avgFillPrice, permId: order.permId, parentId: order.parentId, lastFillPrice: order.lastFillPrice,
    clientId: order.clientId, whyHeld: order.whyHeld,
  });
}

export function executionMessages(execution: SimExecution, contract: ServerContract, account: string, reqId = -1): WireField[][] {
  return [
    executionDataFields({
      reqId, orderId: execution.orderId, contract, execId: execution.execId, time: ibTime(execution.timeMs), account,
      executionExchange: 'ISLAND', side: execution.side, shares: execution.shares, price: execution.price, permId: execution.permId,
      clientId: execution.clientId, cumQty: execution.cumQty, avgPrice: execution.avgPrice, orderRef: execution.orderRef, lastLiquidity: 2,
    }),
    commissionReportFields({ execId: execution.execId, commission: execution.commission, currency: 'USD', realizedPnl: execution.realizedPnl }),
  ];
}

export function completedOrderMessage(order: SimOrder, contract: ServerContract): WireField[] {
  return completedOrderFields({
    contract,
    order: { ...serverOrder(order), filledQuantity: order.filled },
    orderState: { status: order.status, completedTime: ibTime(order.updatedMs), completedStatus: order.status === 'Filled' ? `Filled Size: ${order.filled}` : 'Cancelled by API' },
  });
}
