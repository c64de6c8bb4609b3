import { isUsdStock, type BrokerPosition } from '../../shared/broker/types';
import type { ResolvedConfig } from '../../shared/config/schema';
import { check, type CheckResult } from './doctor-model';
import { cents, formatPrice } from './format';

export interface ForeignPositionsInput {
  positions: readonly BrokerPosition[];
  /** The bots' active rows (symbol, signed quantity); undefined when the DB could not be read. */
  dbRows: ReadonlyArray<{ symbol: string; quantity: number }> | undefined;
  /** The account the bots trade (IB_ACCOUNT, or the gateway's only account); undefined when unknown. */
  tradingAccount: string | undefined;
  /** Today's price of US stocks the policy would touch (protect, adopt), when a quote came. */
  prices: ReadonlyMap<string, number>;
}

export type ForeignHandling = 'other-account' | 'not-tradable' | 'ignored' | 'protected' | 'adopted';

export interface ForeignPosition {
  position: BrokerPosition;
  /** The shares (units) that are not the bots'. */
  foreignQuantity: number;
  handling: ForeignHandling;
  /** What the bots will do with it, in words. */
  effect: string;
  /** The stop and target the exit manager would place (protect, adopt). */
  stopPrice?: number;
  targetPrice?: number;
  /** protect / adopt would sell (or buy back) it at once: its price has moved past the stop or target. */
  hazard?: string;
}

/**
 * Every position the bots did not open, with what FOREIGN_POSITIONS makes of it: anything that is not a US
 * stock in USD of the traded account (options, futures, other currencies, other accounts) is never touched;
 * a US stock (or the part of one) without an active row in the DB is left alone (ignore), given a stop/target
 * pair (protect) or managed and flattened like the bots' own (adopt). The exit manager prices that pair
 * from the AVERAGE COST, so a stock held for long, far from its cost, would be sold at once. Pure.
 */
export function foreignPositions(config: Pick<ResolvedConfig, 'positions' | 'strategy' | 'exits'>, input: ForeignPositionsInput): ForeignPosition[] {
  const oursLeft = new Map<string, number>();
  for (const row of input.dbRows ?? []) oursLeft.set(row.symbol, (oursLeft.get(row.symbol) ?? 0) + row.quantity);
  const result: ForeignPosition[] = [];
  for (const position of input.positions) {
    if (position.quantity === 0) continue;
    if (input.tradingAccount && position.account && position.account !== input.tradingAccount) {
      result.push({ position, foreignQuantity: position.quantity, handling: 'other-account', effect: `account ${position.account}, not the one the bots trade: never touched` });
      continue;
    }
    if (!isUsdStock(position)) {
      const what = position.secType === 'STK' ? `a stock in ${position.currency}` : position.secType === 'OPT' ? 'an option' : position.secType === 'FUT' ? 'a future' : `a ${position.secType} position`;
      result.push({ position, foreignQuantity: position.quantity, handling: 'not-tradable', effect: `${what}: never touched by the bots (they trade US stocks in USD only; liquidate leaves it too)` });
      continue;
    }
    const left = oursLeft.get(position.symbol) ?? 0;
    const ours = Math.sign(left) === Math.sign(position.quantity) ? Math.min(Math.abs(left), Math.abs(position.quantity)) * Math.sign(position.quantity) : 0;
    oursLeft.set(position.symbol, left - ours);
    const foreignQuantity = position.quantity - ours;
    if (foreignQuantity === 0) continue;
    result.push(stockHandling(config, position, foreignQuantity, ours, input.prices.get(position.symbol)));
  }
  return result;
}

