import { parseRetryAfterMs } from '../backoff';
import type { SendResult } from './channel';

/** Statuses that say the message itself is wrong: sending it again cannot help. */
const MESSAGE_REJECTED = new Set([400, 413, 415, 422]);

/**
 * POSTs a JSON body and classifies the answer: 2xx delivered; 429 rate limited with the receiver's
 * Retry-After; 408, 425, 5xx, network errors and timeouts retried; 400/413/415/422 rejected for good; any
 * other 4xx (a revoked or mistyped webhook: 401, 403, 404, 410) is a channel problem an operator fixes, so
 * it is retried too and the channel shows as failing.
 */
export async function postJson(url: string, body: unknown, headers: Record<string, string>, signal: AbortSignal): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const what = signal.aborted ? 'timed out' : `${(error as Error).message}${cause ? ` (${cause.code ?? cause.message ?? 'no detail'})` : ''}`;
    return { outcome: 'retry', error: `request failed: ${what}` };
  }
  const text = await response.text().catch(() => '');
  const summary = `HTTP ${response.status}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`;
  if (response.ok) return { outcome: 'delivered', detail: summary };
  const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), Date.now());
  if (response.status === 429) return { outcome: 'retry', error: summary, retryAfterMs, rateLimited: true };
  if (MESSAGE_REJECTED.has(response.status)) return { outcome: 'rejected', error: summary };
  return { outcome: 'retry', error: summary, retryAfterMs };
}
