import type { ListedAlert, OutboxCounts } from '../../shared/db';
import { formatNewYork } from '../../shared/time/trading-calendar';

function clock(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function age(ms: number | null, nowMs: number): string {
  if (ms === null) return '—';
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  return s < 120 ? `${s} s` : s < 7_200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3_600)} h`;
}

/** The outbox by channel: what waits, what went, what failed, and how each channel is doing. */
export function renderCounts(counts: OutboxCounts, nowMs: number): string[] {
  const lines: string[] = [];
  if (counts.unrouted > 0) lines.push(`  ${counts.unrouted} alert(s) not yet picked up by the notifier (oldest ${age(counts.oldestUnroutedAtMs, nowMs)} ago): is it running? (npx pm2 logs notifier)`);
  if (counts.channels.length === 0) lines.push('  no delivery recorded yet');
  for (const c of counts.channels) {
    const h = c.health;
    const state = !h ? 'no attempt yet' : h.state === 'ok' ? `ok, last delivery ${age(h.lastSuccessAtMs, nowMs)} ago`
      : h.state === 'rate_limited' ? `RATE LIMITED by the receiver, next try in ${age(nowMs - Math.max(0, (h.retryAtMs ?? nowMs) - nowMs), nowMs)}`
      : `FAILING for ${age(h.failingSinceMs, nowMs)} (${h.consecutiveFailures} failed attempts): ${h.lastError ?? '?'}`;
    lines.push(`  ${c.channel.padEnd(8)} pending ${c.pending + c.sending}${c.oldestPendingAtMs !== null ? ` (oldest ${age(c.oldestPendingAtMs, nowMs)})` : ''}, delivered ${c.delivered}, failed ${c.failed}, held back ${c.throttled}${c.dropped ? `, dropped ${c.dropped}` : ''} · ${state}`);
  }
  return lines;
}

export function renderList(alerts: readonly ListedAlert[], counts: OutboxCounts, nowMs: number): string {
  const lines = ['ALERTS OUTBOX', ...renderCounts(counts, nowMs), '', `LATEST ${alerts.length}`];
  if (alerts.length === 0) lines.push('  none recorded');
  for (const a of alerts) {
    const where = a.deliveries.length === 0 ? (a.routedAtMs === null ? 'not routed yet' : 'no channel wanted it') : a.deliveries.map((d) => `${d.channel} ${d.status}`).join(', ');
    const market = Number.isFinite(Date.parse(a.createdAt)) ? formatNewYork(Date.parse(a.createdAt), 'LL-dd HH:mm:ss') : a.createdAt;
    lines.push(`  #${a.id} ${market} ET  ${a.severity.toUpperCase().padEnd(8)} ${a.kind.padEnd(24)} ${a.title}`);
    lines.push(`      ${where} · by ${a.app} · recorded ${clock(a.createdAtMs)} UTC · key ${a.dedupeKey}`);
  }
  return lines.join('\n');
}
