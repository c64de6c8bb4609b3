import { parseEndDateTime } from '../../../apps/sim-gateway/feed/historical-bars';
import { parseExecutionFilterTime } from '../../../apps/sim-gateway/handlers/order-requests';
import { ibUtcTime } from '../../../shared/broker/ib/ib-broker-adapter';

describe('IB request time format', () => {
  it('writes "yyyymmdd-hh:mm:ss" in UTC, which the gateway reads back to the second', () => {
    const ms = Date.UTC(2026, 10, 23, 14, 30, 29, 300);
    expect(ibUtcTime(ms)).toBe('20261123-14:30:29');
    expect(parseExecutionFilterTime(ibUtcTime(ms))).toBe(Date.UTC(2026, 10, 23, 14, 30, 29));
    expect(parseEndDateTime(ibUtcTime(ms), Number.MAX_SAFE_INTEGER)).toBe(Date.UTC(2026, 10, 23, 14, 30, 29));
  });
});
