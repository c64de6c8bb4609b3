import type { BrokerOrder, Execution } from '../../shared/broker/types';
import type { Mode } from '../../shared/config/schema';
import { check, type CheckResult } from './doctor-model';
import { formatPrice } from './format';
import type { ProbeOutcome } from './order-probe';

/**
 * The API settings of IB Gateway / TWS the bots need, as far as the API can tell. Most are not visible
 * through it: where the doctor cannot prove a setting it says so, names the exact setting, and warns.
 */
export interface ApiEvidence {
  mode: Mode;
  doctorClientId: number;
  reconcilerClientId: number;
  botClientIds: ReadonlySet<number>;
  /** Every client's working orders (reqAllOpenOrders); undefined when the query failed. */
  openOrders: readonly BrokerOrder[] | undefined;
  /** The executions the gateway reported to the doctor's client (reqExecutions); undefined when it failed. */
  executions: readonly Execution[] | undefined;
  executionsProblem?: string;
  /** The --probe-order outcome; undefined when it was not asked for. */
  probe: ProbeOutcome | undefined;
}

/** Where the settings are: IB Gateway "Configure → Settings", TWS "Global Configuration", then "API → Settings". */
export const API_SETTINGS = 'API → Settings (IB Gateway: Configure → Settings; TWS: Global Configuration)';
const READ_ONLY_SETTING = `${API_SETTINGS} → "Read-Only API" unchecked (IBC: ReadOnlyApi=no)`;

function isReadOnlyRefusal(outcome: Extract<ProbeOutcome, { kind: 'rejected' }>): boolean {
  return outcome.code === 321 || /read.?only/i.test(outcome.reason);
}

function isPrecautionRefusal(text: string): boolean {
  return /precaution|constraint|exceeds|size limit|value limit|percentage/i.test(text);
}

function probeLine(outcome: Exclude<ProbeOutcome, { kind: 'not-run' }>): string {
  const { order } = outcome;
  const id = 'orderId' in outcome && outcome.orderId !== undefined ? ` (order ${outcome.orderId}, ref ${order.orderRef})` : ` (ref ${order.orderRef})`;
  return `probe: BUY 1 ${order.symbol} LMT ${formatPrice(order.limitPrice)} DAY, half the market (${formatPrice(order.referencePrice)})${id}`;
}

export function readOnlyApiCheck(evidence: ApiEvidence): CheckResult {
  const probe = evidence.probe;
  if (probe && probe.kind !== 'not-run') {
    const lines = [probeLine(probe), ...probe.warnings.map((w) => `broker notice: ${w}`)];
    const details = { probe: probe.kind, orderRef: probe.order.orderRef, orderId: 'orderId' in probe ? probe.orderId ?? null : null };
    switch (probe.kind) {
      case 'accepted':
        return check('readOnlyApi', 'ok', 'the API takes orders: the probe order was accepted and cancelled at once', { lines, details });
      case 'filled':
        return check('readOnlyApi', 'fail', `the probe order FILLED at ${formatPrice(probe.price)}: the account now holds 1 more ${probe.order.symbol}`, {
          action: `sell that 1 share of ${probe.order.symbol} in TWS; the API does take orders`, lines, details,
        });
      case 'not-cancelled':
        return check('readOnlyApi', 'fail', `the probe order was accepted but its cancel is not confirmed (${probe.problem}): it may still be working`, {
          action: `cancel order ${probe.orderId} (ref ${probe.order.orderRef}) in TWS, then run npm run doctor again`, lines, details,
        });
      case 'no-answer':
        return check('readOnlyApi', 'warn', `the probe order got no clear answer: ${probe.problem}`, {
          action: `look for ref ${probe.order.orderRef} in TWS and cancel it if it works; check ${READ_ONLY_SETTING}`, lines, details,
        });
      case 'rejected':
        if (isReadOnlyRefusal(probe)) {
          return check('readOnlyApi', 'fail', `the API is READ-ONLY: the probe order was refused (${[probe.code, probe.reason].filter((part) => part !== undefined).join(' ')}); every order of the bots would be refused the same way`, {
            action: `uncheck ${READ_ONLY_SETTING}`, lines, details: { ...details, code: probe.code ?? null, reason: probe.reason },
          });
        }
        return check('readOnlyApi', 'ok', `the API is not read-only: the probe order reached the broker's checks and was refused for another reason (${probe.code ?? '—'} ${probe.reason}; see order precautions)`, {
          lines, details: { ...details, code: probe.code ?? null, reason: probe.reason },
        });
    }
  }
  if (evidence.mode === 'SIM') {
    return check('readOnlyApi', 'ok', 'the simulator has no read-only mode' + (probe?.kind === 'not-run' ? ` (probe order not placed: ${probe.why})` : ''), {
      action: 'at IB, the same check: ' + READ_ONLY_SETTING,
    });
  }
  const botsOrders = (evidence.openOrders ?? []).filter((o) => evidence.botClientIds.has(o.clientId));
  if (botsOrders.length > 0) {
    return check('readOnlyApi', 'ok', `${botsOrders.length} order(s) the bots placed through this API are working at the broker: the API took orders (read-only was off when they were placed)`, {
      details: { botOrders: botsOrders.length },
    });
  }
  const probeHint = evidence.mode === 'PAPER'
    ? 'or prove it: npm run doctor -- --probe-order (places a 1-share BUY limit at half the market and cancels it at once)'
    : 'LIVE refuses --probe-order: the bots\' first order would be refused with 321 if it is on';
  return check('readOnlyApi', 'warn', `cannot be proven without an order: a read-only API still answers positions, orders and market data${probe?.kind === 'not-run' ? ` (probe order not placed: ${probe.why})` : ''}`, {
    action: `check ${READ_ONLY_SETTING}; ${probeHint}`,
  });
}

