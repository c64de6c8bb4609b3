import path from 'node:path';
import { ProtectionManager } from '../../../apps/exit-manager/protection-manager';
import type { ProcessView } from '../../../apps/supervisor/health';
import type { Pm2Api } from '../../../apps/supervisor/pm2-client';
import { Supervisor } from '../../../apps/supervisor/supervisor';
import { noteUncleanRestart } from '../../../shared/alerts/process-restart';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { loadConfig } from '../../../shared/config/load-config';
import { createRepositories, openDatabase, type Db, type Heartbeat, type Repositories } from '../../../shared/db';
import { memoryLogger, silentLogger } from '../../../shared/log/logger';
import { LivenessFiles } from '../../../shared/process/liveness-file';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';

const DAY = '2026-11-23';

class FakePm2 implements Pm2Api {
  readonly views = new Map<string, ProcessView>();
  async list(): Promise<ProcessView[]> {
    return [...this.views.values()];
  }
  async restart(): Promise<void> {
    /* recorded by the supervisor's event */
  }
}

/**
 * The facts the supervisor and the exit manager record as events (a restart, a gateway outage, protection
 * given up) carry their alert in the same transaction, once per fact however often it is noticed.
 */
describe('alerts of process facts', () => {
  const temp = makeTempDir('process-facts');
  let n = 0;
  let db: Db;
  let repos: Repositories;
  let clock: ManualClock;
  const config = loadConfig({ env: {} });
  const outbox = () => db.prepare('SELECT kind, dedupe_key AS dedupeKey, app, data FROM alerts_outbox ORDER BY id').all() as Array<{ kind: string; dedupeKey: string; app: string; data: string }>;

  beforeEach(() => {
    db = openDatabase(path.join(temp.dir, `facts-${n++}.db`), { busyTimeoutMs: 50 });
    clock = new ManualClock(newYorkTime(DAY, '10:00'));
  });
  afterEach(() => db.close());
  afterAll(() => temp.cleanup());

  describe('the supervisor', () => {
    let realNowMs: number;
    let pm2: FakePm2;
    let liveness: LivenessFiles;
    const beat = (app: string, pid: number, beatAgoMs: number, extra: Partial<Heartbeat> = {}): Heartbeat => ({
      app, pid, state: 'ready', beatAtMs: realNowMs - beatAgoMs, startedAtMs: realNowMs - 600_000, readyAtMs: realNowMs - 590_000, progressAtMs: realNowMs - beatAgoMs,
      loopLagMs: 1, brokerConnected: true, brokerDownSinceMs: null, detail: {}, ...extra,
    });
    const supervisor = () => new Supervisor({ pm2, repos, clock, log: memoryLogger(), config, liveness, realNowMs: () => realNowMs, kill: () => undefined });

    beforeEach(() => {
      repos = createRepositories(db, clock, 'supervisor');
      realNowMs = 1_800_000_000_000;
      pm2 = new FakePm2();
      liveness = new LivenessFiles(path.join(temp.dir, `facts-${n}.db-liveness`));
      for (const [app, pid] of [['exit-manager', 100], ['day-trader', 200], ['reconciler', 300]] as const) pm2.views.set(app, { name: app, status: 'online', pid, uptimeMs: 60_000, restarts: 0 });
    });

    it('a hung bot it kills is one alert, keyed by the dead pid, so the restarted bot adds nothing', async () => {
      repos.heartbeats.beat(beat('exit-manager', 100, 100));
      repos.heartbeats.beat(beat('reconciler', 300, 100));
      repos.heartbeats.beat(beat('day-trader', 200, 10_000));
      await supervisor().check();
      expect(repos.events.byName('bot_restarted')).toHaveLength(1);
      expect(outbox().map((a) => [a.kind, a.dedupeKey, a.app])).toEqual([['process_restarted', `process_restarted:day-trader:200:${DAY}`, 'supervisor']]);
      expect(JSON.parse(outbox()[0]!.data)).toMatchObject({ app: 'day-trader', previousPid: 200, by: 'supervisor', reason: expect.stringMatching(/heartbeat stale .* \(kill: killed\)/) });
      // The new day-trader starts, finds pid 200's row never stopped, and its alert is already there.
      const dayTrader = createRepositories(db, clock, 'day-trader');
      expect(noteUncleanRestart(dayTrader, 'day-trader', clock, silentLogger(), () => false)).toBe(false);
      expect(outbox()).toHaveLength(1);
    });

    it('a gateway outage past BROKER_DOWN_ALERT_S in the session is one alert per outage, however often it is said', async () => {
      const downSinceMs = realNowMs - 31_000;
      for (const [app, pid] of [['exit-manager', 100], ['day-trader', 200], ['reconciler', 300]] as const) {
        repos.heartbeats.beat(beat(app, pid, 100, app === 'day-trader' ? { brokerConnected: false, brokerDownSinceMs: downSinceMs } : {}));
      }
      const s = supervisor();
      await s.check();
      realNowMs += 31_000;
      for (const [app, pid] of [['exit-manager', 100], ['day-trader', 200], ['reconciler', 300]] as const) {
        repos.heartbeats.beat(beat(app, pid, 100, app === 'day-trader' ? { brokerConnected: false, brokerDownSinceMs: downSinceMs } : {}));
      }
      await s.check();
      expect(repos.events.byName('broker_down_alert')).toHaveLength(2);
      expect(outbox().map((a) => [a.kind, a.dedupeKey])).toEqual([['broker_down', `broker_down:day-trader:${downSinceMs}`]]);
    });
  });

  it('the exit manager giving up a position\'s protection is an event and its alert, once per give-up', async () => {
    repos = createRepositories(db, clock, 'exit-manager');
    const broker = new FakeBroker(clock, { clientId: 12 });
    await broker.connect();
    const claim = repos.positions.claimSymbol({ symbol: 'ABC', tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: 100 });
    if (!claim.ok) throw new Error(claim.reason);
    repos.ledger.recordEntryFill(claim.position.id, { execId: '0000e.ABC.000001.01', symbol: 'ABC', side: 'BUY', quantity: 100, price: 50, commission: 1, executedAtMs: clock.now() });
    broker.setPrice('ABC', 50);
    broker.setPosition('ABC', 100, 50);
    broker.rejectNext = 1_000;
    const m = new ProtectionManager({
      app: 'exit-manager', broker, db, repos, clock, log: silentLogger(), config: { ...config, exits: { ...config.exits, maxRejections: 3 } }, onProtectingChanged: () => undefined,
    });
    m.start();
    try {
      await m.resync('start');
      await waitUntil(() => repos.events.byName('protection_gave_up').length === 1, 10_000, 'the give-up');
      const gaveUp = outbox().filter((a) => a.kind === 'protection_gave_up');
      expect(gaveUp.map((a) => a.dedupeKey)).toEqual([`protection_gave_up:${claim.position.id}:3`]);
      expect(JSON.parse(gaveUp[0]!.data)).toMatchObject({ symbol: 'ABC', refusals: 3 });
    } finally {
      m.stop();
    }
  });
});
