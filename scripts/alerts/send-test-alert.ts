import { randomUUID } from 'node:crypto';
import type { AlertChannel, SendResult } from '../../shared/alerts/channels/channel';
import { composeContent } from '../../shared/alerts/message-content';
import { redact } from '../../shared/alerts/redact';
import { isoTime } from '../../shared/db/types';
import { errorMessage } from '../../shared/errors/errors';
import { tradingDayOf } from '../../shared/time/trading-calendar';

export interface TestResult {
  channel: string;
  description: string;
  /** The receiver accepted it. */
  ok: boolean;
  outcome: SendResult['outcome'];
  detail: string;
  ms: number;
}

/**
 * One test alert to every configured channel at once, one attempt each (no retry: the point is to see what
 * the receiver says now). Errors are shown without the channel's secrets.
 */
export async function sendTestAlert(channels: readonly AlertChannel[], timeoutMs: number, nowMs = Date.now()): Promise<TestResult[]> {
  const key = `test:${isoTime(nowMs)}:${randomUUID().slice(0, 8)}`;
  const content = composeContent([{
    id: 0, kind: 'test', severity: 'info', dedupeKey: key, conditionKey: null, title: 'Test alert from ib-daytrader: this channel works', symbol: null,
    data: { sentBy: 'npm run alerts -- test', host: process.env.HOSTNAME ?? null }, app: 'alerts-cli', tradingDay: tradingDayOf(nowMs), createdAt: isoTime(nowMs),
    createdAtMs: nowMs, routedAtMs: null,
  }], 0, () => key);
  return Promise.all(channels.map(async (channel): Promise<TestResult> => {
    const started = Date.now();
    let result: SendResult;
    try {
      result = await channel.send(content, AbortSignal.timeout(timeoutMs));
    } catch (error) {
      result = { outcome: 'retry', error: errorMessage(error) };
    } finally {
      await channel.close().catch(() => undefined);
    }
    const detail = result.outcome === 'delivered' ? result.detail ?? 'accepted' : result.error;
    return { channel: channel.name, description: channel.description, ok: result.outcome === 'delivered', outcome: result.outcome, detail: redact(detail, channel.secrets), ms: Date.now() - started };
  }));
}
