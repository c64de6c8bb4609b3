import { parentPort, workerData } from 'node:worker_threads';
import { PointRunner, type PointTask, type SearchJob } from './point-runner';

/** A worker thread of `npm run backtest -- optimize`: runs the points it is sent, one at a time. */
const runner = new PointRunner(workerData as SearchJob);
parentPort!.on('message', (message: PointTask | 'stop') => {
  if (message === 'stop') {
    runner.close();
    parentPort!.close();
    return;
  }
  parentPort!.postMessage(runner.run(message));
});
