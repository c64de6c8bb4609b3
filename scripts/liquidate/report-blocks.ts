import type { BrokerOrder, BrokerPosition } from '../../shared/broker/types';
import type { TradingHalt } from '../../shared/db';
import { formatNewYork } from '../../shared/time/trading-calendar';
import { formatPrice, formatShares } from '../status/format';
import { textTable } from '../status/text-table';
import { orderOwner, type OrderOwner, type ScopedPosition } from './position-scope';
import type { LiquidationOutcome } from './liquidation-types';
import { describePlanned, DELAYED_LIMIT_MARGIN_PCT, LIMIT_MARGIN_PCT, type PlannedOrder } from './session-path';

/** Pieces of the liquidation printout shared by the dry run and the real run. */

const PHASE_WORDS = { PRE_MARKET: 'pre-market session', AFTER_HOURS: 'after-hours session', CLOSED: 'market closed', REGULAR: 'regular session' } as const;

export function nextOpenText(outcome: LiquidationOutcome): string {
  return `${formatNewYork(outcome.nextOpenMs, 'ccc yyyy-LL-dd HH:mm')} ET`;
}

/** Which way the positions are closed at this hour, and why. */
export function sessionText(outcome: LiquidationOutcome, dryRun: boolean): string {
  const would = dryRun ? 'would be' : 'is';
  const phase = PHASE_WORDS[outcome.marketPhase];
  switch (outcome.path) {
    case 'market-now':
      return `Session: ${phase}: each position ${would} closed with a market order (DAY), filled now.` +
        (outcome.scopeOptions.atOpen ? ' (--at-open changes nothing while the market is open.)' : '');
    case 'extended-limit':
      return [
        `Session: ${phase.toUpperCase()}: IB executes market orders only in regular hours (09:30-16:00 ET); one sent now would wait for the open (${nextOpenText(outcome)}).`,
        `  So each position ${would} closed with a marketable LIMIT order allowed outside regular hours (outsideRth): a sell at the bid minus ${LIMIT_MARGIN_PCT} %,`,
        `  a buy at the ask plus ${LIMIT_MARGIN_PCT} % (${DELAYED_LIMIT_MARGIN_PCT} % on delayed quotes), rounded to the cent; it fills at the best price there is, the limit only caps it.`,
        '  A symbol with no quote within a few seconds gets a DAY market order instead, queued for the open.',
        '  (--at-open queues market orders for the open for every position instead of trading in this session.)',
      ].join('\n');
    case 'refuse-closed':
      return [
        `Session: MARKET CLOSED (night, weekend or holiday) until the open ${nextOpenText(outcome)}: no order can execute before then.`,
        '  --yes alone REFUSES (exit 3) and changes nothing: cancelling the protective orders now would leave the positions unprotected until the open,',
        '  while the stops and targets at the broker keep protecting them meanwhile.',
        `  npm run liquidate -- --yes --at-open sets the halt, cancels every order and queues DAY market orders that execute at the open ${nextOpenText(outcome)}.`,
      ].join('\n');
    case 'at-open':
      return [
        `Session: ${phase} (--at-open): each position ${would} closed by a DAY market order queued at the broker now; they execute at the open ${nextOpenText(outcome)}.`,
        '  Until then the positions have NO protective orders (the global cancel removes them): the orders close them at the opening price, whatever it is.',
      ].join('\n');
  }
}

/** What the halt is and will be: the first thing a real run does. */
export function haltPlanText(outcome: LiquidationOutcome, dbUsable: boolean, dbProblem: string | undefined): string {
  if (!dbUsable) {
    return [
      `Trading halt: COULD NOT BE SET: the DB cannot be used (${dbProblem ?? 'unknown problem'}).`,
      '  The bots would not be told to stop: a running exit manager re-places protection and a running day-trader may enter again.',
      '  STOP THE BOTS FIRST: npm stop',
    ].join('\n');
  }
  if (outcome.haltBefore) return `Trading halt: already ACTIVE (${haltWords(outcome.haltBefore)}): the bots are not trading; it stays on.`;
  return 'Trading halt: set FIRST, before any cancel: the bots stop entering, protecting and exiting on their own, and stay stopped after the liquidation\n' +
    '  until npm run liquidate -- --resume.';
}

export function haltWords(halt: TradingHalt): string {
  return `set by ${halt.setBy} at ${marketTimeText(halt.setAt)} ET: ${halt.reason}`;
}

