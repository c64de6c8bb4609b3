import type { IncomingMessage } from 'node:http';
import { esc, html, money, percent } from '../../../apps/dashboard/html/format';
import { jsonForScript } from '../../../apps/dashboard/html/layout';
import { bindProblem, hostAllowed, isLoopbackHost, presentedToken, TOKEN_COOKIE, tokenMatches } from '../../../apps/dashboard/server/auth';
import { heatmap } from '../../../apps/dashboard/views/performance';
import { parseTradesQuery, tradesQueryString } from '../../../apps/dashboard/views/tables';
import { changedParts, type ChangeFingerprint } from '../../../shared/db/repositories/change-fingerprint';
import { settledBroker } from '../../../apps/dashboard/views/status';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('dashboard access rules', () => {
  it('requires a token off loopback, and only there', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(bindProblem(host, undefined)).toBeUndefined();
    for (const host of ['0.0.0.0', '192.168.1.5', '::', 'dashboard.example.com']) {
      expect(bindProblem(host, undefined)).toMatch(/requires a token: set DASHBOARD_TOKEN/);
      expect(bindProblem(host, 'x'.repeat(32))).toBeUndefined();
    }
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });

  it('compares tokens by content only, whatever their length', () => {
    const token = 'a3f9c2e18b7d4f6a0c5e9b2d7f1a4c8e';
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(`${token}x`, token)).toBe(false);
    expect(tokenMatches(token.slice(0, -1), token)).toBe(false);
    expect(tokenMatches('', token)).toBe(false);
    expect(tokenMatches(undefined, token)).toBe(false);
  });

  it('takes the token from the Authorization header, the cookie or the query, in that order', () => {
    const url = new URL('http://x/?token=q');
    expect(presentedToken(request({ authorization: 'Bearer h' }), url)).toEqual({ token: 'h', via: 'header' });
    expect(presentedToken(request({ cookie: `other=1; ${TOKEN_COOKIE}=c%2B1` }), url)).toEqual({ token: 'c+1', via: 'cookie' });
    expect(presentedToken(request({}), url)).toEqual({ token: 'q', via: 'query' });
    expect(presentedToken(request({}), new URL('http://x/'))).toEqual({ token: undefined, via: null });
  });

  it('answers loopback host names only when there is no token (DNS rebinding)', () => {
    expect(hostAllowed(request({ host: '127.0.0.1:8501' }))).toBe(true);
    expect(hostAllowed(request({ host: 'localhost:8501' }))).toBe(true);
    expect(hostAllowed(request({ host: '[::1]:8501' }))).toBe(true);
    expect(hostAllowed(request({ host: 'attacker.example:8501' }))).toBe(false);
  });
});

describe('dashboard rendering', () => {
  it('escapes every value from the DB, and keeps nested templates', () => {
    const symbol = '<script>alert("x")</script>';
    expect(html`<td>${symbol}</td>`.text).toBe('<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>');
    expect(html`<tr>${[html`<td>${'a&b'}</td>`]}</tr>`.text).toBe('<tr><td>a&amp;b</td></tr>');
    expect(esc("it's")).toBe('it&#39;s');
  });

  it('embeds page data that cannot close its script element', () => {
    const text = jsonForScript({ reason: '</script><script>alert(1)</script>' });
    expect(text).not.toContain('</script>');
    expect(JSON.parse(text)).toEqual({ reason: '</script><script>alert(1)</script>' });
  });

  it('formats money and percentages, unknown as n/a', () => {
    expect(money(1234.5, { sign: true })).toBe('+1,234.50');
    expect(money(-0.001)).toBe('0.00');
    expect(money(null)).toBe('n/a');
    expect(percent(0.0123, { fromRatio: true })).toBe('+1.23 %');
    expect(percent(undefined)).toBe('n/a');
  });
});

describe('dashboard views', () => {
  it('puts each exit in its New York half hour, across a DST change', () => {
    const summer = Date.parse('2026-07-01T13:45:00Z'); // 09:45 EDT
    const winter = Date.parse('2026-12-01T14:45:00Z'); // 09:45 EST
    const late = Date.parse('2026-12-01T21:30:00Z'); // 16:30 EST: after the close
    const h = heatmap([
      { symbol: 'A', realizedPnl: 10, entryTimeMs: summer, exitTimeMs: summer },
      { symbol: 'A', realizedPnl: -4, entryTimeMs: winter, exitTimeMs: winter },
      { symbol: 'B', realizedPnl: 1, entryTimeMs: late, exitTimeMs: late },
    ]);
    expect(h.buckets[0]).toBe('09:30');
    const a = h.rows.find((r) => r.symbol === 'A')!;
    expect(a.cells[0]).toEqual({ pnl: 6, trades: 2 });
    expect(h.rows.find((r) => r.symbol === 'B')!.cells[h.buckets.length - 1]).toEqual({ pnl: 1, trades: 1 });
    expect(h.maxAbsPnl).toBe(6);
  });

  it('reads trade-log filters from a query string and writes them back', () => {
    const q = parseTradesQuery(new URLSearchParams('symbol=nova&reason=STOP_LOSS&outcome=loss&from=2026-11-01&to=bad&page=3&pageSize=99999'));
    expect(q).toMatchObject({ symbol: 'nova', exitReason: 'STOP_LOSS', outcome: 'loss', from: '2026-11-01', to: undefined, page: 3, pageSize: 1_000 });
    expect(tradesQueryString(q, { page: 4 })).toBe('?symbol=nova&reason=STOP_LOSS&outcome=loss&from=2026-11-01&page=4&pageSize=1000');
  });

  it('tells which parts of the DB changed from two fingerprints', () => {
    const a: ChangeFingerprint = { trading: 't1', eventsMaxId: 5, snapshots: 's1', signals: 'g', reconciliation: 'r', schedule: 'c', heartbeats: 'h1' };
    expect(changedParts(a, { ...a, heartbeats: 'h2' })).toEqual(['heartbeats']);
    expect(changedParts(a, { ...a, trading: 't2', eventsMaxId: 6 })).toEqual(['trading', 'eventsMaxId']);
    expect(changedParts(undefined, a)).toHaveLength(7);
  });
});

describe('the broker view a fill has not reached yet', () => {
  const reachable = {
    reachable: true as const, endpoint: 'x', clientId: 16, accountId: 'DU1', netLiquidation: 1, buyingPower: 1,
    positions: [], openOrders: [], lastPrices: { NOVA: 10 }, problems: [],
  };
  it('holds positions and orders back until a refresh after the settle time, and only then', () => {
    const now = Date.now();
    const held = settledBroker({ snapshot: reachable, refreshedAtMs: now - 1_000 }, now - 2_000, 3_000);
    expect(held).toMatchObject({ reachable: true, positions: undefined, openOrders: undefined, lastPrices: { NOVA: 10 }, problems: [] });
    expect(settledBroker({ snapshot: reachable, refreshedAtMs: now }, now - 3_100, 3_000)).toBe(reachable);
    expect(settledBroker({ snapshot: reachable, refreshedAtMs: now }, null, 3_000)).toBe(reachable);
  });
});
