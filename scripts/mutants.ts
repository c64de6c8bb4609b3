/**
 * npm run test:mutants [-- --only claim,ioc] [--keep]
 *
 * Mutation check of the safety net: disables each money-critical guard in turn, in a throw-away copy of
 * the checkout, and runs the tests that should catch it. A guard whose removal no test notices is a guard
 * nobody protects: the table printed at the end must show "caught" for every one (exit 1 otherwise).
 * Not part of `npm test` (each mutant builds and runs tests: minutes).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { projectRoot } from '../shared/config/project-root';
import { cleanEnv } from './harness/clean-env';

interface Mutant {
  name: string;
  guard: string;
  file: string;
  /** Exact text to replace (must occur exactly once) and its replacement. */
  find: string;
  replace: string;
  /** Test files that should fail with the guard gone. */
  tests: string[];
}

const MUTANTS: Mutant[] = [
  {
    name: 'claim',
    guard: 'claimSymbol refuses a symbol closed earlier the same trading day (no re-entry)',
    file: 'shared/strategy/claim-rules.ts',
    find: "if (facts.closedToday) return 'CLOSED_TODAY';",
    replace: '',
    tests: ['test/db/repositories.test.ts', 'test/db/claim-race.test.ts'],
  },
  {
    name: 'exec-id',
    guard: 'every execution is booked once (duplicates and replays recognised by execution id)',
    file: 'shared/db/repositories/position-ledger.ts',
    find: "if (executionVersion(existing.exec_id) >= executionVersion(execution.execId)) return { status: 'duplicate' };",
    replace: '',
    tests: ['test/db/repositories.test.ts', 'test/db/ledger-broker-realism.test.ts', 'test/unit/bots/exit-manager.test.ts'],
  },
  {
    name: 'past-flat',
    guard: 'no closing order is sent that could take a position past flat',
    file: 'apps/exit-manager/sell-exposure.ts',
    find: 'if (after > Math.abs(held)) return',
    replace: 'if (after > Number.MAX_SAFE_INTEGER) return',
    tests: ['test/unit/bots/protection-plan.test.ts', 'test/unit/bots/exit-manager.test.ts'],
  },
  {
    name: 'snapshot-complete',
    guard: 'the exit manager acts only after complete snapshots of its orders and positions',
    file: 'apps/exit-manager/protection-manager.ts',
    find: 'if (!this.snapshotComplete) return;',
    replace: '',
    tests: ['test/unit/bots/exit-manager.test.ts'],
  },
  {
    name: 'high-water',
    guard: 'order ids never go at or below one used before, even when the gateway\'s go backwards',
    file: 'shared/db/repositories/order-id-high-water.ts',
    find: 'const id = Math.max(brokerNextValidId, last + 1);',
    replace: 'const id = brokerNextValidId; void last;',
    tests: ['test/db/repositories.test.ts', 'test/integration/ib-adapter-order-ids.test.ts'],
  },
  {
    name: 'entry-ioc',
    guard: 'no entry order keeps working after its first answer (a late fill would re-enter after the close)',
    file: 'apps/day-trader/entry-executor.ts',
    find: "side: 'BUY', quantity: input.quantity, type: 'LMT', limitPrice, tif: 'IOC' }",
    replace: "side: 'BUY', quantity: input.quantity, type: 'LMT', limitPrice, tif: 'DAY' }",
    tests: ['test/unit/bots/entry-executor.test.ts'],
  },
  {
    name: 'reported-fills',
    guard: 'our position counts fills the broker reported before their executions arrived',
    file: 'apps/exit-manager/held-quantity.ts',
    find: 'sold += Math.max(bookedByRef.get(ref) ?? 0, reportedExitFills.get(ref) ?? 0);',
    replace: 'sold += bookedByRef.get(ref) ?? 0;',
    tests: ['test/unit/bots/protection-plan.test.ts', 'test/unit/bots/exit-manager.test.ts'],
  },
  {
    name: 'no-modify-up',
    guard: 'protection grows by a new pair, never by enlarging an order the broker may have reduced',
    file: 'apps/exit-manager/protection-plan.ts',
    find: "    actions.push({ kind: 'place_pair', positionId: row.id, symbol, side: closingSide, quantity: target - covered, stopPrice, targetPrice });",
    replace: "    if (mine.length > 0) for (const order of mine) actions.push({ kind: 'reduce', order, totalQuantity: order.filled + target, reason: 'grow' });\n    else actions.push({ kind: 'place_pair', positionId: row.id, symbol, side: closingSide, quantity: target - covered, stopPrice, targetPrice });",
    tests: ['test/unit/bots/protection-plan.test.ts', 'test/unit/bots/exit-manager.test.ts'],
  },
  {
    name: 'halt',
    guard: 'the bots obey an active trading halt',
    file: 'apps/exit-manager/protection-manager.ts',
    find: 'return halt !== undefined;',
    replace: 'return false;',
    tests: ['test/unit/bots/exit-manager.test.ts'],
  },
  {
    name: 'foreign-ignore',
    guard: 'stock the bots did not buy is left alone by default',
    file: 'apps/exit-manager/protection-manager.ts',
    find: "if (policy === 'ignore') return false;",
    replace: '',
    tests: ['test/unit/bots/exit-manager.test.ts'],
  },
  {
    name: 'claim-kept-when-filled',
    guard: 'a partly filled entry keeps its claim when the broker cancels the rest',
    file: 'shared/db/repositories/active-positions-repository.ts',
    find: "AND quantity = 0 AND entry_booked = 0 AND entry_reported = 0 AND entry_working = 0",
    replace: 'AND 1 = 1',
    tests: ['test/unit/bots/entry-executor.test.ts', 'test/db/ledger-broker-realism.test.ts'],
  },
  {
    name: 'stale-report',
    guard: 'a position report older than our own last fill never shrinks protection (a silent gateway withholds it)',
    file: 'apps/exit-manager/broker-report-evidence.ts',
    find: 'return reportedAtMs >= changedAtMs + this.settleMs;',
    replace: 'return reportedAtMs >= changedAtMs + this.settleMs || reportedAtMs > Number.NEGATIVE_INFINITY;',
    tests: ['test/unit/bots/stale-position-report.test.ts'],
  },
  {
    name: 'target-after-stop',
    guard: 'the take-profit leaves only once the stop works unfilled (never a target beside a filled stop: past flat)',
    file: 'apps/exit-manager/protection-manager.ts',
    find: 'const state = await stopState.result;',
    replace: "const state: string = 'working'; void stopState.result;",
    tests: ['test/unit/bots/stop-through-market.test.ts'],
  },
  {
    name: 'con-id',
    guard: 'every protective order names the stock\'s conId (SMART alone is ambiguous for some symbols)',
    file: 'apps/exit-manager/protection-manager.ts',
    find: 'return row?.conId ?? (this.brokerPositions.get(symbol)?.conId || undefined);',
    replace: 'void row; void symbol; return undefined;',
    tests: ['test/unit/bots/ambiguous-symbol-protection.test.ts'],
  },
  {
    name: 'lock-breaker',
    guard: 'a DB lock held elsewhere costs a bot at most one busy timeout per interval, not one per write',
    file: 'shared/db/db-lock-breaker.ts',
    find: 'if (!failing) this.startFailingFast(nowMs);',
    replace: 'if (!failing && nowMs < 0) this.startFailingFast(nowMs);',
    tests: ['test/db/db-lock-breaker.test.ts', 'test/integration/db-lock-burst.test.ts'],
  },
  {
    name: 'lock-excused',
    guard: 'the supervisor does not kill a bot whose beat is late for a DB lock it can see',
    file: 'apps/supervisor/health.ts',
    find: 'if (ageMs <= withGraceMs) return { hung: false, lockWait: true,',
    replace: 'if (ageMs <= withGraceMs && false) return { hung: false, lockWait: true,',
    tests: ['test/unit/bots/supervisor-health.test.ts', 'test/unit/bots/supervisor.test.ts'],
  },
  {
    name: 'end-markers',
    guard: 'a late end marker of a timed-out request never completes the next one',
    file: 'shared/broker/ib/end-marker-sequence.ts',
    find: 'const collector = this.collectors.get(this.received);\n    if (!collector) return;',
    replace: 'const collector = this.collectors.get(this.received) ?? [...this.collectors.values()][0];\n    if (!collector) return;',
    tests: ['test/unit/broker/end-marker-sequence.test.ts'],
  },
];

