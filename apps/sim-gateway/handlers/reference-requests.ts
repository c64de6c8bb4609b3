import { DateTime } from 'luxon';
import { MARKET_ZONE, nextTradingDay, sessionHours, tradingDayOf } from '../../../shared/time/trading-calendar';
import { formatHistoricalRange, historicalBars, HistoricalRequestError, parseEndDateTime } from '../feed/historical-bars';
import { runScan, SCAN_CODES } from '../feed/scanner';
import type { ClientRequest } from '../protocol/client-request-types';
import { contractAmbiguity } from '../realism/ambiguous-symbols';
import { historicalPacerFor, PACING_VIOLATION_MESSAGE } from '../realism/historical-pacing';
import { historicalPermissionError } from '../realism/market-data-permissions';
import { contractDataEndFields, contractDataFields, currentTimeFields, historicalDataFields, scannerDataFields } from '../protocol/server-messages';
import type { ClientSession } from '../tcp/client-session';
import type { GatewayContext } from '../tcp/gateway-context';

type Req<K extends ClientRequest['kind']> = Extract<ClientRequest, { kind: K }>;

export function handleCurrentTime(ctx: GatewayContext, session: ClientSession): void {
  session.send(currentTimeFields(Math.floor(ctx.clock.now() / 1000)));
}

function tradingHoursText(fromDay: string): { trading: string; liquid: string } {
  const trading: string[] = [];
  const liquid: string[] = [];
  let day = fromDay;
  for (let i = 0; i < 5; i++) {
    const hours = sessionHours(day);
    const d = day.replace(/-/g, '');
    const hm = (ms: number) => DateTime.fromMillis(ms, { zone: MARKET_ZONE }).toFormat('HHmm');
    if (hours) {
      trading.push(`${d}:${hm(hours.preMarketOpenMs)}-${d}:${hm(hours.afterHoursCloseMs)}`);
      liquid.push(`${d}:${hm(hours.openMs)}-${d}:${hm(hours.closeMs)}`);
    } else {
      trading.push(`${d}:CLOSED`);
      liquid.push(`${d}:CLOSED`);
    }
    day = nextTradingDay(day);
  }
  return { trading: trading.join(';'), liquid: liquid.join(';') };
}

export function handleContractData(ctx: GatewayContext, session: ClientSession, request: Req<'reqContractData'>): void {
  const symbol = request.contract.symbol.toUpperCase();
  const info = ctx.info(symbol);
  if (!info || (request.contract.secType && request.contract.secType !== 'STK')) {
    session.sendError(request.reqId, 200, 'No security definition has been found for the request');
    return;
  }
  const ambiguity = contractAmbiguity(ctx, request.contract);
  if (ambiguity) {
    session.sendError(request.reqId, ambiguity.code, ambiguity.message);
    return;
  }
  const hours = tradingHoursText(tradingDayOf(ctx.clock.now()));
  session.sendAll([
    contractDataFields({
      reqId: request.reqId, contract: ctx.contract(symbol), marketName: info.primaryExchange === 'NASDAQ' ? 'NMS' : info.symbol, longName: info.longName,
      minTick: 0.01, orderTypes: 'LMT,MKT,STP,STPLMT,TRAIL', validExchanges: `SMART,${info.primaryExchange},ARCA,ISLAND,BATS`, industry: info.industry,
      category: info.industry, subcategory: info.industry, timeZoneId: 'US/Eastern', tradingHours: hours.trading, liquidHours: hours.liquid,
      stockType: 'COMMON', marketRuleIds: '26',
    }),
    contractDataEndFields(request.reqId),
  ]);
}

/**
 * A client cancels a historical request it gave up on (timed out). A cancelled request gets nothing more;
 * this simulator answers every request synchronously, so by the time a cancel arrives the answer has
 * already gone out and there is nothing to stop: accept it and log it.
 */
export function handleCancelHistoricalData(ctx: GatewayContext, session: ClientSession, request: Req<'cancelHistoricalData'>): void {
  ctx.log.debug('historical_data_cancelled', { clientId: session.clientId, reqId: request.reqId });
}

