/** npm stop: deletes this system's apps from PM2 (graceful: each app gets its shutdown grace first). */
import { errorMessage } from '../shared/errors/errors';
import { SYSTEM_APPS, connectPm2, listSystem, pm2, pm2Call } from './pm2-control';

async function main(): Promise<number> {
  try {
    await connectPm2(false);
  } catch {
    console.log('PM2 is not running: nothing to stop.');
    return 0;
  }
  const present = (await listSystem()).map((p) => p.name!);
  // Supervisor first, so it does not restart what we are stopping; the exit manager last (the dashboard only reads).
  // The notifier after the bots, so the alerts of their last moments still go out.
  const order = ['supervisor', 'dashboard', 'day-trader', 'reconciler', 'exit-manager', 'notifier', 'sim-gateway'].filter((n) => present.includes(n));
  for (const name of order) {
    await pm2Call<unknown>((cb) => pm2.delete(name, cb as (error: Error | null) => void));
    console.log(`stopped ${name}`);
  }
  if (order.length === 0) console.log(`None of ${SYSTEM_APPS.join(', ')} is running.`);
  pm2.disconnect();
  return 0;
}

main().then((code) => process.exit(code), (error) => {
  console.error(`npm stop failed: ${errorMessage(error)}`);
  process.exit(1);
});
