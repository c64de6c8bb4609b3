import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../../helpers/sim-gateway-process';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';
import { heartbeat, startBot, systemEnv, type BotProcess } from './bot-process';

interface SimState { orders: Array<{ clientId: number; orderRef: string; symbol: string; status: string; createdRealMs?: number }>; positions: Array<{ symbol: string; quantity: number }> }

/**
 * The log disk full: LOG_DIR on a 64 KiB tmpfs, filled up. Logging is not trading: the bots must keep
 * trading and protecting, and say on stderr (at most once a minute) that the log cannot be written.
 * Needs `mount -t tmpfs` (root with CAP_SYS_ADMIN); skipped with a message where that is not permitted.
 */
describe('the log disk full', () => {
  const temp = makeTempDir('bad-disk-full');
  const logDir = path.join(temp.dir, 'logs');
  const bots: BotProcess[] = [];
  let gateway: SimGatewayProcess | undefined;
  let mounted = false;
  let skipReason = '';

  beforeAll(() => {
    fs.mkdirSync(logDir, { recursive: true });
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', logDir], { encoding: 'utf8' });
    mounted = result.status === 0;
    if (!mounted) skipReason = `cannot mount a tmpfs (${(result.stderr || result.error?.message || '').trim()}): run as root with CAP_SYS_ADMIN to include this test`;
  });

  afterAll(async () => {
    for (const bot of bots) await bot.stop();
    await gateway?.kill();
    if (mounted) spawnSync('umount', [logDir]);
    temp.cleanup();
  });

  it('keeps trading and protecting, and says once on stderr that the log cannot be written', async () => {
    if (!mounted) {
      process.stdout.write(`SKIPPED disk-full test: ${skipReason}\n`);
      return;
    }
    // Full before the bots start: their very first log line fails. (Leaving a few KiB free made the test
    // depend on which bot took the last free page of the tmpfs; a bot that got one wrote on for minutes.)
    fillDisk(path.join(logDir, 'filler'));
    const env = systemEnv(temp.dir, { ib: await freePort(), admin: await freePort() }, { LOG_DIR: logDir });
    gateway = await startSimGateway({ dir: temp.dir, port: Number(env.IB_PORT), adminPort: Number(env.SIM_ADMIN_PORT), speed: 60, dayStart: env.SIM_DAY_START, startDay: env.SIM_START_DAY, seed: 7, startingCash: 100_000, extraEnv: { LOG_DIR: path.join(temp.dir, 'sim-logs') } });
    for (const app of ['exit-manager', 'day-trader'] as const) bots.push(startBot(app, env));
    await Promise.all(bots.map((b) => b.ready));

    expect(fs.statfsSync(logDir).bavail).toBe(0);
    const fullAt = Date.now();
    // Trading goes on: entries are sent after the disk filled up, and every position is protected at the broker.
    const state = await waitUntil(async () => {
      const s = await gateway!.admin<SimState>('GET /state');
      return s.orders.some((o) => o.clientId === 11 && (o.createdRealMs ?? 0) > fullAt) ? s : undefined;
    }, 30_000, 'an entry sent with the log disk full');
    await waitUntil(async () => {
      const s = await gateway!.admin<SimState>('GET /state');
      return s.positions.filter((p) => p.quantity !== 0).every((p) => s.orders.some((o) => o.clientId === 12 && o.symbol === p.symbol && o.orderRef.includes(':SL:') && (o.status === 'Submitted' || o.status === 'PreSubmitted')));
    }, 10_000, 'positions protected');
    expect(state.positions.length).toBeGreaterThan(0);
    for (const bot of bots) {
      expect(bot.child.exitCode).toBeNull();
      expect(Date.now() - heartbeat(env.DB_PATH!, bot.app)!.beat_at_ms).toBeLessThan(2_500);
    }
    // And the operator is told, on stderr (PM2's error log), once a minute at most.
    for (const bot of bots) {
      await waitUntil(() => /log write failed/.test(bot.stderr()), 10_000, `${bot.app} says on stderr that the log cannot be written`);
      expect(bot.stderr()).toMatch(new RegExp(`\\[${bot.app}\\] log write failed \\(.*ENOSPC.*\\); trading continues, free disk space in ${logDir.replace(/[/.]/g, '\\$&')}`));
      expect(bot.stderr().match(/log write failed/g)).toHaveLength(1);
    }
    // Space freed: each log resumes by itself (no restart) and says how many lines it could not write.
    fs.rmSync(path.join(logDir, 'filler'));
    for (const bot of bots) {
      const notice = await waitUntil(() => bot.log().find((l) => l.event === 'log_lines_dropped'), 20_000, `${bot.app} writes its log again`);
      expect(Number(notice.count)).toBeGreaterThan(0);
    }
  }, 120_000);
});

/** Appends to `file` until the file system says ENOSPC. */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(1024));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
}
