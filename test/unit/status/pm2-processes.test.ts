import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pm2HomeFrom, readPm2Processes, toProcessInfo } from '../../../scripts/status/pm2-processes';
import { makeTempDir } from '../../helpers/temp-dir';

describe('PM2 process list', () => {
  it('resolves PM2_HOME as pm2 does', () => {
    expect(pm2HomeFrom({ PM2_HOME: '/srv/pm2' })).toBe('/srv/pm2');
    expect(pm2HomeFrom({})).toBe(path.join(os.homedir(), '.pm2'));
  });

  it('maps pm2 descriptions: uptime, pid and memory only while online', () => {
    const now = 1_000_000;
    expect(toProcessInfo({ name: 'exit-manager', pid: 42, pm_id: 1, monit: { memory: 1024, cpu: 1 }, pm2_env: { status: 'online', pm_uptime: now - 5_000, restart_time: 3 } }, now))
      .toEqual({ name: 'exit-manager', status: 'online', pid: 42, uptimeMs: 5_000, restarts: 3, memoryBytes: 1024 });
    expect(toProcessInfo({ name: 'day-trader', pid: 0, pm_id: 2, monit: { memory: 0, cpu: 0 }, pm2_env: { status: 'stopped', pm_uptime: now - 9_000, restart_time: 0 } }, now))
      .toEqual({ name: 'day-trader', status: 'stopped', pid: null, uptimeMs: null, restarts: 0, memoryBytes: null });
  });

  describe('without a daemon it never loads pm2 nor creates anything', () => {
    const temp = makeTempDir('pm2-probe');
    const saved = process.env.PM2_HOME;
    afterEach(() => {
      if (saved === undefined) delete process.env.PM2_HOME;
      else process.env.PM2_HOME = saved;
    });
    afterAll(() => temp.cleanup());

    it('reports not_running for a PM2_HOME that does not exist', async () => {
      process.env.PM2_HOME = path.join(temp.dir, 'absent');
      expect(await readPm2Processes(1_000)).toEqual({ daemon: 'not_running', pm2Home: path.join(temp.dir, 'absent') });
      expect(fs.existsSync(path.join(temp.dir, 'absent'))).toBe(false);
    });

    it('reports not_running for the socket a killed daemon left behind (nobody listens on it)', async () => {
      const home = path.join(temp.dir, 'stale');
      fs.mkdirSync(home);
      const socketPath = path.join(home, 'rpc.sock');
      // A process that listens on the socket and dies by SIGKILL, as a `kill -9`ed daemon does: the file stays.
      const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      expect(fs.statSync(socketPath).isSocket()).toBe(true);
      process.env.PM2_HOME = home;
      expect(await readPm2Processes(1_000)).toEqual({ daemon: 'not_running', pm2Home: home });
      expect(fs.readdirSync(home)).toEqual(['rpc.sock']);
    });
  });
});
