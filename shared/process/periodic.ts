import type { Logger } from '../log/logger';
import { errorMessage } from '../errors/errors';

export interface PeriodicTask {
  stop(): void;
  /** Run now (still never overlapping a run in progress). */
  trigger(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs` (real), never two runs at once, errors logged and the loop kept alive.
 * `intervalMs` may be a function so compressed-clock intervals follow the configured market seconds.
 */
export function runPeriodically(name: string, intervalMs: number | (() => number), task: () => Promise<void> | void, log: Logger, options: { runImmediately?: boolean } = {}): PeriodicTask {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const delay = () => (typeof intervalMs === 'function' ? intervalMs() : intervalMs);

  const runOnce = async (): Promise<void> => {
    if (running) return running;
    running = (async () => {
      try {
        await task();
      } catch (error) {
        log.error('periodic_task_failed', { task: name, error: errorMessage(error), stack: (error as Error)?.stack });
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(async () => {
      await runOnce();
      schedule();
    }, delay());
  };
  if (options.runImmediately) void runOnce().then(schedule);
  else schedule();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    trigger: runOnce,
  };
}
