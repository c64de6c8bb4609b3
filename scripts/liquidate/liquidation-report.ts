import { formatDuration, formatPrice } from '../status/format';
import { textTable } from '../status/text-table';
import type { LiquidationJournal } from './liquidation-journal';
import {
  haltPlanText, haltWords, manualOrdersNote, marketTimeText, nextOpenText, notTouchedBlock, ordersTable, positionsTable, scopeTable, sessionText, warningsBlock,
} from './report-blocks';
import type { LiquidationOutcome } from './liquidation-types';

export interface ReportContext {
  endpoint: string;
  clientId: number;
  accountId: string;
  marketTimeNewYork: string;
  journal: LiquidationJournal;
  elapsedMs: number;
  botClientIds: ReadonlySet<number>;
}

/** The dry run: the session path, the halt, every order that would be cancelled, every position and its fate. Changes nothing. */
export function renderDryRun(outcome: LiquidationOutcome, context: ReportContext): string {
  const blocks = [
    'EMERGENCY LIQUIDATION: DRY RUN, nothing was changed. Run again with --yes to do it.',
    header(outcome, context),
    sessionText(outcome, true),
    haltPlanText(outcome, context.journal.usable, context.journal.problem?.message),
  ];
  blocks.push(outcome.initialOrders.length === 0
    ? `Working orders it would cancel: none\n${manualOrdersNote([], context.botClientIds)}`
    : `Working orders it would cancel (${outcome.initialOrders.length}), with one global cancel that reaches every client, the exit manager's protection included:\n` +
      `${ordersTable(outcome.initialOrders, context.botClientIds)}\n${manualOrdersNote(outcome.initialOrders, context.botClientIds)}`);
  const closing = outcome.scope.filter((s) => s.closeQuantity !== 0).length;
  blocks.push(outcome.scope.length === 0
    ? 'Positions: none, the account is flat'
    : `Positions (${outcome.scope.length}; ${closing} to close${scopeWords(outcome)}):\n${scopeTable(outcome.scope, outcome.plan, outcome.path === 'refuse-closed')}`);
  blocks.push(dbLineBeforehand(context.journal, outcome));
  blocks.push(...warningsBlock(outcome.warnings));
  return blocks.filter(Boolean).join('\n\n');
}

/** --yes with the market closed and no --at-open: what it refused, and how to go on. */
export function renderRefused(outcome: LiquidationOutcome, context: ReportContext): string {
  return [
    `EMERGENCY LIQUIDATION REFUSED: the market is closed until the open ${nextOpenText(outcome)}. Nothing was changed (no halt, no cancel, no order).`,
    header(outcome, context),
    'Cancelling the protective orders now would leave the positions unprotected until the open; the stops and targets at the broker keep protecting them meanwhile.',
    `To queue market orders for the open anyway (the halt is set and every working order cancelled NOW): npm run liquidate -- --yes --at-open${outcome.scopeOptions.allStock ? ' --all-stock' : ''}`,
    outcome.scope.length === 0 ? 'Positions: none' : `Positions:\n${scopeTable(outcome.scope, outcome.plan, true)}`,
  ].join('\n\n');
}

/** What the liquidation did, the final state, the halt and what happened to the DB. */
export function renderExecuted(outcome: LiquidationOutcome, context: ReportContext): string {
  const blocks = [`EMERGENCY LIQUIDATION (${formatDuration(context.elapsedMs)})`, header(outcome, context), haltDone(outcome), sessionText(outcome, false)];
  const cancel = outcome.cancel;
  if (cancel) {
    const reappeared = cancel.reappeared.length > 0 ? `\n   ${cancel.reappeared.length} order(s) APPEARED after the global cancel (see the warnings):\n${ordersTable(cancel.reappeared, context.botClientIds)}` : '';
    blocks.push((cancel.timedOut
      ? `1. Global cancel: ${outcome.initialOrders.length} working before; STILL WORKING after the wait (${cancel.remaining.length}):\n${ordersTable(cancel.remaining, context.botClientIds)}`
      : `1. Global cancel: ${outcome.initialOrders.length} working order(s) cancelled, the broker shows none working (global cancel sent ${cancel.globalCancels}x)`) + reappeared);
  }
  blocks.push(ordersDone(outcome));
  if (outcome.sweptOrders.length > 0) {
    blocks.push(`   Orders placed meanwhile were cancelled by a last global cancel once nothing was left to close:\n${ordersTable(outcome.sweptOrders, context.botClientIds)}`);
  }
  blocks.push(finalState(outcome));
  blocks.push(haltAfterwards(outcome));
  blocks.push(dbLineAfterwards(context.journal, outcome));
  blocks.push(...warningsBlock(outcome.warnings));
  return blocks.filter(Boolean).join('\n\n');
}

