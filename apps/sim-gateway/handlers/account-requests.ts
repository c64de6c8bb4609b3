import { formatNewYork } from '../../../shared/time/trading-calendar';
import type { SimPosition } from '../engine/types';
import type { ClientRequest } from '../protocol/client-request-types';
import {
  accountDownloadEndFields, accountSummaryEndFields, accountSummaryFields, accountUpdateTimeFields, accountValueFields,
  pnlFields, pnlSingleFields, portfolioValueFields, positionEndFields, positionFields, type WireField,
} from '../protocol/server-messages';
import type { ClientSession } from '../tcp/client-session';
import type { GatewayContext } from '../tcp/gateway-context';

type Req<K extends ClientRequest['kind']> = Extract<ClientRequest, { kind: K }>;

export function positionMessage(ctx: GatewayContext, position: SimPosition): WireField[] {
  return positionFields({ account: ctx.accountId, contract: ctx.contract(position.symbol), position: position.quantity, averageCost: position.averageCost });
}

/** REQ_POSITIONS: account-wide, then every change streams to each subscriber (all clients alike). */
export function handlePositions(ctx: GatewayContext, session: ClientSession): void {
  session.subscriptions.positions = true;
  const messages = ctx.engine.getPositions().map((p) => positionMessage(ctx, p));
  if (ctx.faults.positionsTimeouts > 0) {
    // Quirk: the answer never completes. A client must treat this as "unknown", never as "no positions".
    ctx.faults.positionsTimeouts -= 1;
    ctx.log.warn('fault_positions_timeout', { clientId: session.clientId });
    return;
  }
  session.sendAll([...messages, positionEndFields()]);
}

function accountTags(ctx: GatewayContext): Record<string, number | string> {
  const v = ctx.engine.accountValues();
  return {
    AccountType: 'INDIVIDUAL', NetLiquidation: v.netLiquidation, TotalCashValue: v.totalCash, BuyingPower: v.buyingPower,
    GrossPositionValue: v.grossPositionValue, AvailableFunds: v.availableFunds, ExcessLiquidity: v.availableFunds,
    EquityWithLoanValue: v.netLiquidation, RealizedPnL: v.realizedPnlToday, UnrealizedPnL: v.unrealizedPnl,
  };
}

function money(value: number | string): string {
  return typeof value === 'number' ? value.toFixed(2) : value;
}

export function handleAccountSummary(ctx: GatewayContext, session: ClientSession, request: Req<'reqAccountSummary'>): void {
  session.subscriptions.accountSummary.add(request.reqId);
  sendAccountSummary(ctx, session, request.reqId, request.tags);
}

export function sendAccountSummary(ctx: GatewayContext, session: ClientSession, reqId: number, tags: readonly string[] = ['All']): void {
  const values = accountTags(ctx);
  const wanted = tags.length === 0 || tags.includes('All') || tags.includes('$LEDGER') ? Object.keys(values) : tags;
  const messages = wanted.filter((tag) => tag in values).map((tag) => accountSummaryFields(reqId, ctx.accountId, tag, money(values[tag]!), tag === 'AccountType' ? '' : 'USD'));
  session.sendAll([...messages, accountSummaryEndFields(reqId)]);
}

/** REQ_ACCOUNT_DATA (reqAccountUpdates): key values, the portfolio, the update time, then the download end. */
export function sendAccountUpdates(ctx: GatewayContext, session: ClientSession): void {
  const values = accountTags(ctx);
  const messages: WireField[][] = Object.entries(values).map(([key, value]) => accountValueFields(key, money(value), key === 'AccountType' ? '' : 'USD', ctx.accountId));
  for (const position of ctx.engine.getPositions()) {
    const last = ctx.feed.snapshot(position.symbol).last || position.averageCost;
    messages.push(portfolioValueFields({
      contract: ctx.contract(position.symbol), position: position.quantity, marketPrice: last, marketValue: last * position.quantity,
      averageCost: position.averageCost, unrealizedPnl: (last - position.averageCost) * position.quantity, realizedPnl: 0, accountName: ctx.accountId,
    }));
  }
  messages.push(accountUpdateTimeFields(formatNewYork(ctx.clock.now(), 'HH:mm')), accountDownloadEndFields(ctx.accountId));
  session.sendAll(messages);
}

export function handleAccountData(ctx: GatewayContext, session: ClientSession, request: Req<'reqAccountData'>): void {
  session.subscriptions.accountUpdates = request.subscribe;
  if (request.subscribe) sendAccountUpdates(ctx, session);
}

export function sendPnl(ctx: GatewayContext, session: ClientSession): void {
  const values = ctx.engine.accountValues();
  const messages: WireField[][] = [...session.subscriptions.pnl].map((reqId) =>
    pnlFields({ reqId, dailyPnl: values.realizedPnlToday + values.unrealizedPnl, unrealizedPnl: values.unrealizedPnl, realizedPnl: values.realizedPnlToday }));
  for (const [reqId, symbol] of session.subscriptions.pnlSingle) {
    const position = ctx.engine.getPositions().find((p) => p.symbol === symbol);
    const last = ctx.feed.snapshot(symbol).last;
    const unrealized = position ? (last - position.averageCost) * position.quantity : 0;
    messages.push(pnlSingleFields({ reqId, position: position?.quantity ?? 0, dailyPnl: unrealized, unrealizedPnl: unrealized, realizedPnl: 0, value: (position?.quantity ?? 0) * last }));
  }
  session.sendAll(messages);
}
