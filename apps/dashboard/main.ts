import { ConfigError, errorMessage } from '../../shared/errors/errors';
import { runApp } from '../../shared/process/run-app';
import { bindProblem } from './server/auth';
import { DashboardServer } from './server/dashboard-server';
import { createServices } from './services';

/**
 * dashboard: the operator's web view of the whole system (pages, JSON API, Server-Sent Events, Prometheus
 * /metrics) on DASHBOARD_HOST:DASHBOARD_PORT (127.0.0.1:8501). It opens the shared DB READ-ONLY and never
 * writes trading state; it has no heartbeat row (that would be a write) and PM2 watches it. It works with
 * every other process down, without a DB yet, and while another process holds the DB's write lock.
 */
runApp({
  app: 'dashboard',
  useDatabase: false,
  main: async (ctx) => {
    const { config, log } = ctx;
    const problem = bindProblem(config.dashboard.host, config.dashboard.token);
    if (problem) throw new ConfigError([problem]);
    const services = createServices(config, log);
    const server = new DashboardServer(services);
    try {
      const address = await server.listen();
      log.info('dashboard_listening', { url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/`, tokenRequired: config.dashboard.token !== undefined, brokerLink: config.dashboard.brokerLink });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        // Not fixed by restarting (exit 78: PM2 leaves it stopped): another program has the port, or the address is not ours.
        throw new ConfigError([`the dashboard cannot listen on ${config.dashboard.host}:${config.dashboard.port} (${code}): ${code === 'EADDRINUSE' ? 'another process uses that port; set DASHBOARD_PORT to a free one' : errorMessage(error)}`]);
      }
      throw error;
    }
    services.broker.start();
    setTimeout(() => server.warmUp(), 3_000).unref();
    ctx.onShutdown('http', () => server.close(), 0);
    ctx.onShutdown('broker', () => services.broker.stop(), 50);
    ctx.onShutdown('db', () => services.db.close(), 60);
  },
});