function stockHandling(config: Pick<ResolvedConfig, 'positions' | 'strategy' | 'exits'>, position: BrokerPosition, foreignQuantity: number, ours: number, price: number | undefined): ForeignPosition {
  const policy = config.positions.foreignPolicy;
  const beside = ours !== 0 ? ` (beside the bots' ${ours}: left alone until theirs is closed)` : '';
  if (policy === 'ignore' || ours !== 0) {
    return { position, foreignQuantity, handling: 'ignored', effect: `left alone${beside || ': never protected, never sold, not flattened at the close'} (FOREIGN_POSITIONS=${policy})` };
  }
  const direction = position.quantity > 0 ? 1 : -1;
  const entry = position.averageCost;
  const stopPrice = cents(entry * (1 - (direction * config.strategy.stopLossPct) / 100));
  const targetPrice = cents(entry * (1 + (direction * config.strategy.takeProfitPct) / 100));
  const pair = `GTC stop ${formatPrice(stopPrice)} / target ${formatPrice(targetPrice)} for all ${Math.abs(position.quantity)}, from the average cost ${formatPrice(entry)} (not today's price)`;
  const closeSide = direction > 0 ? 'SELL' : 'BUY back';
  let hazard: string | undefined;
  if (price !== undefined) {
    if (direction > 0 ? targetPrice <= price : targetPrice >= price) hazard = `today's price ${formatPrice(price)} is already past the target ${formatPrice(targetPrice)}: the target would ${closeSide} it at once`;
    else if (direction > 0 ? stopPrice >= price : stopPrice <= price) hazard = `today's price ${formatPrice(price)} is already past the stop ${formatPrice(stopPrice)}: the stop would ${closeSide} it at once`;
  }
  if (policy === 'protect') {
    return { position, foreignQuantity, handling: 'protected', stopPrice, targetPrice, hazard, effect: `protect: the exit manager places a ${pair}; the bots never close it otherwise` };
  }
  return {
    position, foreignQuantity, handling: 'adopted', stopPrice, targetPrice, hazard,
    effect: `adopt: managed like the bots' own — a ${pair}, trailing/time exits, and ${closeSide === 'SELL' ? 'SOLD' : 'BOUGHT BACK'} at the end-of-day flatten ${config.exits.eodFlattenMinutesBeforeClose} min before the close`,
  };
}

function signed(quantity: number): string {
  return quantity > 0 ? `+${quantity}` : String(quantity);
}

const POLICY_SUMMARY = {
  ignore: 'US stocks are left alone (never protected, never sold)',
  protect: 'US stocks get a broker-side stop/target pair (sold if it triggers), never closed otherwise',
  adopt: 'US stocks are managed like the bots\' own and SOLD at the end-of-day flatten',
} as const;

export function foreignPositionsCheck(config: Pick<ResolvedConfig, 'positions' | 'strategy' | 'exits'>, input: ForeignPositionsInput, positionsProblem?: string): CheckResult {
  const policy = config.positions.foreignPolicy;
  if (positionsProblem) {
    return check('foreignPositions', 'warn', `not checked: the positions query failed (${positionsProblem})`, { action: 'run npm run doctor again; the account\'s holdings are unknown, not empty' });
  }
  const found = foreignPositions(config, input);
  const dbNote = input.dbRows === undefined ? ' (the DB could not be read: every US stock counts as not the bots\')' : '';
  const details = {
    policy, tradingAccount: input.tradingAccount ?? null,
    positions: found.map((f) => ({
      account: f.position.account, conId: f.position.conId, symbol: f.position.symbol, secType: f.position.secType, currency: f.position.currency,
      description: f.position.description, quantity: f.position.quantity, foreignQuantity: f.foreignQuantity, averageCost: f.position.averageCost,
      handling: f.handling, effect: f.effect, stopPrice: f.stopPrice ?? null, targetPrice: f.targetPrice ?? null, hazard: f.hazard ?? null,
    })),
  };
  if (found.length === 0) {
    return check('foreignPositions', 'ok', input.positions.length === 0 ? 'the account holds no positions' : `none: every position is the bots' (${input.positions.length})`, { details });
  }
  const lines = found.map((f) => `${f.position.description.padEnd(26)} ${signed(f.foreignQuantity).padStart(7)}  avg ${formatPrice(f.position.averageCost).padStart(9)}  ${f.effect}${f.hazard ? ` — ${f.hazard}` : ''}`);
  const names = found.map((f) => `${f.position.description} ${signed(f.foreignQuantity)}`).join(', ');
  const hazards = found.filter((f) => f.hazard);
  if (hazards.length > 0) {
    return check('foreignPositions', 'fail', `FOREIGN_POSITIONS=${policy} would close ${hazards.map((f) => f.position.symbol).join(', ')} at once: the stop/target pair is priced from the average cost, and today's price is already past it`, {
      action: 'set FOREIGN_POSITIONS=ignore (or sell / move those holdings yourself) before npm start', lines, details,
    });
  }
  return check('foreignPositions', 'warn', `${found.length} position(s) the bots did not open: ${names}; FOREIGN_POSITIONS=${policy}: ${POLICY_SUMMARY[policy]}; options, futures and other currencies are never touched${dbNote}`, {
    action: policy === 'ignore' ? 'nothing to do if that is what you want; protect or adopt are the alternatives (README, "Connecting a paper account")' : 'make sure that is what you want for each line below',
    lines, details,
  });
}
