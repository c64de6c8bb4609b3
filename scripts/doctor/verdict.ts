import { CHECK_IDS, DOCTOR_EXIT, type CheckId, type CheckResult, type DoctorReport, type Verdict } from './doctor-model';

export interface VerdictOf {
  verdict: Verdict;
  ready: boolean;
  exitCode: number;
  failed: CheckId[];
  warnings: CheckId[];
}

/**
 * READY TO TRADE (exit 0) only when no check failed; warnings are allowed and listed. Otherwise NOT READY:
 * exit 2 when the gateway could not be reached (nothing about the account could be checked), 78 when the
 * configuration is invalid (as every tool of the project), 1 for anything else. Pure.
 */
export function verdictOf(checks: readonly CheckResult[]): VerdictOf {
  const ordered = [...checks].sort((a, b) => CHECK_IDS.indexOf(a.id) - CHECK_IDS.indexOf(b.id));
  const failed = ordered.filter((c) => c.status === 'fail').map((c) => c.id);
  const warnings = ordered.filter((c) => c.status === 'warn').map((c) => c.id);
  if (failed.length === 0) return { verdict: 'READY TO TRADE', ready: true, exitCode: DOCTOR_EXIT.READY, failed, warnings };
  const exitCode = failed.includes('config') ? DOCTOR_EXIT.BAD_CONFIG : failed.includes('gateway') ? DOCTOR_EXIT.GATEWAY_UNREACHABLE : DOCTOR_EXIT.NOT_READY;
  return { verdict: 'NOT READY', ready: false, exitCode, failed, warnings };
}

export interface ReportContext {
  mode: string;
  endpoint: string | null;
  clientId: number | null;
  gatewayReachable: boolean;
  accounts: string[];
  checkedAtMs: number;
  marketTime: string | null;
}

/** The whole report: the checks in their fixed order and the verdict over them. Pure. */
export function buildReport(checks: readonly CheckResult[], context: ReportContext): DoctorReport {
  const ordered = [...checks].sort((a, b) => CHECK_IDS.indexOf(a.id) - CHECK_IDS.indexOf(b.id));
  const verdict = verdictOf(ordered);
  return {
    verdict: verdict.verdict, ready: verdict.ready, exitCode: verdict.exitCode, mode: context.mode, endpoint: context.endpoint, clientId: context.clientId,
    gatewayReachable: context.gatewayReachable, accounts: context.accounts, checkedAt: new Date(context.checkedAtMs).toISOString(),
    marketTime: context.marketTime, failed: verdict.failed, warnings: verdict.warnings, checks: ordered,
  };
}
