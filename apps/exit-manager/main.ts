import { createBroker } from '../../shared/broker/create-broker';
import { runApp } from '../../shared/process/run-app';
import { runPeriodically } from '../../shared/process/periodic';
import { realDelayMs } from '../../shared/time/clock';
import { ProtectionManager } from './protection-manager';

/**
 * Where a restart's time goes, published in the heartbeat (`startup`, epoch ms): the process's start (Node's own
 * clock origin), every module loaded (this line runs after the requires above), the gateway's handshake done,
 * and the first verified protection. The bots benchmark splits "SIGKILL -> protecting" with them.
 */
const startup: { processStartMs: number; modulesLoadedMs: number; connectedMs?: number; protectingMs?: number } = {
  processStartMs: Math.round(performance.timeOrigin),
  modulesLoadedMs: Date.now(),
};

/**
 * exit-manager: owns every protective and closing order. Connects with its FIXED client id so the orders
 * of its previous life are its own again, verifies every broker position has exactly one protection pair,
 * and says "protecting" in its heartbeat only once that verification ran on complete snapshots.
 */
runApp({
  app: 'exit-manager',
  main: async (ctx) => {
    const { config, log, repos, heartbeat } = ctx;
    const broker = createBroker({ config, clientId: config.ib.clientIds.exitManager, log, orderIds: repos.orderIds, heartbeat, alerts: repos.alerts, app: ctx.app });
    const manager = new ProtectionManager({
      app: ctx.app, broker, db: ctx.db, repos, clock: ctx.clock, log, config,
      onProtectingChanged: (protecting) => {
        if (protecting && startup.protectingMs === undefined) startup.protectingMs = Date.now();
        heartbeat.publishDetail({ protecting });
      },
      onGaveUpChanged: (symbols) => heartbeat.setDetail({ protectionGaveUp: symbols }),
    });
    heartbeat.setDetail({ protecting: false, startup });
    broker.onConnectionEvent((event) => {
      if (event.kind === 'connected' && startup.connectedMs === undefined) startup.connectedMs = Date.now();
    });
    manager.start();
    ctx.onShutdown('broker', () => broker.disconnect(), 50);

    try {
      await broker.connect(); // the 'connected' event runs the first resync
    } catch (error) {
      if ((error as { kind?: string }).kind !== 'transient') throw error;
      log.error('broker_unavailable_at_start', { error: (error as Error).message, what: 'retrying in the background; positions stay protected by their broker-side orders' });
    }
    await manager.resync('startup');

    const checks = runPeriodically('protection_check', config.exits.checkIntervalMs, async () => {
      await manager.checkAll();
      heartbeat.progress();
    }, log);
    // Other processes' commits (a fill the day-trader booked or reported) are noticed within a millisecond:
    // a look costs one read of SQLite's shared-memory change counter, and a fill is protected from here on.
    const dbWatch = setInterval(() => {
      try {
        manager.onDbPoll();
      } catch (error) {
        log.warn('db_poll_failed', { error: (error as Error).message });
      }
    }, 1);
    const resync = runPeriodically('protection_resync', () => realDelayMs(ctx.clock, config.intervals.positionResyncSeconds * 1000, 1_000), () => manager.resync('interval'), log);
    ctx.onShutdown('loops', () => {
      checks.stop();
      resync.stop();
      clearInterval(dbWatch);
      manager.stop();
    }, 0);
  },
});