function run(command: string, args: string[], cwd: string, timeoutMs = 600_000): { code: number; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: cleanEnv({ FORCE_COLOR: '0' }), timeout: timeoutMs, killSignal: 'SIGKILL' });
  const timedOut = result.error !== undefined && (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
  return { code: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}${timedOut ? `\nTests: killed after ${timeoutMs / 1000} s (the mutant made it run away)` : ''}` };
}

/** A throw-away copy of the checkout (sources only; node_modules linked), built once. */
function copyCheckout(root: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibdt-mutant-'));
  for (const entry of fs.readdirSync(root)) {
    if (['node_modules', 'dist', 'data', 'logs', '.git'].includes(entry)) continue;
    fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function build(dir: string): boolean {
  return run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], dir).code === 0;
}

function jest(dir: string, test: string): { passed: boolean; summary: string } {
  // A guard's removal can make a test wait for something that never happens: fail such tests sooner.
  const result = run(process.execPath, [path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js'), '--testTimeout', '15000', test], dir, 240_000);
  return { passed: result.code === 0, summary: /Tests:\s+([^\n]+)/.exec(result.output)?.[1] ?? `exit ${result.code}` };
}

async function main(): Promise<number> {
  const args = yargs(hideBin(process.argv))
    .option('only', { type: 'string', describe: 'comma-separated mutant names' })
    .option('keep', { type: 'boolean', default: false, describe: 'keep the mutated copy' })
    .strict()
    .parseSync();
  const root = projectRoot();
  const wanted = args.only ? new Set(args.only.split(',')) : undefined;
  const mutants = MUTANTS.filter((m) => !wanted || wanted.has(m.name));
  const rows: Array<{ name: string; guard: string; verdict: string; caughtBy: string }> = [];
  const dir = copyCheckout(root);
  try {
    if (!build(dir)) throw new Error('the unmutated copy does not build');
    // Each test must pass WITHOUT the mutant, or its failure with it proves nothing.
    const baseline = new Map<string, boolean>();
    for (const test of new Set(mutants.flatMap((m) => m.tests))) {
      if (!fs.existsSync(path.join(dir, test))) continue;
      const result = jest(dir, test);
      baseline.set(test, result.passed);
      process.stdout.write(`baseline ${test}: ${result.passed ? 'passes' : `FAILS (${result.summary})`}\n`);
    }
    for (const mutant of mutants) {
      const file = path.join(dir, mutant.file);
      const original = fs.readFileSync(file, 'utf8');
      if (original.split(mutant.find).length !== 2) {
        rows.push({ name: mutant.name, guard: mutant.guard, verdict: 'STALE (guard text not found exactly once: update scripts/mutants.ts)', caughtBy: '' });
        continue;
      }
      try {
        fs.writeFileSync(file, original.replace(mutant.find, mutant.replace));
        if (!build(dir)) {
          rows.push({ name: mutant.name, guard: mutant.guard, verdict: 'INVALID (the mutant does not compile: fix it in scripts/mutants.ts)', caughtBy: '' });
          continue;
        }
        const failing: string[] = [];
        const usable = mutant.tests.filter((t) => baseline.get(t) === true);
        for (const test of usable) {
          const result = jest(dir, test);
          if (!result.passed) failing.push(`${test} (${result.summary})`);
        }
        const verdict = usable.length === 0 ? 'UNTESTED (no passing baseline test)' : failing.length > 0 ? 'caught' : 'NOT CAUGHT';
        rows.push({ name: mutant.name, guard: mutant.guard, verdict, caughtBy: failing.join('; ') });
        process.stdout.write(`${mutant.name}: ${verdict}\n`);
      } finally {
        fs.writeFileSync(file, original);
      }
    }
  } finally {
    if (!args.keep) fs.rmSync(dir, { recursive: true, force: true });
    else process.stdout.write(`kept ${dir}\n`);
  }
  process.stdout.write('\n| guard disabled | what it protects | result | failing tests |\n|---|---|---|---|\n');
  for (const row of rows) process.stdout.write(`| ${row.name} | ${row.guard} | ${row.verdict} | ${row.caughtBy} |\n`);
  return rows.every((r) => r.verdict === 'caught') ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  process.stderr.write(`test:mutants failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
