import type { ClientRequest } from '../protocol/client-request-types';
import { completedOrdersEndFields, openOrderEndFields, nextValidIdFields } from '../protocol/server-messages';
import type { ClientSession } from '../tcp/client-session';
import type { GatewayContext } from '../tcp/gateway-context';
import { completedOrderMessage, executionMessages, openOrderMessage, orderStatusMessage } from '../tcp/order-messages';
import { DateTime } from 'luxon';
import { contractAmbiguity } from '../realism/ambiguous-symbols';
import { IB_ERRORS } from '../engine/order-errors';

type Req<K extends ClientRequest['kind']> = Extract<ClientRequest, { kind: K }>;

export function handlePlaceOrder(ctx: GatewayContext, session: ClientSession, request: Req<'placeOrder'>): void {
  const ambiguity = contractAmbiguity(ctx, request.contract);
  if (ambiguity) return session.sendError(request.orderId, ambiguity.code, ambiguity.message);
  const clientId = session.clientId!;
  const symbol = request.contract.symbol.toUpperCase();
  const isNew = !ctx.engine.hasOrder(clientId, request.orderId);
  // TWS applies the order preset to a field the API left empty and says so with 10349, ahead of the order's
  // acknowledgement (realistic profile); the fault sends it for any new order. Either way the order works.
  const byPreset = ctx.realism.orderPresetWarnings && !request.order.tif;
  const byFault = !byPreset && ctx.faults.presetWarnings > 0;
  if (isNew && (byPreset || byFault)) {
    if (byFault) ctx.faults.presetWarnings -= 1;
    const warning = byFault ? ctx.faults.presetWarning : IB_ERRORS.TIF_FROM_PRESET;
    ctx.log.warn('order_preset_warning', { clientId, orderId: request.orderId, symbol, orderRef: request.order.orderRef, tif: request.order.tif || 'DAY (preset)', code: warning.code });
    session.sendError(request.orderId, warning.code, warning.message);
  }
  const problem = ctx.engine.placeOrder(clientId, request.orderId, symbol, request.order);
  if (problem) {
    ctx.log.info('order_rejected', { clientId, orderId: request.orderId, symbol, code: problem.code, reason: problem.message, orderRef: request.order.orderRef });
    session.sendError(request.orderId, problem.code, problem.message);
    return;
  }
  ctx.log.debug('order_accepted', { clientId, orderId: request.orderId, symbol, orderType: request.order.orderType, orderRef: request.order.orderRef });
}

export function handleCancelOrder(ctx: GatewayContext, session: ClientSession, request: Req<'cancelOrder'>): void {
  const problem = ctx.engine.cancelOrder(session.clientId!, request.orderId, 'cancelled by client');
  if (problem) session.sendError(request.orderId, problem.code, problem.message);
}

export function handleOpenOrders(ctx: GatewayContext, session: ClientSession, all: boolean): void {
  // Built now, delivered in order (own and all share openOrderEnd, so they share one queue): a late answer
  // holds the orders working when it was asked for, and later answers come after it.
  const orders = ctx.engine.workingOrders(all ? undefined : session.clientId);
  const answer = [...orders.flatMap((order) => [openOrderMessage(order, ctx.contract(order.symbol)), orderStatusMessage(order)]), openOrderEndFields()];
  let delayMs = 0;
  if (ctx.faults.openOrdersTimeouts > 0) {
    // Quirk: answered after the client gave up; openOrderEnd has no request id, so it looks like the end of
    // the client's next open-orders request.
    ctx.faults.openOrdersTimeouts -= 1;
    ctx.log.warn('fault_open_orders_late', { clientId: session.clientId, lateMs: ctx.faults.lateAnswerMs });
    delayMs = ctx.faults.lateAnswerMs;
  }
  session.orderedAnswers.schedule('openOrders', delayMs, () => session.sendAll(answer));
}

export function handleCompletedOrders(ctx: GatewayContext, session: ClientSession): void {
  const done = ctx.engine.getOrders().filter((o) => o.status === 'Filled' || o.status === 'Cancelled');
  session.sendAll([...done.map((o) => completedOrderMessage(o, ctx.contract(o.symbol))), completedOrdersEndFields()]);
}

/** REQ_EXECUTIONS: the day's executions matching the filter, each with its commission report, then the end. */
export function handleExecutions(ctx: GatewayContext, session: ClientSession, request: Req<'reqExecutions'>): void {
  const filter = request.filter;
  const sinceMs = parseExecutionFilterTime(filter.time);
  const executions = ctx.engine.getExecutions().filter((e) =>
    (!filter.clientId || e.clientId === filter.clientId) &&
    (!filter.symbol || e.symbol === filter.symbol.toUpperCase()) &&
    (!filter.side || (filter.side.toUpperCase() === 'BUY' ? e.side === 'BOT' : e.side === 'SLD')) &&
    (sinceMs === undefined || e.timeMs >= sinceMs));
  const messages = executions.flatMap((e) => executionMessages(e, ctx.contract(e.symbol), ctx.accountId, request.reqId));
  session.sendAll([...messages, [55, 1, request.reqId]]);
}

export function handleReqIds(ctx: GatewayContext, session: ClientSession): void {
  session.send(nextValidIdFields(nextValidIdFor(ctx, session.clientId!)));
}

/** Next valid id: above the ids used, unless the "ids go backwards after a restart" quirk is on. */
export function nextValidIdFor(ctx: GatewayContext, clientId: number): number {
  return ctx.faults.idsBackwardsActive ? 1 : ctx.engine.lastOrderId(clientId) + 1;
}

/** "yyyymmdd-hh:mm:ss" (UTC) or "yyyymmdd hh:mm:ss [zone]" (zone default New York); "" = no filter. */
export function parseExecutionFilterTime(text: string): number | undefined {
  const value = text.trim();
  if (!value) return undefined;
  const utc = /^(\d{8})-(\d{2}:\d{2}:\d{2})$/.exec(value);
  if (utc) return DateTime.fromFormat(`${utc[1]} ${utc[2]}`, 'yyyyLLdd HH:mm:ss', { zone: 'utc' }).toMillis();
  const [date, time, zone] = value.split(/\s+/);
  const parsed = DateTime.fromFormat(`${date} ${time ?? '00:00:00'}`, 'yyyyLLdd HH:mm:ss', { zone: zone ?? 'America/New_York' });
  return parsed.isValid ? parsed.toMillis() : undefined;
}
