import type { AlertDraft } from './alert-types';

/** What the broker said that contradicts what the adapter concluded (pure). */
export interface RejectionContradiction {
  orderId: number;
  orderRef: string;
  symbol: string;
  code: number;
  status: string;
  app: string;
}

/**
 * An order taken as rejected on an error code the adapter did not know to be informational, then worked or
 * filled at the broker. Critical: its owner has already let it go (an entry's claim released, a protective
 * order placed again), so shares may be held that no bot tracks until the exit manager's and reconciler's
 * checks find them. One alert per order.
 */
export function rejectionContradictedAlert(c: RejectionContradiction): AlertDraft {
  // No trading day: the outbox dates it by the writer's clock (simulated in SIM).
  return {
    kind: 'order_rejection_contradicted', severity: 'critical', symbol: c.symbol,
    dedupeKey: `order_rejection_contradicted:${c.app}:${c.orderId}:${c.orderRef}`,
    title: `${c.symbol}: order ${c.orderRef} was taken as rejected (IB ${c.code}) but is ${c.status} at the broker`,
    data: {
      ...c,
      what: `check the positions and orders now (npm run status); IB ${c.code} is informational and should be listed as a warning (ORDER_WARNING_CODES): report it`,
    },
  };
}
