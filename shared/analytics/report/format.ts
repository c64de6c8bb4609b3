/** How reports print numbers; null (not defined for this data) prints as "n/a", never NaN. */
export const NA = 'n/a';

/** 1234567.891 → "1,234,567.89" (toLocaleString is ~50 times slower and reports format thousands of values). */
export function grouped(value: number, digits: number): string {
  const fixed = value.toFixed(digits);
  // Under 1,000 (most of a report's P&L figures) there is no comma to add.
  const point = fixed.indexOf('.');
  if ((point === -1 ? fixed.length : point) <= 3) return fixed;
  const [whole, fraction] = fixed.split('.');
  const withCommas = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? withCommas : `${withCommas}.${fraction}`;
}

export function money(value: number | null | undefined, signed = true): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NA;
  const abs = grouped(Math.abs(value), 2);
  if (value < 0 && abs !== '0.00') return `-${abs}`;
  return signed && value > 0 && abs !== '0.00' ? `+${abs}` : abs;
}

/** A fraction as a percentage: 0.1234 → "12.34%". */
export function pct(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NA;
  return `${(value * 100).toFixed(digits)}%`;
}

/** A value already in percent units (round_trips.pnl_pct): 1.5 → "1.50%". */
export function pctUnits(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NA;
  return `${value.toFixed(digits)}%`;
}

export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NA;
  return value.toFixed(digits);
}

export function price(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NA;
  return value.toFixed(value >= 1 ? 2 : 4);
}

/** Minutes as "2h 05m", "35m", "45s". */
export function duration(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined || !Number.isFinite(minutes)) return NA;
  if (minutes < 1) return `${Math.round(minutes * 60)}s`;
  const total = Math.round(minutes);
  const days = Math.floor(total / 1_440);
  const hours = Math.floor((total % 1_440) / 60);
  const mins = total % 60;
  if (days > 0) return `${days}d ${hours}h`;
  return hours > 0 ? `${hours}h ${String(mins).padStart(2, '0')}m` : `${mins}m`;
}
