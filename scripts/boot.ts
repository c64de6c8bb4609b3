/**
 * npm run boot: makes the running system start at boot (systemd), the way PM2 does it: `pm2 save` (the
 * running apps, with their environment, into PM2_HOME/dump.pm2) and `pm2 startup systemd` (a unit that runs
 * `pm2 resurrect` as this user with this PM2_HOME). The configuration lives in ENV_FILE, a NAME=value file
 * OUTSIDE the repository; the saved apps carry only its path, and every process reads it at each start, so an
 * edit applies at the next restart (`npm stop && npm start`, then `npm run boot` again to save).
 *
 *   ENV_FILE=/home/trader/.config/ib-daytrader/env npm start
 *   ENV_FILE=/home/trader/.config/ib-daytrader/env npm run boot            # as root, or it prints the sudo line
 *   npm run boot -- --env-file /home/trader/.config/ib-daytrader/env --dry-run
 *
 * Exit codes: 0 done (or printed), 1 the system is not running as it would be saved, 78 bad configuration.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadConfig } from '../shared/config/load-config';
import { projectRoot } from '../shared/config/project-root';
import { ConfigError, errorMessage } from '../shared/errors/errors';

const SYSTEM_APPS = ['exit-manager', 'day-trader', 'reconciler', 'supervisor'];

function main(): number {
  const argv = yargs(hideBin(process.argv))
    .scriptName('boot')
    .option('env-file', { type: 'string', describe: 'the NAME=value configuration file outside the repository (default: $ENV_FILE)' })
    .option('user', { type: 'string', describe: 'the user the system runs as (default: this one)' })
    .option('service-name', { type: 'string', default: 'ib-daytrader', describe: 'the systemd unit name' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'check and print the commands, change nothing' })
    .strict()
    .parseSync();
  const envFileArg = argv['env-file'] ?? process.env.ENV_FILE;
  if (!envFileArg) return fail(78, 'no ENV_FILE: put the configuration (MODE, IB_ACCOUNT, IB_PORT, DB_PATH, LOG_DIR, BACKUP_DIR, ...) in a NAME=value file outside the repository and pass --env-file or set ENV_FILE');
  const envFile = path.resolve(envFileArg);
  const relative = path.relative(projectRoot(), envFile);
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) {
    return fail(78, `ENV_FILE ${envFile} is inside the repository ${projectRoot()}: keep it outside (a checkout or clean must not touch it, and secrets must not be one \`git add\` away), e.g. ~/.config/ib-daytrader/env`);
  }
  if (!fs.existsSync(envFile)) return fail(78, `ENV_FILE ${envFile} does not exist`);
  const mode = fs.statSync(envFile).mode & 0o777;
  if (mode & 0o077) console.log(`! ${envFile} is readable by others (mode ${mode.toString(8)}): chmod 600 ${envFile}`);
  let config;
  try {
    config = loadConfig({ env: { ...process.env, ENV_FILE: envFile } });
  } catch (error) {
    if (error instanceof ConfigError) return fail(78, `the configuration with ENV_FILE ${envFile} is invalid:\n${error.message}`);
    throw error;
  }
  const user = argv.user ?? os.userInfo().username;
  const pm2Home = path.resolve(process.env.PM2_HOME ?? path.join(os.homedir(), '.pm2'));
  if (path.basename(pm2Home) !== '.pm2') {
    // pm2 startup writes Environment=PM2_HOME=<--hp>/.pm2: any other PM2_HOME would resurrect an empty daemon.
    return fail(78, `PM2_HOME ${pm2Home} does not end in .pm2: pm2 startup can only point the unit at <home>/.pm2. Run the system with PM2_HOME=<its user's home>/.pm2 (the default)`);
  }
  const home = path.dirname(pm2Home);
  console.log(`${config.mode} mode, gateway ${config.ib.host}:${config.ib.port}${config.ib.account ? `, account ${config.ib.account}` : ''}; DB ${config.paths.db}; logs ${config.paths.logs}; backups ${config.paths.backups}`);
  console.log(`ENV_FILE ${envFile}; PM2_HOME ${pm2Home}; user ${user}`);

  const pm2Bin = path.join(projectRoot(), 'node_modules', 'pm2', 'bin', 'pm2');
  const pm2 = (args: string[]) => spawnSync(process.execPath, [pm2Bin, ...args], { env: { ...process.env, PM2_HOME: pm2Home }, encoding: 'utf8', timeout: 60_000 });
  if (!fs.existsSync(path.join(pm2Home, 'pm2.pid'))) return fail(1, `PM2 is not running in ${pm2Home}: start the system first (ENV_FILE=${envFile} npm start), then run this again`);
  const list = pm2(['jlist']);
  const start = list.stdout.indexOf('[');
  const apps = start >= 0 ? (JSON.parse(list.stdout.slice(start)) as Array<{ name: string; pm2_env: { status: string; ENV_FILE?: string; env?: Record<string, string> } }>) : [];
  const missing = SYSTEM_APPS.filter((name) => !apps.some((a) => a.name === name && a.pm2_env.status === 'online'));
  if (missing.length) return fail(1, `not running under PM2 (${pm2Home}): ${missing.join(', ')}. Start the system first: ENV_FILE=${envFile} npm start`);
  const withoutFile = apps.filter((a) => SYSTEM_APPS.includes(a.name) && (a.pm2_env.ENV_FILE ?? a.pm2_env.env?.ENV_FILE) !== envFile);
  if (withoutFile.length) {
    return fail(1, `${withoutFile.map((a) => a.name).join(', ')} were not started with ENV_FILE=${envFile}: the saved list would boot them with another configuration. npm stop, then ENV_FILE=${envFile} npm start, then this again`);
  }
  const startupArgs = ['startup', 'systemd', '-u', user, '--hp', home, '--service-name', argv['service-name']];
  if (argv['dry-run']) {
    console.log(`would run: pm2 save; pm2 ${startupArgs.join(' ')} (PM2_HOME=${pm2Home})`);
    return 0;
  }
  const save = pm2(['save', '--force']);
  if (save.status !== 0) return fail(1, `pm2 save failed:\n${save.stdout}${save.stderr}`);
  console.log(`saved: ${path.join(pm2Home, 'dump.pm2')} (${apps.length} apps; each reads ${envFile} when it starts)`);
  if (process.getuid?.() !== 0) {
    console.log(`Now, as root (pm2 writes /etc/systemd/system/${argv['service-name']}.service and enables it):`);
    console.log(`  sudo env PATH=$PATH:${path.dirname(process.execPath)} PM2_HOME=${pm2Home} ${pm2Bin} ${startupArgs.join(' ')}`);
    return 0;
  }
  const startup = pm2(startupArgs);
  process.stdout.write(startup.stdout);
  if (startup.status !== 0) return fail(1, `pm2 startup failed:\n${startup.stderr}`);
  const unit = path.join('/etc/systemd/system', `${argv['service-name']}.service`);
  const text = fs.existsSync(unit) ? fs.readFileSync(unit, 'utf8') : '';
  if (!text.includes(`PM2_HOME=${pm2Home}`) || !/ExecStart=.* resurrect/.test(text)) return fail(1, `${unit} does not start PM2_HOME ${pm2Home} with pm2 resurrect:\n${text}`);
  console.log(`${unit}: at boot, systemd runs \`pm2 resurrect\` as ${user} with PM2_HOME=${pm2Home}. Test it: sudo systemctl restart ${argv['service-name']}; npm run status`);
  return 0;
}

function fail(code: number, message: string): number {
  console.error(`boot: ${message}`);
  return code;
}

try {
  process.exit(main());
} catch (error) {
  console.error(`boot: ${errorMessage(error)}`);
  process.exit(1);
}
