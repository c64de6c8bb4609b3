/**
 * IB's historical-data pacing (TWS API docs, "Historical Data Limitations"): a pacing violation is
 * - an identical request within 15 seconds,
 * - six or more requests for the same contract, exchange and tick type within 2 seconds,
 * - more than 60 requests within any 10-minute period (a BID_ASK request counts twice),
 * and is answered with error 162 "Historical Market Data Service error message:Historical data request
 * pacing violation" (reports: QuantConnect Lean #607 and #1837, backtrader #110, stoqey/ibkr #27).
 * IB paces per login, so one pacer serves every client of a gateway.
 *
 * The windows are measured in MARKET time (the injected clock), not wall-clock time. The simulated day is
 * compressed (SIM_SPEED, e.g. 60 market seconds per real second) and the bots pace themselves in market
 * time ("a scan every 900 s"): in market time the limits stay proportionate to what a bot does per
 * simulated minute, as they are for a real bot in a real day. In real time, 60 requests per 10 real
 * minutes would be 60 per 10 simulated hours at 60x, and no bot could ever be paced.
 *
 * Refused requests are not counted (a client that backs off recovers after the window), and neither are
 * requests refused before they reach the data service (unknown or ambiguous contract, no permission).
 * IB's current docs put these rules under "small bars (30 secs or less)"; ../shared/docs/ib-protocol.md
 * and the field reports see 162 on larger bars too, so the simulator applies them to every bar size.
 */
import type { ClientRequest } from '../protocol/client-request-types';
import type { GatewayContext } from '../tcp/gateway-context';

type HistoricalRequest = Extract<ClientRequest, { kind: 'reqHistoricalData' }>;

export const PACING_VIOLATION_MESSAGE = 'Historical Market Data Service error message:Historical data request pacing violation';

const IDENTICAL_WINDOW_MS = 15_000;
const SAME_CONTRACT_WINDOW_MS = 2_000;
const SAME_CONTRACT_MAX = 5;
const TOTAL_WINDOW_MS = 10 * 60_000;
const TOTAL_MAX = 60;

interface AcceptedRequest {
  readonly atMs: number;
  readonly identity: string;
  readonly contractKey: string;
  /** BID_ASK counts as two requests. */
  readonly weight: number;
}

export type PacingViolation = 'identical-within-15s' | 'same-contract-6-within-2s' | 'over-60-in-10min';

export class HistoricalPacer {
  /** Accepted requests of the last 10 minutes, oldest first. */
  private accepted: AcceptedRequest[] = [];

  /** Admits the request at market time `nowMs` (and counts it), or names the rule it breaks. */
  admit(request: HistoricalRequest, nowMs: number): PacingViolation | undefined {
    // A clock that went back (a restarted simulated day) leaves "future" entries behind: they no longer count.
    this.accepted = this.accepted.filter((r) => r.atMs <= nowMs && nowMs - r.atMs < TOTAL_WINDOW_MS);
    const identity = identityOf(request);
    const contractKey = contractKeyOf(request);
    if (this.accepted.some((r) => r.identity === identity && nowMs - r.atMs < IDENTICAL_WINDOW_MS)) return 'identical-within-15s';
    const sameContract = this.accepted.filter((r) => r.contractKey === contractKey && nowMs - r.atMs < SAME_CONTRACT_WINDOW_MS).length;
    if (sameContract >= SAME_CONTRACT_MAX) return 'same-contract-6-within-2s';
    const weight = request.whatToShow.toUpperCase() === 'BID_ASK' ? 2 : 1;
    const total = this.accepted.reduce((sum, r) => sum + r.weight, 0);
    if (total + weight > TOTAL_MAX) return 'over-60-in-10min';
    this.accepted.push({ atMs: nowMs, identity, contractKey, weight });
    return undefined;
  }
}

/** The contract as IB identifies it for pacing: symbol, conId, exchange, listing, currency. */
function contractOf(request: HistoricalRequest): string {
  const c = request.contract;
  return [c.conId ?? '', c.symbol.toUpperCase(), c.secType.toUpperCase(), c.exchange.toUpperCase(), c.primaryExchange.toUpperCase(), c.currency.toUpperCase()].join('|');
}

function contractKeyOf(request: HistoricalRequest): string {
  return `${contractOf(request)}|${request.whatToShow.toUpperCase()}`;
}

/** Everything but the request id. */
function identityOf(request: HistoricalRequest): string {
  return [contractKeyOf(request), request.endDateTime, request.barSizeSetting, request.durationStr, request.useRTH, request.formatDate, request.keepUpToDate].join('|');
}

const pacers = new WeakMap<GatewayContext, HistoricalPacer>();

/** The gateway's pacer (one per gateway: IB paces per login, not per client). */
export function historicalPacerFor(ctx: GatewayContext): HistoricalPacer {
  let pacer = pacers.get(ctx);
  if (!pacer) {
    pacer = new HistoricalPacer();
    pacers.set(ctx, pacer);
  }
  return pacer;
}
