import { handleAccountData, handleAccountSummary, handlePositions, sendPnl } from '../handlers/account-requests';
import { delayedMarketData } from '../handlers/delayed-market-data';
import { handleCancelMarketData, handleMarketData, handleMarketDataType } from '../handlers/market-data-requests';
import { handleCancelOrder, handleCompletedOrders, handleExecutions, handleOpenOrders, handlePlaceOrder, handleReqIds } from '../handlers/order-requests';
import { handleCancelHistoricalData, handleContractData, handleCurrentTime, handleHistoricalData, handleScannerSubscription } from '../handlers/reference-requests';
import type { ClientRequest } from '../protocol/client-request-types';
import { managedAccountsFields } from '../protocol/server-messages';
import type { ClientSession } from './client-session';
import type { GatewayContext } from './gateway-context';

/** Dispatches one decoded request of a session that has completed START_API. */
export function routeRequest(ctx: GatewayContext, session: ClientSession, request: ClientRequest): void {
  // An account without live data will be asked for delayed data: record the market from the first request
  // on, so a delayed view has (up to) 15 minutes of history when a client asks for it.
  if (ctx.realism.marketData !== 'live') delayedMarketData(ctx);
  switch (request.kind) {
    case 'placeOrder': return handlePlaceOrder(ctx, session, request);
    case 'cancelOrder': return handleCancelOrder(ctx, session, request);
    case 'reqGlobalCancel': return ctx.engine.globalCancel();
    case 'reqOpenOrders': return handleOpenOrders(ctx, session, false);
    case 'reqAllOpenOrders': return handleOpenOrders(ctx, session, true);
    case 'reqAutoOpenOrders': return;
    case 'reqCompletedOrders': return handleCompletedOrders(ctx, session);
    case 'reqExecutions': return handleExecutions(ctx, session, request);
    case 'reqIds': return handleReqIds(ctx, session);
    case 'reqMktData': return handleMarketData(ctx, session, request);
    case 'cancelMktData': return handleCancelMarketData(session, request);
    case 'reqMarketDataType': return handleMarketDataType(ctx, session, request);
    case 'reqPositions': return handlePositions(ctx, session);
    case 'cancelPositions': session.subscriptions.positions = false; return;
    case 'reqAccountData': return handleAccountData(ctx, session, request);
    case 'reqAccountSummary': return handleAccountSummary(ctx, session, request);
    case 'cancelAccountSummary': session.subscriptions.accountSummary.delete(request.reqId); return;
    case 'reqPnl':
      session.subscriptions.pnl.add(request.reqId);
      return sendPnl(ctx, session);
    case 'cancelPnl': session.subscriptions.pnl.delete(request.reqId); return;
    case 'reqPnlSingle': {
      const symbol = ctx.engine.getPositions().map((p) => p.symbol).find((s) => ctx.info(s)?.conId === request.conId) ?? [...ctx.model.universe].find((i) => i.conId === request.conId)?.symbol;
      if (!symbol) return session.sendError(request.reqId, 200, 'No security definition has been found for the request');
      session.subscriptions.pnlSingle.set(request.reqId, symbol);
      return sendPnl(ctx, session);
    }
    case 'cancelPnlSingle': session.subscriptions.pnlSingle.delete(request.reqId); return;
    case 'reqManagedAccts': return session.send(managedAccountsFields([ctx.accountId]));
    case 'reqContractData': return handleContractData(ctx, session, request);
    case 'reqHistoricalData': return handleHistoricalData(ctx, session, request);
    case 'cancelHistoricalData': return handleCancelHistoricalData(ctx, session, request);
    case 'reqScannerSubscription': return handleScannerSubscription(ctx, session, request);
    case 'cancelScannerSubscription': session.subscriptions.scanners.delete(request.reqId); return;
    case 'reqScannerParameters': return;
    case 'reqCurrentTime': return handleCurrentTime(ctx, session);
    case 'startApi': return; // handled by the gateway before routing
    case 'unsupported':
      ctx.log.debug('unsupported_request', { clientId: session.clientId, messageId: request.messageId });
      return;
    default: {
      const exhaustive: never = request;
      return exhaustive;
    }
  }
}
