/**
 * npm run alerts -- test [--json]    one test alert to every configured channel; exit 0 only when each accepted it
 * npm run alerts -- list [--limit N] [--json]
 *                                    the outbox: per channel pending, delivered, failed, held back and its health,
 *                                    then the latest alerts with where each went
 *
 * Exit codes: 0 fine; 1 a channel refused or failed the test alert (or none is configured); 78 bad
 * configuration or flags. Secrets (webhook URLs, the SMTP password) are never printed.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { createChannels, describeChannels } from '../shared/alerts/channels/create-channels';
import { loadConfig } from '../shared/config/load-config';
import { AlertDeliveriesRepository, AlertsOutboxRepository, schemaVersion } from '../shared/db';
import { CliUsageError, cliClock, openExistingDatabase, runCli } from './report/cli-common';
import { renderList } from './alerts/render-alerts';
import { sendTestAlert } from './alerts/send-test-alert';

/** The schema version that brought the outbox (migration 004). */
const OUTBOX_SCHEMA = 4;

export async function main(argv: string[] = hideBin(process.argv)): Promise<number> {
  const args = yargs(argv)
    .scriptName('npm run alerts --')
    .command('test', 'send a test alert to every configured channel (exit 0 only when each accepted it)')
    .command('list', 'show the alerts outbox: per channel, and the latest alerts')
    .demandCommand(1, 'say test or list')
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
    .option('limit', { type: 'number', default: 20, describe: 'list: how many of the latest alerts' })
    .strict()
    .help()
    .fail((message, error) => {
      throw error ?? new CliUsageError(message);
    })
    .parseSync();
  const command = String(args._[0]);
  const config = loadConfig(); // ConfigError → runCli prints every problem and exits 78
  if (command === 'test') {
    const channels = createChannels(config.alerts);
    if (channels.length === 0) {
      const message = 'no alert channel is configured: set ALERT_WEBHOOK_URL, ALERT_SLACK_WEBHOOK_URL, or ALERT_SMTP_URL with ALERT_EMAIL_FROM and ALERT_EMAIL_TO';
      process.stdout.write(args.json ? `${JSON.stringify({ ok: false, channels: [], problem: message })}\n` : `${message}\n`);
      return 1;
    }
    const results = await sendTestAlert(channels, config.alerts.delivery.timeoutMs);
    const ok = results.every((r) => r.ok);
    if (args.json) process.stdout.write(`${JSON.stringify({ ok, channels: results })}\n`);
    else {
      for (const r of results) process.stdout.write(`${r.ok ? '✓' : '✗'} ${r.channel}: ${r.ok ? 'accepted' : r.outcome === 'rejected' ? 'REFUSED' : 'FAILED'} in ${r.ms} ms (${r.detail})\n    ${r.description}\n`);
      process.stdout.write(ok ? `every configured channel (${results.length}) accepted the test alert\n` : `${results.filter((r) => !r.ok).length} of ${results.length} channel(s) did not accept it\n`);
    }
    return ok ? 0 : 1;
  }
  if (command !== 'list') throw new CliUsageError(`unknown command ${command}: say test or list`);
  if (!Number.isInteger(args.limit) || args.limit < 1) throw new CliUsageError(`--limit takes a positive whole number, got ${args.limit}`);
  const db = openExistingDatabase(config.paths.db);
  try {
    const version = schemaVersion(db);
    if (version < OUTBOX_SCHEMA) throw new CliUsageError(`the database at ${config.paths.db} has schema ${version}, from before the alerts outbox: start the bots once (they migrate it)`);
    const nowMs = Date.now();
    const alerts = new AlertsOutboxRepository(db, cliClock(config), 'alerts-cli').list(args.limit);
    const counts = new AlertDeliveriesRepository(db).counts();
    const configured = describeChannels(config.alerts);
    if (args.json) process.stdout.write(`${JSON.stringify({ configured, counts, alerts })}\n`);
    else process.stdout.write(`${renderList(alerts, counts, nowMs)}\n${configured.length === 0 ? '\n(no channel configured now)\n' : ''}`);
    return 0;
  } finally {
    db.close();
  }
}

if (require.main === module) runCli('alerts', async () => {
  const code = await main();
  // Keep-alive sockets of the HTTP client would hold the process for seconds: leave once the output is out.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
});
