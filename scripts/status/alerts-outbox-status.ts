import { formatDuration } from './format';
import type { AlertChannelStatus, AlertsOutboxStatus, StatusInputs } from './status-model';

/** Alerts older than this still not picked up mean the notifier is not doing its job (real ms). */
const UNROUTED_ALARM_MS = 30_000;

/** The outbox section from the DB's counts, the notifier's heartbeat and the configured channels (pure). */
export function alertsOutboxStatus(inputs: StatusInputs): AlertsOutboxStatus | null {
  const { db, nowRealMs } = inputs;
  if (!db.usable || !db.alertsOutbox) return null;
  const counts = db.alertsOutbox;
  const beat = db.heartbeats.find((h) => h.app === 'notifier');
  const notifier = !beat || beat.state === 'stopped' ? 'not_running' : nowRealMs - beat.beatAtMs > inputs.heartbeatStaleMs ? 'stale' : 'running';
  const configured = inputs.alertChannels ?? [];
  const names = [...new Set([...configured.map((c) => c.channel), ...counts.channels.map((c) => c.channel)])];
  const age = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : Math.max(0, nowRealMs - ms));
  const channels = names.map((name): AlertChannelStatus => {
    const c = counts.channels.find((x) => x.channel === name);
    const h = c?.health ?? null;
    return {
      channel: name,
      description: configured.find((x) => x.channel === name)?.description ?? null,
      configured: configured.some((x) => x.channel === name) || inputs.alertChannels === undefined,
      pending: (c?.pending ?? 0) + (c?.sending ?? 0),
      delivered: c?.delivered ?? 0,
      failed: c?.failed ?? 0,
      heldBack: c?.throttled ?? 0,
      dropped: c?.dropped ?? 0,
      oldestPendingAgeMs: age(c?.oldestPendingAtMs),
      state: h ? h.state : 'idle',
      consecutiveFailures: h?.consecutiveFailures ?? 0,
      failingForMs: h && h.state === 'failing' ? age(h.failingSinceMs) : null,
      lastError: h && h.state !== 'ok' ? h.lastError : null,
      lastDeliveryAgeMs: age(h?.lastSuccessAtMs),
      retryInMs: h?.retryAtMs != null && h.state !== 'ok' ? Math.max(0, h.retryAtMs - nowRealMs) : null,
    };
  });
  return { notifier, unrouted: counts.unrouted, oldestUnroutedAgeMs: age(counts.oldestUnroutedAtMs), channels };
}

/** What an operator must look at: a channel that keeps failing, or alerts nobody delivers. */
export function outboxAlerts(outbox: AlertsOutboxStatus | null): string[] {
  if (!outbox) return [];
  const lines: string[] = [];
  for (const c of outbox.channels) {
    if (c.state === 'failing') {
      lines.push(`alert channel ${c.channel} failing for ${formatDuration(c.failingForMs)} (${c.consecutiveFailures} failed attempts, ${c.pending} alert(s) waiting): ${c.lastError ?? '?'}`);
    } else if (c.state === 'rate_limited' && c.retryInMs !== null) {
      lines.push(`alert channel ${c.channel} rate limited by its receiver, retrying in ${formatDuration(c.retryInMs)} (${c.pending} waiting)`);
    }
    if (c.failed > 0 && c.state !== 'failing') lines.push(`alert channel ${c.channel}: ${c.failed} message(s) failed for good (refused by the receiver): npm run alerts -- list`);
  }
  if (outbox.unrouted > 0 && (outbox.oldestUnroutedAgeMs ?? 0) > UNROUTED_ALARM_MS) {
    lines.push(`${outbox.unrouted} alert(s) not delivered, the oldest ${formatDuration(outbox.oldestUnroutedAgeMs)} old: the notifier is ${outbox.notifier.replace('_', ' ')} (npx pm2 logs notifier)`);
  }
  return lines;
}