export function handleHistoricalData(ctx: GatewayContext, session: ClientSession, request: Req<'reqHistoricalData'>): void {
  const symbol = request.contract.symbol.toUpperCase();
  if (ctx.faults.historicalPacingViolations > 0) {
    ctx.faults.historicalPacingViolations -= 1;
    session.sendError(request.reqId, 162, PACING_VIOLATION_MESSAGE);
    return;
  }
  const info = ctx.info(symbol);
  if (!info) {
    session.sendError(request.reqId, 200, 'No security definition has been found for the request');
    return;
  }
  const refusal = contractAmbiguity(ctx, request.contract) ?? historicalPermissionError(ctx.realism.marketData, info);
  if (refusal) {
    session.sendError(request.reqId, refusal.code, refusal.message);
    return;
  }
  if (ctx.realism.historicalPacing) {
    const violation = historicalPacerFor(ctx).admit(request, ctx.clock.now());
    if (violation) {
      ctx.log.info('historical_pacing_violation', { clientId: session.clientId, reqId: request.reqId, symbol, rule: violation });
      session.sendError(request.reqId, 162, PACING_VIOLATION_MESSAGE);
      return;
    }
  }
  try {
    const endMs = parseEndDateTime(request.endDateTime, ctx.clock.now());
    const { bars, startMs } = historicalBars(ctx.model, { symbol, endMs, barSize: request.barSizeSetting, duration: request.durationStr, useRth: request.useRTH, formatDate: request.formatDate });
    session.send(historicalDataFields({ reqId: request.reqId, startDateTime: formatHistoricalRange(startMs), endDateTime: formatHistoricalRange(endMs), bars }));
  } catch (error) {
    if (!(error instanceof HistoricalRequestError)) throw error;
    session.sendError(request.reqId, error.code, error.message);
  }
}

export function handleScannerSubscription(ctx: GatewayContext, session: ClientSession, request: Req<'reqScannerSubscription'>): void {
  const scanCode = request.subscription.scanCode;
  if (!(SCAN_CODES as readonly string[]).includes(scanCode)) {
    session.sendError(request.reqId, 321, `Error validating request: scan code "${scanCode}" is not supported (use ${SCAN_CODES.join(', ')})`);
    return;
  }
  // IB allows 10 API scanner subscriptions at once ("only 10 API scans can be active at a time", TWS API
  // docs "Market Scanner"); one more is refused with 322 (server error processing the request) and the
  // others keep streaming. Text as reported in scmhub/ibsync #2 and recorded from TWS in a public C++ TWS
  // stub. Counted per client here (realism.maxScannerSubscriptions).
  const maxScanners = ctx.realism.maxScannerSubscriptions;
  if (maxScanners > 0 && !session.subscriptions.scanners.has(request.reqId) && session.subscriptions.scanners.size >= maxScanners) {
    ctx.log.info('scanner_subscription_refused', { clientId: session.clientId, reqId: request.reqId, active: session.subscriptions.scanners.size, max: maxScanners });
    session.sendError(request.reqId, 322, `Error processing request:-'id' : cause - Only ${maxScanners} simultaneous API scanner subscriptions are allowed.`);
    return;
  }
  const filter = {
    scanCode, rows: Math.min(50, request.subscription.numberOfRows && request.subscription.numberOfRows > 0 ? request.subscription.numberOfRows : 50),
    abovePrice: request.subscription.abovePrice, belowPrice: request.subscription.belowPrice, aboveVolume: request.subscription.aboveVolume,
  };
  session.subscriptions.scanners.set(request.reqId, filter);
  sendScan(ctx, session, request.reqId);
}

export function sendScan(ctx: GatewayContext, session: ClientSession, reqId: number): void {
  const filter = session.subscriptions.scanners.get(reqId);
  if (!filter) return;
  const symbols = runScan(ctx.model, (s) => ctx.feed.snapshot(s), filter, ctx.clock.now());
  session.send(scannerDataFields(reqId, symbols.map((symbol, rank) => ({ rank, contract: ctx.contract(symbol), marketName: ctx.info(symbol)?.primaryExchange }))));
}
