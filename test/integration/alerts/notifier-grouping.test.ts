import path from 'node:path';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { SystemClock } from '../../../shared/time/clock';
import { HttpReceiver, SmtpReceiver, startNotifier, type NotifierProcess } from '../../helpers/notifier-process';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';

interface Body { idempotencyKey: string; kind: string; count: number; grouped: boolean; suppressedRepeats: number; alerts: Array<{ dedupeKey: string }> }

/**
 * Grouping and throttling through the real notifier: a burst of one kind is the first alert at once and the
 * rest as one message when the window ends; repeats of an unresolved condition are held back and counted.
 * E-mail here goes over TLS from the first byte (smtps://).
 */
describe('the notifier grouping bursts and throttling repeats', () => {
  const temp = makeTempDir('notifier-grouping');
  let webhook: HttpReceiver;
  let smtps: SmtpReceiver;
  let notifier: NotifierProcess | undefined;
  let db: Db;
  let repos: Repositories;

  beforeAll(async () => {
    webhook = await HttpReceiver.start();
    smtps = await SmtpReceiver.start({ secure: true });
    db = openDatabase(path.join(temp.dir, 'trading.db'));
    repos = createRepositories(db, new SystemClock(), 'test');
    notifier = startNotifier({
      DB_PATH: path.join(temp.dir, 'trading.db'), LOG_DIR: path.join(temp.dir, 'logs'), ALERT_WEBHOOK_URL: webhook.url(),
      ALERT_SMTP_URL: `smtps://127.0.0.1:${smtps.port}`, ALERT_SMTP_TLS_VERIFY: 'false', ALERT_EMAIL_FROM: 'bots@example.com', ALERT_EMAIL_TO: 'ops@example.com',
      ALERT_EMAIL_MIN_SEVERITY: 'warning', ALERT_GROUP_WINDOW_S: '1', ALERT_REPEAT_INTERVAL_MIN: '60', ALERT_POLL_MS: '20',
    });
    await notifier.ready;
  }, 30_000);

  afterAll(async () => {
    notifier?.child.kill('SIGTERM');
    await notifier?.exited;
    db?.close();
    await Promise.all([webhook?.close(), smtps?.close()]);
    temp.cleanup();
  }, 30_000);

  const bodies = () => webhook.accepted().map((r) => r.body as Body);

  it('a burst of one kind: the first at once, the other 40 as one message after the window', async () => {
    repos.alerts.enqueue({ kind: 'position_closed', severity: 'info', dedupeKey: 'position_closed:P-0', title: 'S0 closed', data: {} });
    await webhook.waitFor(() => webhook.accepted().length === 1, 10_000, 'the first alert alone');
    // One commit, so the burst is inside the window whatever the machine's load.
    db.transaction(() => {
      for (let i = 1; i <= 40; i++) repos.alerts.enqueue({ kind: 'position_closed', severity: 'info', dedupeKey: `position_closed:P-${i}`, title: `S${i} closed`, data: {} });
    })();
    await webhook.waitFor(() => bodies().reduce((n, b) => n + b.count, 0) === 41, 15_000, 'all 41 alerts');
    expect(bodies().map((b) => [b.count, b.grouped])).toEqual([[1, false], [40, true]]);
    expect(bodies()[1]!.alerts.map((a) => a.dedupeKey)).toEqual(Array.from({ length: 40 }, (_, i) => `position_closed:P-${i + 1}`));
    expect(bodies()[1]!.idempotencyKey).toMatch(/^group:position_closed:[0-9a-f]{24}$/);
    // Info alerts are below the e-mail channel's minimum severity (warning): no mail for them.
    expect(smtps.messages).toEqual([]);
  }, 40_000);

  it('holds back repeats of an unresolved condition on every channel, and still sends other conditions', async () => {
    const mismatch = (i: number, symbol: string) => repos.alerts.enqueue({
      kind: 'reconciliation_mismatch', severity: 'critical', dedupeKey: `reconciliation:${i}:${symbol}:P`, conditionKey: `reconciliation:${symbol}`, symbol,
      title: `Reconciliation MISMATCH: ${symbol}`, data: {},
    });
    const sentBefore = webhook.accepted().length;
    mismatch(1, 'NOVA');
    await webhook.waitFor(() => webhook.accepted().length === sentBefore + 1, 10_000, 'the first mismatch');
    await smtps.waitFor(() => smtps.messages.length === 1, 10_000, 'the first mismatch by e-mail');
    db.transaction(() => {
      mismatch(2, 'NOVA');
      mismatch(3, 'NOVA');
      mismatch(4, 'ACME');
    })();
    await waitUntil(() => db.prepare("SELECT COUNT(*) FROM alert_deliveries WHERE kind = 'reconciliation_mismatch' AND status IN ('delivered','throttled')").pluck().get() === 8, 15_000, 'every mismatch decided on both channels');
    const told = webhook.accepted().slice(sentBefore).flatMap((r) => (r.body as Body).alerts.map((a) => a.dedupeKey));
    expect(told).toEqual(['reconciliation:1:NOVA:P', 'reconciliation:4:ACME:P']);
    expect(smtps.messages.map((m) => m.subject)).toEqual(['[ib-daytrader] CRITICAL: Reconciliation MISMATCH: NOVA', '[ib-daytrader] CRITICAL: Reconciliation MISMATCH: ACME']);
    expect(smtps.messages.every((m) => m.secure)).toBe(true);
    expect(db.prepare("SELECT channel, COUNT(*) AS n FROM alert_deliveries WHERE status = 'throttled' GROUP BY channel ORDER BY channel").all()).toEqual([{ channel: 'email', n: 2 }, { channel: 'webhook', n: 2 }]);
    expect(db.prepare("SELECT suppressed FROM alert_conditions WHERE channel = 'webhook' AND condition_key = 'reconciliation:NOVA'").pluck().get()).toBe(2);
  }, 40_000);
});
