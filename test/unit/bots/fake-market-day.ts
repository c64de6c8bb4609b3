import path from 'node:path';
import { FakeBroker } from '../../../shared/broker/fake/fake-broker';
import { createRepositories, openDatabase, type Db, type Repositories } from '../../../shared/db';
import { ManualClock } from '../../../shared/time/clock';
import { newYorkTime } from '../../../shared/time/trading-calendar';

/** The trading day the bots' unit tests play in, and the market time they start at. */
export const DAY = '2026-11-23';

/** Lets the fake broker's events (emitted on later turns of the event loop, as a socket does) arrive. */
export const flush = () => new Promise((resolve) => setImmediate(resolve));

export interface FakeMarketDay { db: Db; repos: Repositories; clock: ManualClock; broker: FakeBroker }

/**
 * A fresh world for one test: its own SQLite file, a market clock at `at` New York time (10:00) and a connected
 * fake broker with this client id (11 the day-trader, 12 the exit manager).
 */
export async function openFakeMarketDay(dir: string, file: string, options: { app: string; clientId: number; at?: string }): Promise<FakeMarketDay> {
  const db = openDatabase(path.join(dir, file));
  const clock = new ManualClock(newYorkTime(DAY, options.at ?? '10:00'));
  const repos = createRepositories(db, clock, options.app);
  const broker = new FakeBroker(clock, { clientId: options.clientId });
  await broker.connect();
  return { db, repos, clock, broker };
}

/** A position the day-trader opened: claim + entry fill booked + the shares at the broker. Returns its id. */
export function openBookedPosition(world: Pick<FakeMarketDay, 'repos' | 'broker' | 'clock'>, symbol: string, quantity: number, price: number): string {
  const { repos, broker, clock } = world;
  const claim = repos.positions.claimSymbol({ symbol, tradingDay: DAY, agentName: 'gap-momentum', maxOpenPositions: 10, requestedQuantity: quantity });
  if (!claim.ok) throw new Error(claim.reason);
  repos.ledger.recordEntryFill(claim.position.id, { execId: `0000e.${symbol}.000001.01`, symbol, side: 'BUY', quantity, price, commission: 1, executedAtMs: clock.now() });
  repos.ledger.recordEntryStatus(claim.position.id, quantity, false);
  broker.setPrice(symbol, price);
  broker.setPosition(symbol, broker.trueQuantity(symbol) + quantity, price);
  return claim.position.id;
}
