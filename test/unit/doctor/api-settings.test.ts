import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import type { BrokerOrder, Execution, OrderId, OrderRequest } from '../../../shared/broker/types';
import { asOrderId } from '../../../shared/broker/types';
import { ManualClock } from '../../../shared/time/clock';
import { masterClientIdCheck, orderPrecautionsCheck, readOnlyApiCheck, type ApiEvidence } from '../../../scripts/doctor/api-settings-checks';
import { probeOrderFor, runOrderProbe, type ProbeOutcome } from '../../../scripts/doctor/order-probe';

function evidence(overrides: Partial<ApiEvidence> = {}): ApiEvidence {
  return { mode: 'PAPER', doctorClientId: 17, reconcilerClientId: 13, botClientIds: new Set([11, 12, 13]), openOrders: [], executions: [], probe: undefined, ...overrides };
}

const ORDER = probeOrderFor('NOVA', 50, Date.UTC(2026, 10, 23, 15));

describe('probe order', () => {
  it('is a 1-share BUY limit at half the market with a doctor ref', () => {
    expect(ORDER).toEqual({ symbol: 'NOVA', referencePrice: 50, limitPrice: 25, orderRef: 'DOCTOR-PROBE-20261123T150000Z' });
    expect(probeOrderFor('PENNY', 0.01, 0).limitPrice).toBe(0.01);
  });

  it('is placed, acknowledged and cancelled at once; nothing is left working', async () => {
    const broker = new FakeBroker(new ManualClock(Date.UTC(2026, 10, 23, 15)), { clientId: 17 });
    await broker.connect();
    broker.setPrice('NOVA', 50);
    const outcome = await runOrderProbe(broker, ORDER, 2_000);
    expect(outcome).toMatchObject({ kind: 'accepted', cancelled: true });
    expect(broker.sent).toHaveLength(1);
    expect(broker.sent[0]!.request).toMatchObject({ side: 'BUY', quantity: 1, type: 'LMT', limitPrice: 25, tif: 'DAY', orderRef: ORDER.orderRef });
    expect(await broker.openOrders('all')).toEqual([]);
  });

  it('reports the broker\'s refusal (read-only 321) without a cancel', async () => {
    const broker = new FakeBroker(new ManualClock(0), { clientId: 17 });
    await broker.connect();
    broker.setPrice('NOVA', 50);
    const readOnly = Object.assign(Object.create(broker) as FakeBroker, {
      placeOrder: async (request: OrderRequest): Promise<OrderId> => {
        queueMicrotask(() => (broker as unknown as { events: { emit: (name: string, event: unknown) => void } }).events.emit('order', {
          kind: 'rejected', orderId: asOrderId(1), ref: request.orderRef, code: 321, reason: 'Error validating request: The API interface is currently in Read-Only mode.',
        }));
        return asOrderId(1);
      },
    });
    const outcome = await runOrderProbe(readOnly, ORDER, 2_000);
    expect(outcome).toMatchObject({ kind: 'rejected', code: 321 });
  });
});

describe('read-only API', () => {
  const accepted: ProbeOutcome = { kind: 'accepted', order: ORDER, orderId: 5, cancelled: true, warnings: [] };

  it('is ok when the probe order was accepted and cancelled', () => {
    expect(readOnlyApiCheck(evidence({ probe: accepted }))).toMatchObject({ status: 'ok', finding: 'the API takes orders: the probe order was accepted and cancelled at once' });
  });

  it('fails on a 321 read-only refusal, and on a probe order that may still work', () => {
    const refused = readOnlyApiCheck(evidence({ probe: { kind: 'rejected', order: ORDER, orderId: 5, code: 321, reason: 'The API interface is currently in Read-Only mode.', warnings: [] } }));
    expect(refused.status).toBe('fail');
    expect(refused.finding).toBe('the API is READ-ONLY: the probe order was refused (321 The API interface is currently in Read-Only mode.); every order of the bots would be refused the same way');
    expect(refused.action).toContain('"Read-Only API" unchecked');
    expect(readOnlyApiCheck(evidence({ probe: { kind: 'not-cancelled', order: ORDER, orderId: 5, problem: 'no confirmation', warnings: [] } })).status).toBe('fail');
  });

  it('in SIM: ok (no such setting); at IB without proof: warns and names the setting and --probe-order', () => {
    expect(readOnlyApiCheck(evidence({ mode: 'SIM' })).status).toBe('ok');
    const paper = readOnlyApiCheck(evidence());
    expect(paper.status).toBe('warn');
    expect(paper.action).toContain('npm run doctor -- --probe-order');
    expect(readOnlyApiCheck(evidence({ mode: 'LIVE' })).action).toContain('LIVE refuses --probe-order');
  });

  it('takes the bots\' own working orders as proof the API takes orders', () => {
    const stop = { orderId: asOrderId(3), clientId: 12, permId: 1, orderRef: 'P-20261123-NOVA-3f9a1c:SL:1', symbol: 'NOVA', side: 'SELL', type: 'STP', quantity: 10, status: 'Submitted', filledQuantity: 0, remainingQuantity: 10 } as BrokerOrder;
    expect(readOnlyApiCheck(evidence({ openOrders: [stop] })).status).toBe('ok');
    expect(readOnlyApiCheck(evidence({ openOrders: [{ ...stop, clientId: 0 }] })).status).toBe('warn');
  });
});

describe('master API client ID', () => {
  const execution = (clientId: number) => ({ execId: `e${clientId}`, orderId: asOrderId(1), clientId, permId: 1, orderRef: '', symbol: 'NOVA', side: 'BUY', quantity: 1, price: 1, cumulativeQuantity: 1, avgPrice: 1, timeMs: 0 } as Execution);

  it('cannot be verified in SIM', () => {
    expect(masterClientIdCheck(evidence({ mode: 'SIM' }))).toMatchObject({ status: 'ok', finding: expect.stringContaining('cannot be verified in SIM') });
  });

  it('warns that only the master sees other clients\' executions, naming the reconciler\'s id', () => {
    const result = masterClientIdCheck(evidence({ executions: [execution(17)] }));
    expect(result.status).toBe('warn');
    expect(result.action).toContain('"Master API client ID" = 13');
  });

  it('says the master is the doctor when the gateway shows it other clients\' executions', () => {
    expect(masterClientIdCheck(evidence({ executions: [execution(12), execution(0)] })).finding).toContain('the master is 17, not the reconciler\'s 13');
  });
});

describe('order precautions', () => {
  it('are not visible through the API: warns at IB with the settings to review; ok in SIM', () => {
    const paper = orderPrecautionsCheck(evidence());
    expect(paper.status).toBe('warn');
    expect(paper.lines!.join('\n')).toContain('"Bypass Order Precautions for API Orders" checked');
    expect(orderPrecautionsCheck(evidence({ mode: 'SIM' })).status).toBe('ok');
  });

  it('quotes the precaution IB answered the probe order with', () => {
    const probe: ProbeOutcome = { kind: 'rejected', order: ORDER, orderId: 5, code: 201, reason: 'Order rejected - reason: The order price exceeds the Percentage constraint of 3%.', warnings: [] };
    const result = orderPrecautionsCheck(evidence({ mode: 'SIM', probe }));
    expect(result.status).toBe('warn');
    expect(result.finding).toContain('Percentage constraint of 3%');
    expect(readOnlyApiCheck(evidence({ probe })).status).toBe('ok');
  });
});
