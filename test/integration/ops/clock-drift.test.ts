import path from 'node:path';
import { sampleGatewayClock } from '../../../apps/supervisor/gateway-clock';
import { ClockWatch } from '../../../apps/supervisor/host-checks';
import { loadConfig } from '../../../shared/config/load-config';
import { memoryLogger } from '../../../shared/log/logger';
import type { Clock } from '../../../shared/time/clock';
import { CompressedClock } from '../../../shared/time/compressed-clock';
import { readClockAnchor } from '../../../shared/time/sim-clock-file';
import { startSimGateway, type SimGatewayProcess } from '../../helpers/sim-gateway-process';
import { makeTempDir } from '../../helpers/temp-dir';

/**
 * The supervisor's clock check over a real link to sim-gateway (its own client id, reqCurrentTime): this
 * machine's clock as the bots compute it agrees with the simulator's; the same clock set 6 market seconds
 * ahead is a drift, warned about with an alert.
 */
describe('the supervisor\'s clock check against the simulator', () => {
  const temp = makeTempDir('clock-drift');
  let sim: SimGatewayProcess;

  beforeAll(async () => {
    sim = await startSimGateway({ dir: temp.dir, speed: 10 });
  });
  afterAll(async () => {
    await sim.stop();
    temp.cleanup();
  });

  it('finds no drift on the shared clock, and a drift when this clock runs ahead', async () => {
    const config = loadConfig({ env: { MODE: 'SIM', IB_PORT: String(sim.port), SIM_CLOCK_FILE: path.join(temp.dir, 'sim-clock.json'), CLOCK_DRIFT_WARN_MS: '2000' } });
    const shared = new CompressedClock(readClockAnchor(config.paths.simClock)!);
    const ahead: Clock = { description: 'ahead by 6 market seconds', speed: shared.speed, now: () => shared.now() + 6_000 };
    const log = memoryLogger();
    const recorded: string[] = [];
    const record = (event: string, _fields: Record<string, unknown>, _level: string, alert?: { kind: string }) => recorded.push(`${event}:${alert?.kind}`);

    const fine = await new ClockWatch({ config, clock: shared, log, record }, () => sampleGatewayClock(config, shared, log)).check();
    expect(fine).toMatchObject({ drifting: false, problem: null });
    expect(Math.abs(fine.skewMs!)).toBeLessThanOrEqual(2_000);

    const drifting = await new ClockWatch({ config, clock: ahead, log, record }, () => sampleGatewayClock(config, ahead, log)).check();
    expect(drifting).toMatchObject({ drifting: true, problem: null });
    expect(drifting.skewMs!).toBeGreaterThan(2_000);
    expect(recorded).toEqual(['clock_drift:clock_drift']);
    expect(log.lines.find((l) => l.event === 'clock_drift')?.level).toBe('warn');
  });
});
