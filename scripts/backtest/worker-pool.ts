import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../../shared/config/project-root';
import { PointRunner, type PointResult, type PointTask, type SearchJob } from './point-runner';

/** The worker script: next to this file when compiled, else the build's (tests run the TypeScript). */
function workerScript(): string {
  const beside = path.join(__dirname, 'optimize-worker.js');
  if (fs.existsSync(beside)) return beside;
  const built = path.join(projectRoot(), 'dist', 'scripts', 'backtest', 'optimize-worker.js');
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
  return built;
}

export function defaultWorkers(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/**
 * Runs tasks on `workers` threads (each with its own store connection), as soon as one is free; results come
 * back in completion order through `onResult` and are returned in task order. One worker runs in this thread.
 */
export async function runPoints(job: SearchJob, tasks: readonly PointTask[], workers: number, onResult?: (result: PointResult, done: number) => void): Promise<PointResult[]> {
  const results = new Map<number, PointResult>();
  if (workers <= 1 || tasks.length <= 1) {
    const runner = new PointRunner(job);
    try {
      for (const task of tasks) {
        const result = runner.run(task);
        results.set(task.id, result);
        onResult?.(result, results.size);
      }
    } finally {
      runner.close();
    }
    return tasks.map((t) => results.get(t.id)!);
  }
  const script = workerScript();
  const queue = [...tasks];
  await Promise.all(Array.from({ length: Math.min(workers, tasks.length) }, () => new Promise<void>((resolve, reject) => {
    const worker = new Worker(script, { workerData: job });
    const next = () => {
      const task = queue.shift();
      if (task) worker.postMessage(task);
      else void worker.terminate().then(() => resolve());
    };
    worker.on('message', (result: PointResult) => {
      results.set(result.id, result);
      onResult?.(result, results.size);
      next();
    });
    worker.on('error', reject);
    next();
  })));
  return tasks.map((t) => results.get(t.id)!);
}
