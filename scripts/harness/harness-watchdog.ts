import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isOwnerAlive, processStartTicks } from './owner-liveness';
import { reapPm2Home } from './reap-pm2-home';

/**
 * The reaper of one harness system (started by spawnHarnessWatchdog, detached, in its own process group).
 * It notes in <dir>/harness-watchdog.log that it watches, then looks every 500 ms whether the process that
 * launched the system still runs. When that owner died without stopping it (jest killed with SIGTERM or
 * SIGKILL, so no afterAll ran), it stops the system's PM2 daemon and apps (reapPm2Home), logs what it
 * killed, and exits. It exits quietly when <dir> disappears (the owner cleaned up), and SystemHarness.stop()
 * kills it when it has stopped the system itself.
 *
 *   node dist/scripts/harness/harness-watchdog.js --owner <pid> --pm2-home <dir>/pm2 --root <project> --dir <dir>
 */
const POLL_MS = 500;

interface WatchdogArgs {
  ownerPid: number;
  pm2Home: string;
  root: string;
  dir: string;
}

function parse(argv: string[]): WatchdogArgs {
  const { values } = parseArgs({ args: argv, options: { owner: { type: 'string' }, 'pm2-home': { type: 'string' }, root: { type: 'string' }, dir: { type: 'string' } } });
  const ownerPid = Number(values.owner);
  if (!Number.isInteger(ownerPid) || ownerPid <= 0 || !values['pm2-home'] || !values.root || !values.dir) {
    throw new Error('usage: harness-watchdog --owner <pid> --pm2-home <path> --root <project root> --dir <harness dir>');
  }
  return { ownerPid, pm2Home: path.resolve(values['pm2-home']), root: path.resolve(values.root), dir: path.resolve(values.dir) };
}

async function watch(args: WatchdogArgs): Promise<void> {
  // Read now, while the owner runs (it has just spawned us): a pid reused after its death is not the owner.
  const ownerStartTicks = processStartTicks(args.ownerPid);
  let announced = false;
  for (;;) {
    if (!fs.existsSync(args.dir)) return;
    if (!isOwnerAlive(args.ownerPid, ownerStartTicks)) break;
    // Once, after the first look found the owner alive: which watchdog guards this folder, and that it works.
    if (!announced) appendLogLine(args.dir, { event: 'watching', ownerPid: args.ownerPid, ownerStartTicks, pm2Home: args.pm2Home, watchdogPid: process.pid });
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const result = reapPm2Home(args.pm2Home, args.root);
  if (result.found.length === 0 && result.pm2KillStatus === null) return; // the system was never started, or already stopped
  appendLogLine(args.dir, { event: 'owner_gone_system_reaped', ownerPid: args.ownerPid, pm2Home: args.pm2Home, ...result });
}

/** One JSON line in <dir>/harness-watchdog.log; nothing when the folder is gone (the owner cleaned up meanwhile). */
function appendLogLine(dir: string, fields: Record<string, unknown>): void {
  try {
    fs.appendFileSync(path.join(dir, 'harness-watchdog.log'), `${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

if (require.main === module) {
  watch(parse(process.argv.slice(2))).then(
    () => process.exit(0),
    (error: unknown) => {
      // stdio is ignored when the harness spawns us: a failure goes to the log, if the folder is still there.
      const dirAt = process.argv.indexOf('--dir');
      const fields = { event: 'watchdog_failed', error: String((error as Error)?.stack ?? error) };
      if (dirAt >= 0 && process.argv[dirAt + 1]) appendLogLine(process.argv[dirAt + 1]!, fields);
      process.stderr.write(`${JSON.stringify(fields)}\n`);
      process.exit(1);
    },
  );
}
