import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ParentCommand, WorkerReply } from './messages';

/** The parent's handle on one client process: send commands, await typed replies. */
export class BenchClient {
  private readonly replies: WorkerReply[] = [];
  private waiter: (() => void) | undefined;
  exited = false;

  constructor(readonly clientId: number, readonly child: ChildProcess) {
    child.on('message', (message: WorkerReply) => {
      this.replies.push(message);
      this.waiter?.();
    });
    child.on('exit', () => {
      this.exited = true;
      this.waiter?.();
    });
  }

  send(command: ParentCommand): void {
    this.child.send(command);
  }

  /** Asks the client to disconnect and exit; kills it if it has not within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send({ kind: 'stop' } satisfies ParentCommand);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async next<K extends WorkerReply['kind']>(kind: K, timeoutMs: number): Promise<Extract<WorkerReply, { kind: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.replies.shift();
      if (reply?.kind === 'failed') throw new Error(`client ${this.clientId} failed: ${reply.error}`);
      if (reply?.kind === kind) return reply as Extract<WorkerReply, { kind: K }>;
      if (reply) continue;
      if (this.exited) throw new Error(`client ${this.clientId} exited before answering ${kind}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`client ${this.clientId}: no ${kind} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }
}

/** Forks the compiled client-worker (it lives next to this file in dist/). */
export function startBenchClient(clientId: number): BenchClient {
  return new BenchClient(clientId, fork(path.join(__dirname, 'client-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
}
