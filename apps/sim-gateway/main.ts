import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { AddressInfo } from 'node:net';
import { runApp } from '../../shared/process/run-app';
import { createAdminServer } from './admin/admin-server';
import { SimGateway } from './gateway';
import { createReplayMarket, createSyntheticMarket } from './market';
import { realismFor } from './realism/realism-settings';
import { SHARE_CLASS_SYMBOL } from './realism/foreign-holdings';
import { ShareClassMarket } from './realism/share-class-market';

/**
 * sim-gateway: a simulated IB Gateway for SIM mode and tests.
 *   npm run sim-gateway -- --port 4300 [--seed 42] [--speed 60] [--state-dir data/sim] [--admin-port 4301]
 * Flags win over the environment (IB_PORT, SIM_SEED, SIM_SPEED, SIM_STATE_DIR, SIM_ADMIN_PORT, ...).
 */
const argv = yargs(hideBin(process.argv))
  .scriptName('sim-gateway')
  .option('port', { type: 'number', describe: 'TWS API port on 127.0.0.1 (0 = any free port)' })
  .option('admin-port', { type: 'number', describe: 'fault-control HTTP port on 127.0.0.1 (0 = any free port)' })
  .option('seed', { type: 'number', describe: 'market seed: same seed, same market' })
  .option('speed', { type: 'number', describe: 'market seconds per real second (1 = real time)' })
  .option('state-dir', { type: 'string', describe: 'folder of the simulated account state' })
  .option('market', { choices: ['synthetic', 'replay'] as const, describe: 'seeded model or CSV replay' })
  .option('replay-dir', { type: 'string', describe: 'folder of <SYMBOL>.csv minute bars' })
  .option('universe-size', { type: 'number', describe: 'number of symbols' })
  .option('starting-cash', { type: 'number', default: 100_000, describe: 'cash of a new simulated account (USD)' })
  .option('profile', { choices: ['realistic', 'ideal'] as const, describe: 'realistic (like a real IB Gateway) or ideal (tidy, for latency benchmarks)' })
  .strict()
  .parseSync();

const overrides: Record<string, unknown> = {};
if (argv.port !== undefined) overrides['ib.port'] = argv.port;
if (argv['admin-port'] !== undefined) overrides['sim.adminPort'] = argv['admin-port'];
if (argv.seed !== undefined) overrides['sim.seed'] = argv.seed;
if (argv.speed !== undefined) overrides['sim.speed'] = argv.speed;
if (argv['state-dir'] !== undefined) overrides['paths.simState'] = argv['state-dir'];
if (argv.market !== undefined) overrides['sim.market'] = argv.market;
if (argv['replay-dir'] !== undefined) overrides['sim.replayDir'] = argv['replay-dir'];
if (argv['universe-size'] !== undefined) overrides['sim.universeSize'] = argv['universe-size'];
if (argv.profile !== undefined) overrides['sim.profile'] = argv.profile;

runApp({
  app: 'sim-gateway',
  useDatabase: false,
  configOverrides: overrides,
  main: async (ctx) => {
    const { config, log, clock } = ctx;
    const market = config.sim.market === 'replay'
      ? createReplayMarket({ dir: config.sim.replayDir!, seed: config.sim.seed, universeSize: config.sim.universeSize })
      : createSyntheticMarket({ seed: config.sim.seed, universeSize: config.sim.universeSize });
    const accountId = `DU${String(1_000_000 + (config.sim.seed % 9_000_000)).padStart(7, '0')}`;
    const realism = realismFor(config.sim.profile, { marketData: config.sim.marketData, foreignHoldings: config.sim.foreignHoldings });
    // The realistic account holds a share-class symbol with a space, which the market must then list.
    const model = realism.foreignHoldings ? new ShareClassMarket(market, SHARE_CLASS_SYMBOL, market.universe[market.universe.length - 1]!.symbol) : market;
    const gateway = new SimGateway({
      host: '127.0.0.1', port: config.ib.port, stateDir: config.paths.simState, accountId, startingCash: argv['starting-cash'],
      model, clock, log, speed: clock.speed, realism, realismSeed: config.sim.seed,
    });
    const port = await gateway.start();
    const admin = createAdminServer(gateway, log);
    await new Promise<void>((resolve, reject) => {
      admin.once('error', reject);
      admin.listen(config.sim.adminPort, '127.0.0.1', () => resolve());
    });
    const adminPort = (admin.address() as AddressInfo).port;
    ctx.onShutdown('admin', () => new Promise<void>((resolve) => admin.close(() => resolve())), 0);
    ctx.onShutdown('gateway', () => gateway.stop(), 10);
    log.info('listening', {
      port, adminPort, accountId, stateDir: config.paths.simState, symbols: model.universe.length, clock: clock.description, seed: config.sim.seed,
      profile: realism.profile, marketData: realism.marketData, foreignHoldings: realism.foreignHoldings,
    });
  },
});
