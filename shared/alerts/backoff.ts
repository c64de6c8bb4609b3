/**
 * Retry timing (pure): exponential back-off with "equal jitter" (half the delay fixed, half random), so
 * channels that failed together do not retry in lockstep, and the receiver's own word when it gives one
 * (HTTP `Retry-After`, which Slack sends with its 429).
 */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** The longest wait a receiver may ask for before we try anyway (a bogus header must not park a channel for days). */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * `Retry-After` in ms: delta-seconds ("30") or an HTTP date; undefined when absent or unreadable.
 * RFC 9110 §10.2.3.
 */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(text) * 1000));
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - nowMs));
}