function header(outcome: LiquidationOutcome, context: ReportContext): string {
  return `gateway ${context.endpoint} as client ${context.clientId}, account ${context.accountId || '?'}, market ${context.marketTimeNewYork} ET (${outcome.marketPhase})`;
}

function scopeWords(outcome: LiquidationOutcome): string {
  if (!outcome.scopeOptions.dbUsable) return ': the DB is unreadable, so EVERY US stock in USD';
  return outcome.scopeOptions.allStock ? ': --all-stock, every US stock in USD' : ': only the bots\' positions; --all-stock closes every US stock in USD';
}

const HALT_FAILED_SHOUT = '!!! THE TRADING HALT COULD NOT BE SET';

function haltDone(outcome: LiquidationOutcome): string {
  const halt = outcome.halt;
  if (!halt) return '';
  if (halt.status === 'set') return `0. Trading halt SET at ${marketTimeText(halt.halt.setAt)} ET, before any cancel: the bots do not enter, protect or exit on their own.`;
  if (halt.status === 'already-active') return `0. Trading halt already active (${haltWords(halt.halt)}): kept.`;
  return [
    `${HALT_FAILED_SHOUT}: ${halt.problem}`,
    '!!! The bots were NOT told to stop: a running exit manager re-places protection, a running day-trader may enter again.',
    '!!! STOP THE BOTS NOW: npm stop',
  ].join('\n');
}

function haltAfterwards(outcome: LiquidationOutcome): string {
  const halt = outcome.halt;
  if (!halt) return '';
  if (halt.status === 'failed') return `${HALT_FAILED_SHOUT}: stop the bots (npm stop) before they trade this account again.`;
  return 'The trading halt STAYS ON: the bots do not trade until npm run liquidate -- --resume (it prints who set the halt and when).';
}

function ordersDone(outcome: LiquidationOutcome): string {
  if (outcome.orders.length === 0) {
    return outcome.scope.some((s) => s.closeQuantity !== 0) || (outcome.finalScope ?? []).some((s) => s.closeQuantity !== 0)
      ? '2. Closing orders: NONE could be placed (see the log and the warnings)'
      : '2. Closing orders: none needed, nothing to close';
  }
  const rows = outcome.orders.map((o) => [
    o.symbol, o.side, o.quantity, o.type === 'LMT' ? `LMT ${formatPrice(o.limitPrice)} outsideRth` : 'MKT', o.fillsAt === 'open' ? 'at the open' : 'now',
    o.filledQuantity, formatPrice(o.avgFillPrice ?? averagePrice(o)), `${o.state === 'working' && o.fillsAt === 'open' ? 'queued' : o.state}${o.reason && o.state !== 'filled' ? ` (${o.reason})` : ''}`,
    o.orderId, o.orderRef,
  ]);
  const fallbacks = outcome.plan.filter((p) => p.fallback).map((p) => `${p.symbol}: ${p.fallback}, a DAY market order waits for the open`);
  return `2. Closing orders${outcome.retried ? ' (with one retry for what the first pass left)' : ''}:\n` +
    `${textTable(['symbol', 'side', 'qty', 'type', 'fills', 'filled', 'avg price', 'result', 'order id', 'order ref'], rows, false)}` +
    (fallbacks.length ? `\n   ${fallbacks.join('\n   ')}` : '');
}

