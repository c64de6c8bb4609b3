/**
 * What a channel sends next (pure, unit-tested; the deliveries repository runs it inside its transaction).
 *
 * Grouping (Alertmanager's group_wait/group_interval, made latency-friendly): the first alert of a kind goes
 * out alone at once; alerts of the same kind arriving within `groupWindowMs` of the last message of that
 * kind wait for the window to end and then go together as one message. A burst of 1,000 is two messages.
 * `groupWindowMs` 0: every alert is its own message.
 *
 * Throttling (Alertmanager's repeat_interval): an alert whose condition (a mismatch that stays, a gateway
 * that stays down, a bot that keeps restarting) was told on this channel less than `repeatIntervalMs` ago
 * is not sent: it is counted, and the next message about the condition says how many were held back.
 */

export interface PendingDelivery {
  alertId: number;
  kind: string;
  conditionKey: string | null;
}

export interface PlanSettings {
  groupWindowMs: number;
  repeatIntervalMs: number;
  maxAlertsPerMessage: number;
}

export interface PlanInput {
  nowMs: number;
  /** Deliveries due now (quiet hours over), oldest alert first. */
  pending: readonly PendingDelivery[];
  /** When this channel last composed a message of each kind. */
  lastMessageOfKindMs: ReadonlyMap<string, number>;
  /** When this channel last told each condition. */
  conditionLastSentMs: ReadonlyMap<string, number>;
  settings: PlanSettings;
}

export interface Plan {
  /** Deliveries held back by the repeat interval of their condition. */
  throttle: number[];
  /** The next message: one kind, one or more alerts. */
  send?: { kind: string; alertIds: number[] };
  /** Nothing can go now: look again at this real time (a group window ends). */
  wakeAtMs?: number;
}

export function planNextMessage(input: PlanInput): Plan {
  const { nowMs, settings } = input;
  const throttle: number[] = [];
  const eligible: PendingDelivery[] = [];
  for (const delivery of input.pending) {
    const lastToldMs = delivery.conditionKey ? input.conditionLastSentMs.get(delivery.conditionKey) : undefined;
    if (lastToldMs !== undefined && settings.repeatIntervalMs > 0 && nowMs - lastToldMs < settings.repeatIntervalMs) throttle.push(delivery.alertId);
    else eligible.push(delivery);
  }
  if (eligible.length === 0) return { throttle };
  if (settings.groupWindowMs <= 0) return { throttle, send: { kind: eligible[0]!.kind, alertIds: [eligible[0]!.alertId] } };

  let wakeAtMs: number | undefined;
  const kindsInOrder = [...new Set(eligible.map((d) => d.kind))];
  for (const kind of kindsInOrder) {
    const lastMs = input.lastMessageOfKindMs.get(kind);
    const windowEndsMs = lastMs === undefined ? -Infinity : lastMs + settings.groupWindowMs;
    if (windowEndsMs <= nowMs) {
      const alertIds = eligible.filter((d) => d.kind === kind).slice(0, settings.maxAlertsPerMessage).map((d) => d.alertId);
      return { throttle, send: { kind, alertIds } };
    }
    wakeAtMs = wakeAtMs === undefined ? windowEndsMs : Math.min(wakeAtMs, windowEndsMs);
  }
  return { throttle, wakeAtMs };
}
