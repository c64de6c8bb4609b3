import path from 'node:path';
import { SystemHarness } from '../../scripts/harness/system-harness';
import { CompressedClock } from '../../shared/time/compressed-clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { makeTempDir } from '../helpers/temp-dir';
import { waitUntil } from '../helpers/wait-until';

const DAY = '2026-11-23';

/**
 * The gateway's daily restart, with the whole system under PM2 on the simulator's compressed clock (x30):
 * a restart window configured at 10:20-10:25 New York (10 real seconds). A 3 s outage inside it is expected —
 * no broker_down_alert although it is longer than BROKER_DOWN_ALERT_S (2 s) during the session; an outage
 * that starts in the window and lasts 20 s is a gateway that did not come back: gateway_not_back, in the
 * log, in events and in the alerts outbox.
 */
describe('the gateway restart window', () => {
  const temp = makeTempDir('restart-window');
  let system: SystemHarness | undefined;

  afterAll(async () => {
    await system?.stop();
    temp.cleanup();
  }, 90_000);

  it('does not treat the restart inside the window as a failure, and does treat a gateway that does not come back as one', async () => {
    system = await SystemHarness.prepare({
      dir: path.join(temp.dir, 'system'), speed: 30, dayStart: '10:00', dayEnd: '16:15', startDay: DAY, seed: 5,
      env: { LOG_CONSOLE: 'false', GATEWAY_RESTART_TIME: '10:20', GATEWAY_RESTART_WINDOW_MIN: '5', BROKER_DOWN_ALERT_S: '2', CLOCK_CHECK_INTERVAL_S: '0' },
    });
    await system.launch();
    const clock = new CompressedClock(readClockAnchor(system.env.SIM_CLOCK_FILE!)!);
    const supervisorLines = (event: string) => system!.logLines('supervisor').filter((l) => l.event === event);
    const linked = () => system!.query<{ app: string; broker_connected: number }>("SELECT app, broker_connected FROM heartbeats WHERE app IN ('exit-manager', 'day-trader', 'reconciler')");
    await waitUntil(() => linked().length === 3 && linked().every((h) => h.broker_connected === 1), 60_000, 'every bot linked to the gateway');

    // 1. A 3 s restart at 10:20:30, inside the window.
    await waitUntil(() => clock.now() >= newYorkTime(DAY, '10:20') + 30_000, 90_000, 'the restart window', 100);
    await system.admin('POST /faults/restart', { downMs: 3_000 });
    await waitUntil(() => supervisorLines('gateway_restart_window_disconnect').length > 0, 20_000, 'the supervisor to note the expected disconnect');
    await waitUntil(() => supervisorLines('gateway_back_after_restart').length > 0, 30_000, 'the gateway back');
    expect(supervisorLines('broker_down_alert')).toEqual([]);

    // 2. At 10:23 (still in the window) a restart that lasts 20 s: down well past 10:25 + 2 s.
    await waitUntil(() => clock.now() >= newYorkTime(DAY, '10:23'), 30_000, '10:23', 100);
    const outage = system.admin('POST /faults/restart', { downMs: 20_000 }).catch(() => undefined);
    const notBack = await waitUntil(() => supervisorLines('gateway_not_back')[0], 30_000, 'gateway_not_back');
    expect(notBack.level).toBe('error');
    expect(clock.now()).toBeGreaterThan(newYorkTime(DAY, '10:25'));
    expect(system.query<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE event = 'gateway_not_back' AND level = 'error'")[0]!.n).toBeGreaterThan(0);
    expect(system.query<{ kind: string }>("SELECT kind FROM alerts_outbox WHERE kind = 'gateway_not_back'").length).toBeGreaterThan(0);
    await outage;
    await waitUntil(() => linked().every((h) => h.broker_connected === 1), 60_000, 'every bot linked again');
  }, 300_000);
});
