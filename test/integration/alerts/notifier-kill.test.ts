import path from 'node:path';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { SystemClock } from '../../../shared/time/clock';
import { HttpReceiver, logLines, SmtpReceiver, startNotifier, type NotifierProcess, type Responder } from '../../helpers/notifier-process';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';

const BURST = 200;
/** The webhook request that is left unanswered until the notifier is dead: the message in flight. */
const HELD = 60;

function counts(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/**
 * SIGKILL in the middle of a burst (no grouping: one message per alert). The webhook holds one request
 * open while the notifier is killed, so one message is certainly in flight; the e-mail channel is caught
 * wherever it happens to be. After a restart every alert arrives, and the only duplicate on each channel is
 * the message that was in flight.
 */
describe('the notifier SIGKILLed mid-burst', () => {
  const temp = makeTempDir('notifier-kill');
  const dbPath = path.join(temp.dir, 'trading.db');
  const logDir = path.join(temp.dir, 'logs');
  let webhook: HttpReceiver;
  let smtp: SmtpReceiver;
  let db: Db;
  let repos: Repositories;
  let second: NotifierProcess | undefined;
  let release: () => void = () => undefined;
  let held = false;
  let heldKey = '';

  beforeAll(async () => {
    const holdOne: Responder = async (request, index) => {
      if (index === HELD) {
        held = true;
        heldKey = String(request.headers['idempotency-key']);
        await new Promise<void>((resolve) => (release = resolve));
      }
      return { status: 200, body: 'ok' };
    };
    webhook = await HttpReceiver.start(holdOne);
    smtp = await SmtpReceiver.start({ starttls: false });
    db = openDatabase(dbPath);
    repos = createRepositories(db, new SystemClock(), 'test');
  });

  afterAll(async () => {
    release();
    second?.child.kill('SIGTERM');
    await second?.exited;
    db?.close();
    await Promise.all([webhook?.close(), smtp?.close()]);
    temp.cleanup();
  }, 30_000);

  it('loses nothing and resends only the message in flight', async () => {
    const env = {
      DB_PATH: dbPath, LOG_DIR: logDir, ALERT_WEBHOOK_URL: webhook.url(), ALERT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, ALERT_SMTP_SECURITY: 'plain',
      ALERT_EMAIL_FROM: 'bots@example.com', ALERT_EMAIL_TO: 'ops@example.com', ALERT_GROUP_WINDOW_S: '0', ALERT_POLL_MS: '20',
    };
    const first = startNotifier(env);
    await first.ready;
    db.transaction(() => {
      for (let i = 0; i < BURST; i++) repos.alerts.enqueue({ kind: 'entry_filled', severity: 'info', dedupeKey: `entry_filled:P-${i}`, title: `S${i} bought`, data: { i } });
    })();
    await waitUntil(() => held, 30_000, `the webhook holding request #${HELD}`);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const mailsAtKill = smtp.messages.length;
    release(); // its answer goes to a dead socket
    expect(mailsAtKill).toBeLessThan(BURST); // killed mid-burst on e-mail too

    second = startNotifier(env);
    await second.ready;
    const keys = Array.from({ length: BURST }, (_, i) => `entry_filled:P-${i}`);
    const webhookKeys = () => webhook.requests.map((r) => String(r.headers['idempotency-key'])).filter((k) => k.startsWith('entry_filled:'));
    const mailKeys = () => smtp.messages.map((m) => String(m.headers.get('x-alert-idempotency-key'))).filter((k) => k.startsWith('entry_filled:'));
    await waitUntil(() => keys.every((k) => webhookKeys().includes(k)) && keys.every((k) => mailKeys().includes(k)), 60_000, 'every alert on both channels');
    // The burst, and the restarted notifier's own alert that its predecessor died without a shutdown.
    await waitUntil(() => db.prepare("SELECT COUNT(*) FROM alert_deliveries WHERE status = 'delivered'").pluck().get() === 2 * (BURST + 1), 20_000, 'every delivery recorded');
    expect(db.prepare("SELECT kind, app FROM alerts_outbox WHERE kind != 'entry_filled'").all()).toEqual([{ kind: 'process_restarted', app: 'notifier' }]);

    // The webhook: the held message twice (in flight at the kill, resent), every other exactly once.
    const onWebhook = counts(webhookKeys());
    expect([...onWebhook.entries()].filter(([, n]) => n > 1)).toEqual([[heldKey, 2]]);
    expect(onWebhook.size).toBe(BURST);
    // E-mail: everything once, except at most the one message in flight when it was killed.
    const byMail = counts(mailKeys());
    const mailDuplicates = [...byMail.entries()].filter(([, n]) => n > 1);
    expect(mailDuplicates.length).toBeLessThanOrEqual(1);
    expect(mailDuplicates.every(([, n]) => n === 2)).toBe(true);
    expect(byMail.size).toBe(BURST);
    // The restarted notifier said what it resent: the webhook's message, and the e-mail's when one was in flight
    // (a mail cut off before the server took it is resent without being a duplicate).
    const started = logLines(logDir, 'notifier').filter((l) => l.event === 'notifier_started');
    expect(started).toHaveLength(2);
    expect([1, 2]).toContain(started[1]!.resendingInFlight);
    expect(mailDuplicates.length).toBeLessThanOrEqual(Number(started[1]!.resendingInFlight) - 1);
  }, 120_000);
});
