import { max, round } from './fast-math';
/**
 * US stocks above $1 trade on a $0.01 grid (Reg NMS Rule 612). Prices are kept as dollars with at
 * most 2 decimals; integer cents are used where arithmetic must be exact (spreads, tick paths).
 */

export const TICK_USD = 0.01;

/** Nearest cent, never below one cent (a price of 0 would break every percentage downstream). */
export function roundToCent(priceUsd: number): number {
  return max(1, round(priceUsd * 100)) / 100;
}

/** Integer cents of a price (rounded; replay prices may carry sub-penny digits). */
export function toCents(priceUsd: number): number {
  return round(priceUsd * 100);
}

export function fromCents(cents: number): number {
  return cents / 100;
}