export function marketTimeText(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? formatNewYork(ms) : iso;
}

const OWNER_WORDS: Record<OrderOwner, string> = { bots: 'bots', liquidation: 'liquidation', other: 'BY HAND / other' };

export function ordersTable(orders: readonly BrokerOrder[], botClientIds: ReadonlySet<number>): string {
  return textTable(['client', 'order id', 'symbol', 'side', 'qty', 'type', 'price', 'status', 'placed by', 'order ref'], orders.map((o) => [
    o.clientId, o.orderId, o.symbol, o.side, o.remainingQuantity || o.quantity, o.type, formatPrice(o.stopPrice ?? o.limitPrice ?? null), o.status,
    OWNER_WORDS[orderOwner(o, botClientIds)], o.orderRef || '—',
  ]), false);
}

/** The global cancel reaches every client: orders placed by hand in TWS die too. */
export function manualOrdersNote(orders: readonly BrokerOrder[], botClientIds: ReadonlySet<number>): string {
  const manual = orders.filter((o) => orderOwner(o, botClientIds) === 'other');
  if (manual.length === 0) return '  The global cancel also cancels orders placed by hand (TWS) or by another program; none is working now.';
  return `  NOTE: the global cancel also cancels the ${manual.length} order(s) placed by hand (TWS) or by another program ("BY HAND / other" above):\n` +
    `  ${manual.map((o) => `${o.side} ${o.remainingQuantity || o.quantity} ${o.symbol} ${o.type}`).join(', ')}. Re-enter them in TWS afterwards if you still want them.`;
}

const KEEP_WORDS = {
  'not-usd-stock': 'not touched: not a US stock in USD (never traded by this tool)',
  'not-the-bots': 'not touched: not the bots\' (--all-stock closes it)',
} as const;
const CLOSE_WORDS = { bots: 'the bots\'', 'all-stock': '--all-stock', 'db-unusable': 'DB unreadable: every USD stock' } as const;

/** Every position with what the run does to it (and, in a dry run, the order it would send). */
export function scopeTable(scope: readonly ScopedPosition[], plan: readonly PlannedOrder[], refused: boolean): string {
  const rows = scope.map((s) => {
    const planned = plan.find((p) => p.key === s.key);
    const closes = s.closeQuantity !== 0
      ? `close ${formatShares(s.closeQuantity)} (${CLOSE_WORDS[s.closeReason!]})${refused ? ' at the open: needs --at-open' : ''}`
      : '';
    const keeps = s.keepQuantity !== 0 ? `${closes ? '; rest ' : ''}${formatShares(s.keepQuantity)} ${KEEP_WORDS[s.keepReason ?? 'not-the-bots']}` : '';
    return [s.instrument.description, formatShares(s.quantity), `${closes}${keeps}`, planned ? plannedCell(planned) : '—', s.positionId ?? (s.closeQuantity !== 0 ? 'not in DB' : '—')];
  });
  return textTable(['instrument', 'position', 'what happens', 'order', 'DB position'], rows, false);
}

function plannedCell(planned: PlannedOrder): string {
  const pricing = planned.pricing ? ` (${planned.pricing.basis} ${planned.pricing.quotePrice.toFixed(2)}${planned.pricing.delayed ? ', delayed quote' : ''})` : '';
  return `${describePlanned(planned)}${pricing}${planned.fallback ? ` [${planned.fallback}]` : ''}`;
}

/** Positions this run leaves alone (never traded): listed so nobody wonders why the account is not flat. */
export function notTouchedBlock(scope: readonly ScopedPosition[]): string | undefined {
  const kept = scope.filter((s) => s.keepQuantity !== 0);
  if (kept.length === 0) return undefined;
  return `   Not touched (${kept.length}):\n${textTable(['instrument', 'position', 'why'], kept.map((s) => [
    s.instrument.description, formatShares(s.keepQuantity), KEEP_WORDS[s.keepReason ?? 'not-the-bots'],
  ]), false)}`;
}

export function positionsTable(positions: ReadonlyArray<Pick<BrokerPosition, 'symbol' | 'quantity' | 'averageCost'>>): string {
  return textTable(['symbol', 'position', 'avg cost'], positions.map((p) => [p.symbol, formatShares(p.quantity), formatPrice(p.averageCost)]), false);
}

export function warningsBlock(warnings: readonly string[]): string[] {
  return warnings.length === 0 ? [] : [`Warnings:\n${warnings.map((w) => `  ! ${w}`).join('\n')}`];
}
