import { createChannels } from '../../shared/alerts/channels/create-channels';
import { runApp } from '../../shared/process/run-app';
import { Notifier } from './notifier';

const NOTIFIER_BUSY_TIMEOUT_MS = 1_000;

/**
 * notifier: delivers the alerts outbox (written by the other processes in the same transaction as each
 * fact) by e-mail, Slack and a generic JSON webhook, at least once, with retries, grouping and throttling.
 * Trading never waits for it: it only reads the outbox and writes its own delivery tables.
 */
runApp({
  app: 'notifier',
  main: async (ctx) => {
    const { config, log, db, heartbeat } = ctx;
    // The bots wait at most DB_BOT_BUSY_TIMEOUT_MS for the write lock (their event loop must not stop). The
    // notifier has nothing more urgent than its next write: under a burst of commits it waits its turn instead
    // of failing and polling again.
    db.pragma(`busy_timeout = ${NOTIFIER_BUSY_TIMEOUT_MS}`);
    const channels = createChannels(config.alerts);
    heartbeat.setDetail({ channels: channels.map((c) => c.name) });
    const notifier = new Notifier({ db, alerts: config.alerts, channels, log, onProgress: () => heartbeat.progress() });
    notifier.start();
    ctx.onShutdown('notifier', () => notifier.stop(), 0);
  },
});
