import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';

export const TOKEN_COOKIE = 'ibdt_dashboard_token';

/** 127.0.0.0/8, ::1 and "localhost": reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return net.isIPv4(h) && h.startsWith('127.');
}

/**
 * Why the dashboard must not start with this configuration, or undefined. Off loopback anyone on the
 * network could read positions and P&L: a token is required there (README: behind a reverse proxy with TLS).
 */
export function bindProblem(host: string, token: string | undefined): string | undefined {
  if (isLoopbackHost(host) || token) return undefined;
  return `DASHBOARD_HOST=${host} is reachable from other machines, so the dashboard requires a token: set DASHBOARD_TOKEN (16+ characters, e.g. \`openssl rand -hex 32\`), ` +
    'and put it behind a reverse proxy with TLS (README, "Dashboard behind a reverse proxy"); or keep DASHBOARD_HOST=127.0.0.1.';
}

/**
 * Compares a presented token with the configured one in constant time: both are hashed first (SHA-256), so
 * the comparison takes the same time whatever the presented token's length or content.
 */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(token, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token a request presents: `Authorization: Bearer …`, the dashboard's cookie, or `?token=` (first visit of a browser). */
export function presentedToken(req: IncomingMessage, url: URL): { token: string | undefined; via: 'header' | 'cookie' | 'query' | null } {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), via: 'header' };
  const cookie = parseCookies(req.headers.cookie)[TOKEN_COOKIE];
  if (cookie) return { token: cookie, via: 'cookie' };
  const query = url.searchParams.get('token');
  if (query) return { token: query, via: 'query' };
  return { token: undefined, via: null };
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    try {
      out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed cookie value is no token.
    }
  }
  return out;
}

/**
 * Without a token the dashboard answers only requests addressed to a loopback name: a web page elsewhere
 * cannot point a hostname of its own at 127.0.0.1 (DNS rebinding) and read the account through a browser.
 */
export function hostAllowed(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (!host) return true; // HTTP/1.0 tools; a browser always sends Host
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return isLoopbackHost(name);
}
