import { formatBytes, formatDuration, formatMoney, formatPct, formatPrice, formatShares, formatSignedMoney } from '../../../scripts/status/format';

describe('status formatters', () => {
  it('formats money with thousands separators, the sign in front and a dash when unknown', () => {
    expect(formatMoney(1234567.891)).toBe('$1,234,567.89');
    expect(formatMoney(-3)).toBe('-$3.00');
    expect(formatMoney(null)).toBe('—');
    expect(formatMoney(Number.NaN)).toBe('—');
  });

  it('always signs P&L, and never shows "-$0.00" for a rounding residue', () => {
    expect(formatSignedMoney(12)).toBe('+$12.00');
    expect(formatSignedMoney(-3.5)).toBe('-$3.50');
    expect(formatSignedMoney(-0.001)).toBe('$0.00');
    expect(formatSignedMoney(undefined)).toBe('—');
  });

  it('formats durations from milliseconds to days', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(185_000)).toBe('3 m 05 s');
    expect(formatDuration(2 * 3_600_000 + 4 * 60_000)).toBe('2 h 04 m');
    expect(formatDuration(3 * 86_400_000 + 2 * 3_600_000)).toBe('3 d 02 h');
    expect(formatDuration(-5)).toBe('0 ms');
    expect(formatDuration(null)).toBe('—');
  });

  it('formats bytes, prices, percentages and signed share counts', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(60 * 1024 * 1024)).toBe('60.0 MB');
    expect(formatPrice(26.5)).toBe('26.50');
    expect(formatPct(1.234)).toBe('+1.23%');
    expect(formatPct(-0.5)).toBe('-0.50%');
    expect(formatShares(100)).toBe('+100');
    expect(formatShares(-50)).toBe('-50');
    expect(formatShares(0)).toBe('0');
  });
});