function finalState(outcome: LiquidationOutcome): string {
  if (outcome.brokerLost) {
    return `3. Final state UNKNOWN: the broker stopped answering (${outcome.brokerLost}). Check the account in TWS, then run npm run liquidate again.`;
  }
  const scope = outcome.finalScope ?? [];
  const left = scope.filter((s) => s.closeQuantity !== 0);
  const lines: string[] = [];
  if (outcome.verdict === 'flat') lines.push(`3. Final state: FLAT${scope.length > 0 ? ' (everything in scope is closed)' : ', no positions at the broker'}`);
  else if (outcome.verdict === 'queued') {
    lines.push(`3. Final state: QUEUED FOR THE OPEN ${nextOpenText(outcome)}: the closing orders wait at the broker (DAY market orders) for:\n${positionsTable(left.map(asPosition))}`);
  } else lines.push(`3. Final state: POSITIONS REMAIN (${left.length}):\n${positionsTable(left.map(asPosition))}`);
  const notTouched = notTouchedBlock(scope);
  if (notTouched) lines.push(notTouched);
  const orders = outcome.finalOrders ?? [];
  lines.push(orders.length === 0 ? '   no working orders' : `   working orders (${orders.length}): ${orders.map((o) => `${o.side} ${o.remainingQuantity || o.quantity} ${o.symbol} ${o.type} (${o.orderRef || 'no ref'})`).join('; ')}`);
  if (outcome.verdict === 'remain') lines.push('   Check the rejections above, then run npm run liquidate -- --yes again, or close them in TWS.');
  return lines.join('\n');
}

function asPosition(s: { symbol: string; closeQuantity: number; averageCost: number }) {
  return { symbol: s.symbol, quantity: s.closeQuantity, averageCost: s.averageCost };
}

function dbLineBeforehand(journal: LiquidationJournal, outcome: LiquidationOutcome): string {
  if (!journal.usable) {
    return `DB: cannot be used (${journal.problem!.kind}): ${journal.problem!.message}\n` +
      '    The liquidation would still flatten the account; the DB would not be updated.';
  }
  return `DB: usable, ${outcome.dbRows.length} active position(s); their exits would be booked as EMERGENCY_LIQUIDATION.`;
}

function dbLineAfterwards(journal: LiquidationJournal, outcome: LiquidationOutcome): string {
  const booking = outcome.booking;
  if (journal.usable && booking) {
    const lines = [
      `DB updated: ${booking.closedPositionIds.length} position(s) closed as EMERGENCY_LIQUIDATION${booking.closedPositionIds.length ? ` (${booking.closedPositionIds.join(', ')})` : ''}, ` +
        `${booking.executionsBooked} execution(s) booked${booking.executionsAlreadyBooked ? `, ${booking.executionsAlreadyBooked} already booked` : ''}, event emergency_liquidation written.`,
    ];
    if (booking.partialPositionIds.length) lines.push(`    still open in the DB after a partial liquidation: ${booking.partialPositionIds.join(', ')}`);
    if (booking.untrackedSymbols.length) lines.push(`    not in the DB (recorded as emergency_liquidation_untracked events): ${booking.untrackedSymbols.join(', ')}`);
    const untouched = outcome.dbRows.filter((r) => !booking.closedPositionIds.includes(r.id) && !booking.partialPositionIds.includes(r.id));
    const queued = untouched.filter((r) => outcome.orders.some((o) => o.symbol === r.symbol && o.state === 'working' && o.fillsAt === 'open'));
    const others = untouched.filter((r) => !queued.includes(r));
    if (queued.length) lines.push(`    DB positions whose closing order waits for the open (the reconciler books it once it fills): ${queued.map((r) => r.symbol).join(', ')}`);
    if (others.length) lines.push(`    DB positions not closed by this run: ${others.map((r) => `${r.symbol} (${r.status})`).join(', ')}`);
    return lines.join('\n');
  }
  const problem = journal.problem;
  const when = journal.failedDuring ? ` (it failed while ${journal.failedDuring})` : '';
  return [
    `THE DB COULD NOT BE UPDATED${when}: ${problem?.kind ?? 'unknown'}: ${problem?.message ?? 'no detail'}`,
    `    The account was liquidated at the broker regardless; nothing about it is in the DB${journal.writesDone > 0 ? ' beyond the writes made before the failure' : ''}.`,
    '    What happens next: once the DB is usable again, the reconciler compares it with the broker, finds the DB positions',
    '    flat at the broker and closes them (RECONCILED_FLAT), booking the LIQ- executions from the broker\'s execution report.',
    '    The log (logs/liquidate.log) has every order and fill of this run.',
  ].join('\n');
}

function averagePrice(order: { executions: Map<string, { quantity: number; price: number }> }): number | null {
  let shares = 0;
  let notional = 0;
  for (const e of order.executions.values()) {
    shares += e.quantity;
    notional += e.quantity * e.price;
  }
  return shares > 0 ? notional / shares : null;
}
