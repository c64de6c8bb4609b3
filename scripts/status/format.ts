/** Small, pure formatters shared by the status console and the liquidation output. */

const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** `$1,234.56`, `-$3.00`; `—` when unknown. */
export function formatMoney(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const rounded = Math.round(value * 100) / 100;
  return `${rounded < 0 ? '-' : ''}$${money.format(Math.abs(rounded))}`;
}

/** P&L always carries its sign: `+$12.00`, `-$3.50`, `$0.00`. */
export function formatSignedMoney(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const rounded = Math.round(value * 100) / 100;
  return rounded > 0 ? `+${formatMoney(rounded)}` : formatMoney(rounded);
}

export function formatPrice(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(2);
}

/** Signed shares as the broker reports them: `+100` long, `-50` short. */
export function formatShares(quantity: number | null | undefined): string {
  if (quantity === null || quantity === undefined) return '—';
  return quantity > 0 ? `+${quantity}` : String(quantity);
}

/** `850 ms`, `12 s`, `3 m 05 s`, `2 h 04 m`, `3 d 02 h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const abs = Math.max(0, ms);
  if (abs < 1_000) return `${Math.round(abs)} ms`;
  const seconds = Math.floor(abs / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} m ${pad2(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${pad2(minutes % 60)} m`;
  return `${Math.floor(hours / 24)} d ${pad2(hours % 24)} h`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function formatPct(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${value > 0 ? '+' : ''}${value.toFixed(2)}%`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
