import type { BrokerOrder, BrokerPosition } from '../../shared/broker/types';
import { formatDuration, formatPrice, formatShares } from '../status/format';
import { textTable } from '../status/text-table';
import type { LiquidationJournal } from './liquidation-journal';
import type { LiquidationOutcome } from './run-liquidation';

export interface ReportContext {
  endpoint: string;
  clientId: number;
  accountId: string;
  marketTimeNewYork: string;
  journal: LiquidationJournal;
  elapsedMs: number;
}

/** The dry run: every order that would be cancelled and every position that would be closed. Changes nothing. */
export function renderDryRun(outcome: LiquidationOutcome, context: ReportContext): string {
  const blocks = [
    'EMERGENCY LIQUIDATION: DRY RUN, nothing was changed. Run again with --yes to do it.',
    header(outcome, context),
  ];
  blocks.push(outcome.initialOrders.length === 0
    ? 'Working orders it would cancel: none'
    : `Working orders it would cancel (${outcome.initialOrders.length}), with one global cancel that reaches every client, the exit manager's protection included:\n${ordersTable(outcome.initialOrders)}`);
  const rows = new Map(outcome.dbRows.map((r) => [r.symbol, r]));
  blocks.push(outcome.plan.length === 0
    ? 'Positions it would close: none, the account is flat'
    : `Positions it would close at market (${outcome.plan.length}):\n${textTable(['symbol', 'position', 'order it would send', 'DB position'],
      outcome.plan.map((o) => [o.symbol, formatShares(o.brokerQuantity), `${o.side} ${o.quantity} MKT`, rows.get(o.symbol)?.id ?? 'not in DB (recorded as an event)']), false)}`);
  blocks.push(dbLineBeforehand(context.journal, outcome));
  blocks.push(...warningsBlock(outcome.warnings));
  return blocks.filter(Boolean).join('\n\n');
}

/** What the liquidation did, the final state and what happened to the DB. */
export function renderExecuted(outcome: LiquidationOutcome, context: ReportContext): string {
  const flat = outcome.finalPositions !== undefined && outcome.finalPositions.length === 0;
  const blocks = [`EMERGENCY LIQUIDATION (${formatDuration(context.elapsedMs)})`, header(outcome, context)];
  const cancel = outcome.cancel;
  if (cancel) {
    blocks.push(cancel.timedOut
      ? `1. Global cancel: ${outcome.initialOrders.length} working before; STILL WORKING after the wait (${cancel.remaining.length}):\n${ordersTable(cancel.remaining)}`
      : `1. Global cancel: ${outcome.initialOrders.length} working order(s) cancelled, none left working (global cancel sent ${cancel.globalCancels}x)`);
  }
  blocks.push(outcome.orders.length === 0
    ? '2. Market orders: none needed, the account had no positions'
    : `2. Market orders${outcome.retried ? ' (with one retry for what the first pass left)' : ''}:\n${textTable(
      ['symbol', 'side', 'qty', 'filled', 'avg price', 'result', 'order id', 'order ref'],
      outcome.orders.map((o) => [o.symbol, o.side, o.quantity, o.filledQuantity, formatPrice(o.avgFillPrice ?? averagePrice(o)), `${o.state}${o.reason && o.state !== 'filled' ? ` (${o.reason})` : ''}`, o.orderId, o.orderRef]), false)}`);
  if (outcome.sweptOrders.length > 0) {
    blocks.push(`   Orders placed meanwhile (by a running bot) were cancelled once flat:\n${ordersTable(outcome.sweptOrders)}`);
  }
  blocks.push(finalState(outcome, flat));
  blocks.push(dbLineAfterwards(context.journal, outcome));
  blocks.push(...warningsBlock(outcome.warnings));
  return blocks.filter(Boolean).join('\n\n');
}

function header(outcome: LiquidationOutcome, context: ReportContext): string {
  return `gateway ${context.endpoint} as client ${context.clientId}, account ${context.accountId || '?'}, market ${context.marketTimeNewYork} ET (${outcome.marketPhase})`;
}

function finalState(outcome: LiquidationOutcome, flat: boolean): string {
  if (outcome.brokerLost) {
    return `3. Final state UNKNOWN: the broker stopped answering (${outcome.brokerLost}). Check the account in TWS, then run npm run liquidate again.`;
  }
  const positions = outcome.finalPositions ?? [];
  const orders = outcome.finalOrders ?? [];
  const lines = [flat ? '3. Final state: FLAT, no positions at the broker' : `3. Final state: POSITIONS REMAIN (${positions.length}):\n${positionsTable(positions)}`];
  lines.push(orders.length === 0 ? '   no working orders' : `   working orders (${orders.length}):\n${ordersTable(orders)}`);
  if (!flat) lines.push('   Check the rejections above, then run npm run liquidate -- --yes again, or close them in TWS.');
  return lines.join('\n');
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
    if (untouched.length) lines.push(`    DB positions with nothing to sell at the broker, left for the reconciler: ${untouched.map((r) => `${r.symbol} (${r.status})`).join(', ')}`);
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

function warningsBlock(warnings: string[]): string[] {
  return warnings.length === 0 ? [] : [`Warnings:\n${warnings.map((w) => `  ! ${w}`).join('\n')}`];
}

function ordersTable(orders: readonly BrokerOrder[]): string {
  return textTable(['client', 'order id', 'symbol', 'side', 'qty', 'type', 'price', 'status', 'order ref'], orders.map((o) => [
    o.clientId, o.orderId, o.symbol, o.side, o.remainingQuantity || o.quantity, o.type, formatPrice(o.stopPrice ?? o.limitPrice ?? null), o.status, o.orderRef || '—',
  ]), false);
}

function positionsTable(positions: readonly BrokerPosition[]): string {
  return textTable(['symbol', 'position', 'avg cost'], positions.map((p) => [p.symbol, formatShares(p.quantity), formatPrice(p.averageCost)]), false);
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
