import { rejectionContradictedAlert } from '../../../shared/alerts/broker-alerts';
import { ALERT_KINDS } from '../../../shared/alerts/alert-types';
import { kindTitle } from '../../../shared/alerts/message-content';

describe('rejectionContradictedAlert', () => {
  const fact = { orderId: 412, orderRef: 'DT-MSC-1', symbol: 'MSC', code: 10999, status: 'Filled', app: 'day-trader' };

  it('is critical, names the order, the code and what to do', () => {
    const alert = rejectionContradictedAlert(fact);
    expect(ALERT_KINDS).toContain(alert.kind);
    expect(alert).toMatchObject({ kind: 'order_rejection_contradicted', severity: 'critical', symbol: 'MSC' });
    expect(alert.title).toBe('MSC: order DT-MSC-1 was taken as rejected (IB 10999) but is Filled at the broker');
    expect(String(alert.data?.what)).toContain('ORDER_WARNING_CODES');
    expect(alert.tradingDay).toBeUndefined(); // dated by the writer's clock (simulated in SIM)
    expect(kindTitle(alert.kind)).not.toBe(alert.kind);
  });

  it('one alert per order: the same order says it once, another order again', () => {
    expect(rejectionContradictedAlert({ ...fact, status: 'Submitted' }).dedupeKey).toBe(rejectionContradictedAlert(fact).dedupeKey);
    expect(rejectionContradictedAlert({ ...fact, orderId: 413 }).dedupeKey).not.toBe(rejectionContradictedAlert(fact).dedupeKey);
  });
});
