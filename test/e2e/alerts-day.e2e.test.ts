import { SystemHarness } from '../../scripts/harness/system-harness';
import { HttpReceiver, SmtpReceiver } from '../../scripts/harness/alert-receivers';
import { formatNewYork } from '../../shared/time/trading-calendar';
import { makeTempDir } from '../helpers/temp-dir';
import { waitUntil } from '../helpers/wait-until';

interface Row { id: string; symbol: string; status: string; quantity: number }
interface AlertView { id: number; kind: string; severity: string; dedupeKey: string; symbol: string | null; createdAt: string; data: Record<string, unknown> }
interface Body { idempotencyKey: string; kind: string; count: number; alerts: AlertView[] }

/**
 * A simulated trading day under PM2 with the notifier and real local receivers (a JSON webhook, a Slack
 * stand-in and an SMTP server): a take-profit, a stop-out, a forced reconciliation mismatch (shares sold by
 * hand) and a SIGKILLed exit manager each produce exactly the alerts their facts call for, each once and on
 * every channel, and the daily summary arrives after the close. Money thresholds are off here, so that what
 * is expected follows from the day's facts alone.
 */
describe('alerts on a simulated trading day', () => {
  const temp = makeTempDir('alerts-e2e');
  let system: SystemHarness | undefined;
  let webhook: HttpReceiver;
  let slack: HttpReceiver;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    webhook = await HttpReceiver.start();
    slack = await HttpReceiver.start();
    smtp = await SmtpReceiver.start({ starttls: false });
    system = await SystemHarness.start({
      dir: temp.dir, speed: 150, dayStart: '09:20', dayEnd: '16:15', startDay: '2026-11-23', seed: 42,
      env: {
        STOP_LOSS_PCT: '10', TAKE_PROFIT_PCT: '20', SCANNER_REFRESH_S: '300', MIN_ATR_PCT: '0.02', MIN_SCORE: '40', ENTRY_RSI_MAX: '80', MAX_OPEN_POSITIONS: '3',
        DAILY_LOSS_LIMIT_PCT: '50',
        ALERT_WEBHOOK_URL: webhook.url(), ALERT_SLACK_WEBHOOK_URL: slack.url('/services/T0/B0/e2e'), ALERT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        ALERT_SMTP_SECURITY: 'plain', ALERT_EMAIL_FROM: 'bots@example.com', ALERT_EMAIL_TO: 'ops@example.com',
        ALERT_GROUP_WINDOW_S: '0', ALERT_LARGE_WIN_AMOUNT: '0', ALERT_LARGE_LOSS_AMOUNT: '0', ALERT_PNL_MILESTONES: '1000000000', ALERT_POLL_MS: '20',
      },
    });
  }, 200_000);

  afterAll(async () => {
    await system?.stop();
    await Promise.all([webhook?.close(), slack?.close(), smtp?.close()]);
    temp.cleanup();
  }, 60_000);

  const delivered = (receiver: HttpReceiver) => receiver.accepted().map((r) => r.body as Body);
  const webhookAlerts = () => delivered(webhook).flatMap((b) => b.alerts);

  it('tells each fact once, on every channel, and the daily summary after the close', async () => {
    const sys = system!;
    const protectedRows = await waitUntil(() => {
      const rows = sys.query<Row>("SELECT id, symbol, status, quantity FROM active_positions WHERE status = 'PROTECTED'");
      return rows.length >= 3 ? rows : undefined;
    }, 150_000, 'three protected positions');
    const [winner, loser, holder] = protectedRows;

    // A killed exit manager: PM2 brings it back; the restart is one alert (the new process finds its predecessor
    // never shut down; had the supervisor killed it, the supervisor's alert would have the same key).
    const emPid = sys.pidOf('exit-manager')!;
    process.kill(emPid, 'SIGKILL');
    await waitUntil(() => {
      const hb = sys.query<{ pid: number; state: string; detail: string }>("SELECT pid, state, detail FROM heartbeats WHERE app = 'exit-manager'")[0];
      return hb && hb.pid !== emPid && hb.state === 'ready' && JSON.parse(hb.detail).protecting === true;
    }, 30_000, 'the exit manager back and protecting');
    await webhook.waitFor(() => webhookAlerts().some((a) => a.kind === 'process_restarted'), 20_000, 'the restart alert');

    // A take-profit and a stop-out.
    await sys.admin('POST /faults/jump', { symbol: winner!.symbol, pct: 25 });
    await sys.admin('POST /faults/jump', { symbol: loser!.symbol, pct: -13 });
    await waitUntil(() => sys.query("SELECT 1 FROM closed_positions_today WHERE symbol = ? AND exit_reason = 'PROFIT_TARGET'", winner!.symbol).length === 1, 30_000, 'take-profit exit');
    await waitUntil(() => sys.query("SELECT 1 FROM closed_positions_today WHERE symbol = ? AND exit_reason = 'STOP_LOSS'", loser!.symbol).length === 1, 30_000, 'stop-loss exit');

    // A reconciliation mismatch: some of the holder's shares sold by hand, outside the bots.
    const sold = Math.max(1, Math.floor(holder!.quantity / 3));
    await sys.admin('POST /quirks/manual-trade', { symbol: holder!.symbol, quantity: -sold });
    await waitUntil(() => sys.query("SELECT 1 FROM trades WHERE position_id = ? AND exit_reason = 'MANUAL'", holder!.id).length === 1, 60_000, 'the manual sale booked by the reconciler');

    // The close, the post-close reconciliation, then the daily report and its summary alert.
    await webhook.waitFor(() => webhookAlerts().some((a) => a.kind === 'daily_summary'), 240_000, 'the daily summary');
    // Everything the DB holds is delivered (and nothing is left waiting on any channel).
    await waitUntil(() => sys.query<{ n: number }>("SELECT COUNT(*) AS n FROM alert_deliveries WHERE status NOT IN ('delivered','throttled')")[0]!.n === 0
      && sys.query<{ n: number }>('SELECT COUNT(*) AS n FROM alerts_outbox WHERE routed_at_ms IS NULL')[0]!.n === 0, 30_000, 'the outbox drained');

    const alerts = webhookAlerts();
    const keys = alerts.map((a) => a.dedupeKey);
    // Once each: no alert twice on the webhook, and Slack and e-mail got exactly the same alerts.
    expect(new Set(keys).size).toBe(keys.length);
    expect(delivered(webhook).every((b) => b.count === 1)).toBe(true);
    expect(delivered(slack).map((b) => b as unknown as { text: string })).toHaveLength(keys.length);
    expect(smtp.messages.map((m) => String(m.headers.get('x-alert-idempotency-key'))).sort()).toEqual([...keys].sort());

    // Entries: one alert per position that bought anything, no more.
    const entered = sys.query<{ position_id: string }>("SELECT DISTINCT position_id FROM trades WHERE purpose = 'ENTRY' AND trading_day = '2026-11-23'").map((r) => r.position_id);
    expect(alerts.filter((a) => a.kind === 'entry_filled').map((a) => a.dedupeKey).sort()).toEqual(entered.map((id) => `entry_filled:${id}`).sort());
    // Exits: one alert per closed position, with its reason.
    const closedRows = sys.query<{ position_id: string; exit_reason: string }>(
      "SELECT position_id, exit_reason FROM closed_positions_today WHERE close_date = '2026-11-23' UNION ALL SELECT position_id, exit_reason FROM closed_positions_archive WHERE close_date = '2026-11-23'");
    const closedAlerts = alerts.filter((a) => a.kind === 'position_closed');
    expect(closedAlerts.map((a) => [a.data.positionId, a.data.exitReason]).sort()).toEqual(closedRows.map((r) => [r.position_id, r.exit_reason]).sort());
    expect(closedAlerts.find((a) => a.data.positionId === winner!.id)).toMatchObject({ severity: 'info', data: { exitReason: 'PROFIT_TARGET' } });
    expect(closedAlerts.find((a) => a.data.positionId === loser!.id)).toMatchObject({ severity: 'warning', data: { exitReason: 'STOP_LOSS' } });
    // The killed exit manager: one restart alert, about the pid that was killed.
    expect(alerts.filter((a) => a.kind === 'process_restarted' || a.kind === 'process_crashed').map((a) => [a.data.app, a.data.previousPid])).toEqual([['exit-manager', emPid]]);
    // The mismatch: told once for the holder (repeats would be held back), repaired from the manual execution.
    const mismatches = alerts.filter((a) => a.kind === 'reconciliation_mismatch');
    expect(mismatches.filter((a) => a.symbol === holder!.symbol)).toEqual([expect.objectContaining({ severity: 'warning', data: expect.objectContaining({ status: 'DISCREPANCY', action: expect.stringMatching(/MANUAL/) }) })]);
    // The daily summary: once, recorded after the close, counting the day's closed trades.
    const summaries = alerts.filter((a) => a.kind === 'daily_summary');
    expect(summaries).toHaveLength(1);
    expect(formatNewYork(Date.parse(summaries[0]!.createdAt), 'HH:mm') >= '16:00').toBe(true);
    expect(summaries[0]!.data).toMatchObject({ tradingDay: '2026-11-23', trades: closedRows.length });
    // Nothing else happened today that deserves an alert.
    expect([...new Set(alerts.map((a) => a.kind))].sort()).toEqual(expect.arrayContaining(['daily_summary', 'entry_filled', 'position_closed', 'process_restarted', 'reconciliation_mismatch']));
    expect(alerts.filter((a) => !['daily_summary', 'entry_filled', 'position_closed', 'process_restarted', 'reconciliation_mismatch'].includes(a.kind))).toEqual([]);
  }, 480_000);
});
