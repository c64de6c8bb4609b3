/**
 * IB execution ids look like `0000e0d5.6571a3b5.01.01`: the last two digits are a version. A correction of
 * an execution (a fixed price, say) arrives as a new execDetails whose id has the same prefix and the next
 * suffix (`….01.02`); it REPLACES the earlier report, it is not another fill (TWS API docs, "Executions").
 * Ids that do not have that shape (other brokers, tests) are their own base with version 1.
 */
const VERSIONED = /^(.+\..+)\.(\d{2})$/;

export function executionBase(execId: string): string {
  return VERSIONED.exec(execId)?.[1] ?? execId;
}

export function executionVersion(execId: string): number {
  const match = VERSIONED.exec(execId);
  return match ? Number(match[2]) : 1;
}
