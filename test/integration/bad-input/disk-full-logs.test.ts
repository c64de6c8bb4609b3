import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../../helpers/sim-gateway-process';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';
import { heartbeat, startBot, systemEnv, type BotProcess } from './bot-process';

interface SimState {
  orders: Array<{ clientId: number; orderRef: string; symbol: string; status: string; createdRealMs?: number }>;
  executions: Array<{ clientId: number; symbol: string }>;
  positions: Array<{ symbol: string; quantity: number }>;
}

/** Positions the bots opened: the realistic account also holds stocks bought outside the API, not theirs to protect. */
const botPositions = (s: SimState) => s.positions.filter((p) => p.quantity !== 0 && s.executions.some((e) => e.clientId === 11 && e.symbol === p.symbol));

/**
 * Why a tmpfs cannot be mounted here (not root, no CAP_SYS_ADMIN, no `mount`), or undefined when it can:
 * decided while the tests are collected, by mounting and unmounting one, so the test is either run with
 * all its assertions or reported as skipped with the reason, never green without having run.
 */
function whyNoTmpfs(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs (run as root with CAP_SYS_ADMIN to include it)';
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'ibdt-tmpfs-probe-'));
  try {
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { encoding: 'utf8' });
    if (result.status !== 0) return `\`mount -t tmpfs\` is not permitted here (${(result.stderr || result.error?.message || `exit ${result.status}`).replace(/\s+/g, ' ').trim()}); needs CAP_SYS_ADMIN`;
    spawnSync('umount', [probe]);
    return undefined;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const noTmpfs = whyNoTmpfs();
if (noTmpfs) process.stdout.write(`SKIPPED "the log disk full" (test/integration/bad-input/disk-full-logs.test.ts): ${noTmpfs}\n`);
const describeWithTmpfs = noTmpfs ? describe.skip : describe;

/**
 * The log disk full: LOG_DIR on a 64 KiB tmpfs, filled up. Logging is not trading: the bots must keep
 * trading and protecting, and say on stderr (at most once a minute) that the log cannot be written.
 * Needs `mount -t tmpfs` (root with CAP_SYS_ADMIN); skipped, with the reason, where that is not permitted.
 */
describeWithTmpfs(noTmpfs ? `the log disk full (skipped: ${noTmpfs})` : 'the log disk full', () => {
  const temp = makeTempDir('bad-disk-full');
  const logDir = path.join(temp.dir, 'logs');
  const bots: BotProcess[] = [];
  let gateway: SimGatewayProcess | undefined;
  let mounted = false;

  beforeAll(() => {
    fs.mkdirSync(logDir, { recursive: true });
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', logDir], { encoding: 'utf8' });
    // The probe above mounted one: failing now is a failure, not a reason to skip.
    if (result.status !== 0) throw new Error(`mount -t tmpfs on ${logDir} failed: ${(result.stderr || result.error?.message || '').trim()}`);
    mounted = true;
  });

  afterAll(async () => {
    for (const bot of bots) await bot.stop();
    await gateway?.kill();
    if (mounted) spawnSync('umount', [logDir]);
    temp.cleanup();
  });

  it('keeps trading and protecting, and says once on stderr that the log cannot be written', async () => {
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
    await waitUntil(async () => {
      const s = await gateway!.admin<SimState>('GET /state');
      return s.orders.some((o) => o.clientId === 11 && (o.createdRealMs ?? 0) > fullAt) && botPositions(s).length > 0;
    }, 60_000, 'an entry sent and filled with the log disk full');
    await waitUntil(async () => {
      const s = await gateway!.admin<SimState>('GET /state');
      return botPositions(s).every((p) => s.orders.some((o) => o.clientId === 12 && o.symbol === p.symbol && o.orderRef.includes(':SL:') && (o.status === 'Submitted' || o.status === 'PreSubmitted')));
    }, 30_000, 'positions protected');
    // Both still running and still beating: a heartbeat row written after the entry above.
    const afterEntryMs = Date.now();
    for (const bot of bots) {
      expect(bot.child.exitCode).toBeNull();
      await waitUntil(() => (heartbeat(env.DB_PATH!, bot.app)?.beat_at_ms ?? 0) > afterEntryMs, 20_000, `${bot.app} beats with the log disk full`);
    }
    // And the operator is told, on stderr (PM2's error log), once a minute at most.
    for (const bot of bots) {
      await waitUntil(() => /log write failed/.test(bot.stderr()), 20_000, `${bot.app} says on stderr that the log cannot be written`);
      expect(bot.stderr()).toMatch(new RegExp(`\\[${bot.app}\\] log write failed \\(.*ENOSPC.*\\); trading continues, free disk space in ${logDir.replace(/[/.]/g, '\\$&')}`));
      expect(bot.stderr().match(/log write failed/g)).toHaveLength(1);
    }
    // Space freed: each log resumes by itself (no restart) and says how many lines it could not write.
    fs.rmSync(path.join(logDir, 'filler'));
    for (const bot of bots) {
      const notice = await waitUntil(() => bot.log().find((l) => l.event === 'log_lines_dropped'), 30_000, `${bot.app} writes its log again`);
      expect(Number(notice.count)).toBeGreaterThan(0);
      expect(bot.child.exitCode).toBeNull();
    }
  }, 180_000);
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
