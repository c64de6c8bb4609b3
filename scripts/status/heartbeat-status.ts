import type { Heartbeat } from '../../shared/db';
import type { HeartbeatStatus, StatusInputs } from './status-model';

/** A heartbeat row as the console reports it: age, staleness, broker link, and what the bot says of itself. */
export function heartbeatStatus(heartbeat: Heartbeat, inputs: StatusInputs): HeartbeatStatus {
  const ageMs = Math.max(0, inputs.nowRealMs - heartbeat.beatAtMs);
  const protecting = heartbeat.app === 'exit-manager' && typeof heartbeat.detail.protecting === 'boolean' ? heartbeat.detail.protecting : null;
  const link = brokerLinkOf(heartbeat, inputs);
  return {
    state: heartbeat.state,
    ageMs,
    stale: ageMs > inputs.heartbeatStaleMs,
    brokerConnected: heartbeat.brokerConnected,
    brokerDownForMs: heartbeat.brokerConnected === false && heartbeat.brokerDownSinceMs !== null ? Math.max(0, inputs.nowRealMs - heartbeat.brokerDownSinceMs) : null,
    brokerLink: link.state,
    connectingForMs: link.connectingForMs,
    protecting,
    marketData: heartbeat.app === 'day-trader' ? marketDataOf(heartbeat.detail.marketData) : null,
  };
}

/**
 * A bot that has not reached the broker since it started is connecting, not down: the first status screen
 * of `npm start` must not cry "no broker link for 682 ms". It becomes an alert (never_linked) only past the
 * startup grace. `brokerLinkedOnce` is in the heartbeat detail; a bot that does not say is judged by its
 * state (still starting).
 */
function brokerLinkOf(heartbeat: Heartbeat, inputs: StatusInputs): { state: HeartbeatStatus['brokerLink']; connectingForMs: number | null } {
  if (heartbeat.brokerConnected === null) return { state: null, connectingForMs: null };
  if (heartbeat.brokerConnected) return { state: 'up', connectingForMs: null };
  const linkedOnce = heartbeat.detail.brokerLinkedOnce;
  const connecting = linkedOnce === false || (linkedOnce === undefined && heartbeat.state === 'starting');
  if (!connecting) return { state: 'down', connectingForMs: null };
  const connectingForMs = Math.max(0, inputs.nowRealMs - heartbeat.startedAtMs);
  return { state: connectingForMs > inputs.startupGraceMs ? 'never_linked' : 'connecting', connectingForMs };
}

const MARKET_DATA_TYPES = new Set(['live', 'delayed', 'unavailable']);

/** The day-trader's `marketData` detail; anything missing or unexpected reads as unknown, never a crash. */
function marketDataOf(value: unknown): NonNullable<HeartbeatStatus['marketData']> {
  if (typeof value !== 'object' || value === null) return { type: 'unknown', reason: null };
  const { type, reason } = value as { type?: unknown; reason?: unknown };
  return {
    type: typeof type === 'string' && MARKET_DATA_TYPES.has(type) ? (type as 'live' | 'delayed' | 'unavailable') : 'unknown',
    reason: typeof reason === 'string' && reason !== '' ? reason : null,
  };
}