export function masterClientIdCheck(evidence: ApiEvidence): CheckResult {
  const setting = `${API_SETTINGS} → "Master API client ID" = ${evidence.reconcilerClientId} (CLIENT_ID_RECONCILER)`;
  const why = 'IB reports other clients\' executions (and trades done by hand) only to the master client; the reconciler books the fills nobody else booked';
  if (evidence.mode === 'SIM') {
    return check('masterClientId', 'ok', 'cannot be verified in SIM: the simulator reports every client\'s executions to every client', { action: `at IB: ${setting}` });
  }
  if (!evidence.executions) {
    return check('masterClientId', 'warn', `not checked: the executions query failed${evidence.executionsProblem ? ` (${evidence.executionsProblem})` : ''}`, { action: `${setting}: ${why}` });
  }
  const others = evidence.executions.filter((e) => e.clientId !== evidence.doctorClientId);
  if (others.length > 0) {
    const clients = [...new Set(others.map((e) => e.clientId))].sort((a, b) => a - b);
    return check('masterClientId', 'warn', `the gateway reported ${others.length} execution(s) of other clients (${clients.join(', ')}) to the doctor's client ${evidence.doctorClientId}: only the master client gets those, so the master is ${evidence.doctorClientId}, not the reconciler's ${evidence.reconcilerClientId}`, {
      action: `${setting}: ${why}`, details: { otherClients: clients, executions: others.length },
    });
  }
  return check('masterClientId', 'warn', `cannot be seen from another client: only the master client sees other clients' executions, and the doctor (${evidence.doctorClientId}) is not the reconciler (${evidence.reconcilerClientId})`, {
    action: `${setting}: ${why}`,
  });
}

/** The IB Gateway / TWS settings the API cannot show, to review by hand before trading. */
export function settingsToReview(reconcilerClientId: number): string[] {
  return [
    'API → Precautions: "Bypass Order Precautions for API Orders" checked (otherwise IB may refuse a stop or a large order, or hold it for a click nobody makes)',
    'Presets → Stocks: the precautionary "Size limit" / "Total value limit" / "Percentage constraint" above what the bots send (MAX_POSITION_PCT of net liquidation)',
    `API → Settings: "Read-Only API" unchecked; "Master API client ID" = ${reconcilerClientId}; "Download open orders on connection" checked`,
    'API → Settings: "Use negative numbers to bind automatic orders" may stay unchecked (the bots never bind orders placed in TWS)',
  ];
}

export function orderPrecautionsCheck(evidence: ApiEvidence): CheckResult {
  const probe = evidence.probe;
  if (probe && probe.kind !== 'not-run') {
    const texts = [...probe.warnings, ...(probe.kind === 'rejected' ? [`${probe.code ?? ''} ${probe.reason}`] : [])];
    const refusal = texts.find(isPrecautionRefusal);
    if (refusal) {
      return check('orderPrecautions', 'warn', `IB's order precautions answered the probe order: ${refusal.trim()}`, {
        action: 'the bots\' orders will meet the same: review these settings', lines: settingsToReview(evidence.reconcilerClientId),
      });
    }
  }
  if (evidence.mode === 'SIM') {
    return check('orderPrecautions', 'ok', 'the simulator has no order precautions (it refuses what IB refuses anyway: prices off the tick, 110)', {
      action: 'at IB, review the precautionary settings (README, "Connecting a paper account")',
    });
  }
  return check('orderPrecautions', 'warn', 'not visible through the API: review them in IB Gateway (Configure → Settings) / TWS (Global Configuration)', {
    action: 'set these before the first trade:', lines: settingsToReview(evidence.reconcilerClientId),
  });
}
