import { formatNewYork } from '../../../shared/time/trading-calendar';

/** Escapes text for HTML element content and double-quoted attributes. Every value from the DB goes through it. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A tagged template whose ${values} are escaped; nested `html` results (RawHtml) are kept as they are. */
export class RawHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): RawHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new RawHtml(out);
}

function render(value: unknown): string {
  if (value instanceof RawHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return esc(value);
}

export function raw(text: string): RawHtml {
  return new RawHtml(text);
}

const moneyFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const priceFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** Money with a sign when asked ("+1,234.50"), "n/a" when unknown. */
export function money(value: number | null | undefined, options: { sign?: boolean } = {}): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  const text = moneyFormat.format(Math.abs(value) < 0.005 ? 0 : value);
  return options.sign && value > 0.004 ? `+${text}` : text;
}

export function price(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : priceFormat.format(value);
}

/** A percentage from a ratio or a percent value (`fromRatio`), signed. */
export function percent(value: number | null | undefined, options: { fromRatio?: boolean; digits?: number; sign?: boolean } = {}): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  const pct = options.fromRatio ? value * 100 : value;
  const text = pct.toFixed(options.digits ?? 2);
  return `${options.sign !== false && pct > 0 ? '+' : ''}${text} %`;
}

export function shares(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** A real-time duration for people: 850 ms, 12.3 s, 4 min 5 s, 2 h 10 min. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'n/a';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  return `${Math.round(value / 1024 / 1024)} MB`;
}

/** New York wall time of an ISO timestamp (market time): "14:05:09" today, "11-23 14:05" otherwise. */
export function nyTime(iso: string | null | undefined, withDate = false): string {
  if (!iso) return 'n/a';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return String(iso);
  return formatNewYork(ms, withDate ? 'yyyy-LL-dd HH:mm:ss' : 'HH:mm:ss');
}

/** CSS class of a signed number (green up, red down). */
export function signClass(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value) || Math.abs(value) < 0.005) return '';
  return value > 0 ? 'up' : 'down';
}
