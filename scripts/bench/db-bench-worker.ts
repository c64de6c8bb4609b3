/** One competing process of bench:db: claims (and releases) symbols as fast as it can for a fixed time. */
import { ManualClock } from '../../shared/time/clock';
import { newYorkTime } from '../../shared/time/trading-calendar';
import { ActivePositionsRepository, isBusyError, openDatabase } from '../../shared/db';

const [dbPath, durationMsText, workerId] = process.argv.slice(2);
// As the bots open it: checkpoints on a worker thread, not inside the claim that crosses the threshold.
const db = openDatabase(dbPath!, { busyTimeoutMs: 10_000, deferCheckpoints: true });
const clock = new ManualClock(newYorkTime('2026-11-23', '10:00'));
const positions = new ActivePositionsRepository(db, clock);
const symbols = Array.from({ length: 200 }, (_, i) => `B${i}`);

process.on('message', () => {
  const deadline = performance.now() + Number(durationMsText);
  let claims = 0;
  let busy = 0;
  // Each claim's own time (µs): the throughput alone hides a claim that waited long for the lock.
  const claimMicros: number[] = [];
  let i = Number(workerId) * 37;
  while (performance.now() < deadline) {
    const symbol = symbols[i++ % symbols.length]!;
    try {
      const start = performance.now();
      const result = positions.claimSymbol({ symbol, tradingDay: '2026-11-23', agentName: 'bench', maxOpenPositions: 1_000 });
      claimMicros.push((performance.now() - start) * 1_000);
      claims += 1;
      if (result.ok) positions.releaseClaim(result.position.id);
    } catch (error) {
      if (isBusyError(error)) busy += 1;
      else throw error;
    }
  }
  db.close();
  process.send!({ claims, busy, claimMicros }, () => process.exit(0));
});
process.send!('ready');
