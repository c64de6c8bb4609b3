import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { freePort } from '../helpers/ports';
import { startSimGateway, type SimGatewayProcess } from '../helpers/sim-gateway-process';
import { PROJECT_ROOT, distFile, makeTempDir } from '../helpers/temp-dir';
import { testEnv } from '../helpers/test-env';
import { waitUntil } from '../helpers/wait-until';

const PM2_BIN = path.join(PROJECT_ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

/**
 * Start at boot, for real but enabling nothing on this machine: in a private mount namespace (unshare) with a
 * tmpfs over /etc/systemd/system and a `systemctl` that only records its arguments, `npm run boot` runs the
 * real `pm2 save` and `pm2 startup systemd` for a temporary HOME. Then the boot itself: PM2 killed, and the
 * unit's ExecStart run with nothing but the unit's Environment= lines, as systemd would. The configuration
 * (PAPER mode, the gateway's port, every path) is only in ENV_FILE outside the repository; the system must
 * come back from it, without the simulator (PAPER), linked to the gateway the file names.
 */
const why = (() => {
  if (process.getuid?.() !== 0) return 'not root (pm2 startup writes /etc/systemd/system)';
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /etc/systemd/system'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `unshare --mount with a tmpfs over /etc/systemd/system failed: ${(probe.stderr || probe.error?.message || '').trim()}`;
})();
if (why) process.stderr.write(`SKIPPED "start at boot": ${why}\n`);

(why ? describe.skip : describe)(`start at boot with pm2 startup + pm2 save${why ? ` (skipped: ${why})` : ''}`, () => {
  const temp = makeTempDir('boot');
  const home = path.join(temp.dir, 'home');
  const pm2Home = path.join(home, '.pm2');
  let sim: SimGatewayProcess | undefined;
  const pm2 = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, [PM2_BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });

  afterAll(async () => {
    if (fs.existsSync(path.join(pm2Home, 'pm2.pid'))) pm2(['kill'], testEnv({ HOME: home, PM2_HOME: pm2Home }));
    await sim?.stop();
    temp.cleanup();
  }, 60_000);

  it('writes the systemd unit PM2 generates, saves the apps with ENV_FILE, and the unit\'s command brings the PAPER system back from that file', async () => {
    sim = await startSimGateway({ dir: path.join(temp.dir, 'gateway') });
    const data = path.join(home, 'trading');
    const envFile = path.join(home, '.config', 'ib-daytrader', 'env');
    fs.mkdirSync(path.dirname(envFile), { recursive: true });
    fs.writeFileSync(envFile, [
      '# the server\'s configuration, outside the repository',
      'MODE=PAPER', 'IB_HOST=127.0.0.1', `IB_PORT=${sim.port}`,
      `DB_PATH=${path.join(data, 'trading.db')}`, `LOG_DIR=${path.join(data, 'logs')}`, `REPORTS_DIR=${path.join(data, 'reports')}`, `BACKUP_DIR=${path.join(data, 'backups')}`,
      `DASHBOARD_PORT=${await freePort()}`, 'LOG_CONSOLE=false', 'CLOCK_CHECK_INTERVAL_S=0', '',
    ].join('\n'), { mode: 0o600 });
    const env = testEnv({ HOME: home, PM2_HOME: pm2Home, ENV_FILE: envFile });

    const started = spawnSync(process.execPath, [distFile('scripts/start.ts')], { env, encoding: 'utf8', timeout: 180_000 });
    expect(started.stdout).toContain(`PAPER mode: the simulator is not started. The bots connect to IB Gateway/TWS at 127.0.0.1:${sim.port}`);
    expect(started.status).toBe(0);
    const names = () => JSON.parse(pm2(['jlist'], env).stdout.replace(/^[^[]*/, '')).map((p: { name: string }) => p.name).sort();
    expect(names()).not.toContain('sim-gateway');
    expect(names()).toEqual(expect.arrayContaining(['day-trader', 'exit-manager', 'reconciler', 'supervisor']));

    // npm run boot in a mount namespace of its own: /etc/systemd/system is a tmpfs there, systemctl a recorder.
    const stubDir = path.join(temp.dir, 'stub');
    fs.mkdirSync(stubDir);
    const calls = path.join(temp.dir, 'systemctl-calls');
    fs.writeFileSync(path.join(stubDir, 'systemctl'), `#!/bin/sh\necho "$@" >> ${calls}\n`, { mode: 0o755 });
    const unitCopy = path.join(temp.dir, 'ib-daytrader.service');
    const boot = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      `mount -t tmpfs tmpfs /etc/systemd/system && "${process.execPath}" "${distFile('scripts/boot.ts')}" --user root; code=$?; cp /etc/systemd/system/ib-daytrader.service "${unitCopy}"; exit $code`,
    ], { env: { ...env, PATH: `${stubDir}:${env.PATH}` }, encoding: 'utf8', timeout: 120_000 });
    expect(boot.stderr).toBe('');
    expect(boot.status).toBe(0);
    expect(fs.existsSync('/etc/systemd/system/ib-daytrader.service')).toBe(false); // nothing written on this machine
    expect(fs.readFileSync(calls, 'utf8').trim()).toBe('enable ib-daytrader');
    const unit = fs.readFileSync(unitCopy, 'utf8');
    expect(unit).toMatch(/^User=root$/m);
    expect(unit).toContain(`Environment=PM2_HOME=${pm2Home}`);
    expect(unit).toMatch(new RegExp(`^ExecStart=${PM2_BIN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} resurrect$`, 'm'));
    expect(unit).toMatch(new RegExp(`^Environment=PATH=.*${path.dirname(process.execPath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    const dump = JSON.parse(fs.readFileSync(path.join(pm2Home, 'dump.pm2'), 'utf8')) as Array<{ name: string; ENV_FILE?: string; env?: Record<string, string> }>;
    expect(dump.map((a) => a.name).sort()).toEqual(names());
    expect(dump.every((a) => (a.ENV_FILE ?? a.env?.ENV_FILE) === envFile)).toBe(true);

    // The reboot: PM2 gone, then the unit's ExecStart with only the unit's environment.
    expect(pm2(['kill'], env).status).toBe(0);
    const beforeBootMs = Date.now();
    const unitEnv = Object.fromEntries([...unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    const execStart = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ');
    const resurrect = spawnSync(execStart[0]!, execStart.slice(1), { env: { ...unitEnv, HOME: home }, encoding: 'utf8', timeout: 60_000 });
    expect(resurrect.status).toBe(0);
    const dbPath = path.join(data, 'trading.db');
    const ready = () => {
      const db = new Database(dbPath, { readonly: true });
      try {
        return db.prepare("SELECT app, broker_connected FROM heartbeats WHERE state = 'ready' AND beat_at_ms > ? AND started_at_ms > ?").all(Date.now() - 5_000, beforeBootMs) as Array<{ app: string; broker_connected: number | null }>;
      } finally {
        db.close();
      }
    };
    const back = await waitUntil(() => {
      const beats = ready();
      return ['day-trader', 'exit-manager', 'reconciler', 'supervisor'].every((app) => beats.some((b) => b.app === app)) ? beats : undefined;
    }, 90_000, 'every bot ready again after the resurrect');
    expect(back.filter((b) => ['day-trader', 'exit-manager', 'reconciler'].includes(b.app)).map((b) => [b.app, b.broker_connected]).sort()).toEqual([['day-trader', 1], ['exit-manager', 1], ['reconciler', 1]]);
    expect(names()).not.toContain('sim-gateway');
  }, 400_000);
});
