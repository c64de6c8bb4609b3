import { formatNewYork } from '../../../shared/time/trading-calendar';
import type { PositionView } from '../realism/reported-positions';
import type { ClientRequest } from '../protocol/client-request-types';
import {
  accountDownloadEndFields, accountSummaryEndFields, accountSummaryFields, accountUpdateTimeFields, accountValueFields,
  pnlFields, pnlSingleFields, portfolioValueFields, positionEndFields, positionFields, type WireField,
} from '../protocol/server-messages';
import type { ClientSession } from '../tcp/client-session';
import type { GatewayContext } from '../tcp/gateway-context';

type Req<K extends ClientRequest['kind']> = Extract<ClientRequest, { kind: K }>;

export function positionMessage(ctx: GatewayContext, position: PositionView): WireField[] {
  return positionFields({ account: ctx.accountId, contract: position.contract, position: position.quantity, averageCost: position.averageCost });
}

/**
 * REQ_POSITIONS: account-wide (the gateway's reported view, which lags the fills), then every change
 * streams to each subscriber (all clients alike). positionEnd carries no request id.
 */
export function handlePositions(ctx: GatewayContext, session: ClientSession): void {
  session.subscriptions.positions = true;
  // Built now, delivered in order: a late answer holds what was true when it was asked for, and the answers
  // to the client's later positions requests come after it.
  const answer = [...ctx.positionRows().map((p) => positionMessage(ctx, p)), positionEndFields()];
  let delayMs = 0;
  if (ctx.faults.positionsTimeouts > 0) {
    // Quirk: the answer comes late, after the client's timeout. Its end marker then looks like the end of
    // the client's NEXT positions request (positionEnd has no id): a client must not take it for that.
    ctx.faults.positionsTimeouts -= 1;
    ctx.log.warn('fault_positions_late', { clientId: session.clientId, lateMs: ctx.faults.lateAnswerMs });
    delayMs = ctx.faults.lateAnswerMs;
  }
  session.orderedAnswers.schedule('positions', delayMs, () => session.sendAll(answer));
}

/** Account values as reqAccountUpdates reports them (these do include RealizedPnL / UnrealizedPnL). */
function accountTags(ctx: GatewayContext): Record<string, number | string> {
  const v = ctx.engine.accountValues();
  return {
    AccountType: 'INDIVIDUAL', NetLiquidation: v.netLiquidation, TotalCashValue: v.totalCash, BuyingPower: v.buyingPower,
    GrossPositionValue: v.grossPositionValue, AvailableFunds: v.availableFunds, ExcessLiquidity: v.availableFunds,
    EquityWithLoanValue: v.netLiquidation, RealizedPnL: v.realizedPnlToday, UnrealizedPnL: v.unrealizedPnl,
  };
}

/**
 * reqAccountSummary's tags are IB's fixed list (NetLiquidation, TotalCashValue, BuyingPower, ...): there is
 * no RealizedPnL or UnrealizedPnL among them (those come from reqPnL or account updates). The ideal profile
 * keeps answering them for old clients.
 */
function summaryTags(ctx: GatewayContext): Record<string, number | string> {
  const tags = accountTags(ctx);
  if (!ctx.realism.accountSummaryPnlTags) {
    delete tags.RealizedPnL;
    delete tags.UnrealizedPnL;
  }
  return tags;
}

function money(value: number | string): string {
  return typeof value === 'number' ? value.toFixed(2) : value;
}

export function handleAccountSummary(ctx: GatewayContext, session: ClientSession, request: Req<'reqAccountSummary'>): void {
  session.subscriptions.accountSummary.add(request.reqId);
  sendAccountSummary(ctx, session, request.reqId, request.tags);
}

export function sendAccountSummary(ctx: GatewayContext, session: ClientSession, reqId: number, tags: readonly string[] = ['All']): void {
  const values = summaryTags(ctx);
  const wanted = tags.length === 0 || tags.includes('All') || tags.includes('$LEDGER') ? Object.keys(values) : tags;
  const messages = wanted.filter((tag) => tag in values).map((tag) => accountSummaryFields(reqId, ctx.accountId, tag, money(values[tag]!), tag === 'AccountType' ? '' : 'USD'));
  session.sendAll([...messages, accountSummaryEndFields(reqId)]);
}

/** REQ_ACCOUNT_DATA (reqAccountUpdates): key values, the portfolio, the update time, then the download end. */
export function sendAccountUpdates(ctx: GatewayContext, session: ClientSession): void {
  const values = accountTags(ctx);
  const messages: WireField[][] = Object.entries(values).map(([key, value]) => accountValueFields(key, money(value), key === 'AccountType' ? '' : 'USD', ctx.accountId));
  for (const position of ctx.positionRows()) {
    const multiplier = position.contract.multiplier ?? 1;
    const last = position.marketPrice ?? (ctx.feed.snapshot(position.contract.symbol).last || position.averageCost);
    messages.push(portfolioValueFields({
      contract: position.contract, position: position.quantity, marketPrice: last, marketValue: last * position.quantity * multiplier,
      averageCost: position.averageCost, unrealizedPnl: (last * multiplier - position.averageCost) * position.quantity, realizedPnl: 0, accountName: ctx.accountId,
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
