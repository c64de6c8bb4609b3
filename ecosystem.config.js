/**
 * PM2 process file. Every app runs compiled JS from dist/ (npm run build), signals readiness itself
 * (wait_ready: PM2 says "online" ~200 ms before our code runs), and has a kill_timeout longer than its
 * graceful shutdown (SHUTDOWN_GRACE_MS, 4 s). The exit manager restarts with no delay; the others back off.
 * sim-gateway runs only in SIM mode. Paths and ports come from the environment (see README, Configuration),
 * so two systems can run side by side with different PM2_HOME, DB_PATH, LOG_DIR and ports.
 */
const path = require('path');

const root = __dirname;

/**
 * Mode and log folder as the apps will see them: the environment, ENV_FILE and CONFIG_FILE through the
 * compiled config loader (a MODE=PAPER kept in an env file must not start the simulator). Before a build, or
 * with a configuration the apps will refuse anyway (npm start reports it), the environment alone.
 */
function resolvedConfig() {
  try {
    return require(path.join(root, 'dist', 'shared', 'config', 'load-config.js')).loadConfig();
  } catch {
    return undefined;
  }
}
const config = resolvedConfig();
const mode = config ? config.mode : (process.env.MODE || 'SIM').toUpperCase();
const logDir = config ? config.paths.logs : path.resolve(root, process.env.LOG_DIR || 'logs');

function app(name, overrides = {}) {
  return {
    name,
    script: path.join(root, 'dist', 'apps', name, 'main.js'),
    cwd: root,
    exec_mode: 'fork',
    instances: 1,
    autorestart: true,
    wait_ready: true,
    listen_timeout: 30000,
    kill_timeout: 6000,
    // Exponential back-off from 50 ms (PM2 multiplies it by 1.5 per consecutive crash, up to 15 s, and resets
    // after 30 s up): one SIGKILL costs a fraction of a second, even five in a row stay under a second, and a
    // real crash loop still backs off.
    restart_delay: 0,
    exp_backoff_restart_delay: 50,
    // Bad configuration (exit 78) is not fixed by restarting: PM2 stops and the log says what to fix.
    stop_exit_codes: [78],
    max_memory_restart: '250M',
    // Small young generation and heap: the bots keep little in memory (the DB holds the state), and a
    // smaller heap is collected sooner, which keeps each bot's RSS near 100 MB instead of growing to 150.
    node_args: ['--max-old-space-size=128', '--max-semi-space-size=2'],
    // A restart is the exit manager's time without protection: PM2's own wrapper would first load its metrics
    // agent (@pm2/io, ~30 ms; pm2 status and monit still show CPU and memory without it) and parse a source
    // map for every module it loads (~10 ms). Stack traces then name lines of dist/ (tsc's output is close to
    // the source).
    pmx: false,
    disable_source_map_support: true,
    out_file: path.join(logDir, `pm2-${name}.out.log`),
    error_file: path.join(logDir, `pm2-${name}.err.log`),
    merge_logs: true,
    time: true,
    env: { NODE_ENV: 'production' },
    ...overrides,
  };
}

module.exports = {
  apps: [
    ...(mode === 'SIM' ? [app('sim-gateway', { max_memory_restart: '500M', node_args: ['--max-old-space-size=384'] })] : []),
    // The exit manager first and with no restart delay: it owns the protection of open positions.
    // NODE_EXTRA_CA_CERTS cleared for it alone: Node parses that file's certificates at every start, before any
    // of our code (~50 ms measured where it is set), and the exit manager never opens a TLS connection (the
    // gateway and SQLite only; alerts leave through the notifier, which keeps the variable).
    app('exit-manager', { restart_delay: 0, exp_backoff_restart_delay: undefined, env: { NODE_ENV: 'production', NODE_EXTRA_CA_CERTS: '' } }),
    app('day-trader'),
    app('reconciler'),
    app('supervisor'),
    // Read-only web view, JSON API, SSE and Prometheus /metrics (DASHBOARD_PORT, 8501). Bigger heap than the
    // bots: the performance page computes every metric over the whole trade history (100,000 trades).
    app('dashboard', { max_memory_restart: '400M', node_args: ['--max-old-space-size=256', '--max-semi-space-size=4'] }),
    // Delivers the alerts outbox (e-mail, Slack, webhook); trading never waits for it.
    app('notifier'),
  ],
};
