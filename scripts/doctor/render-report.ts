import { CHECK_IDS, CHECK_TITLES, type CheckResult, type CheckStatus, type DoctorReport } from './doctor-model';

export interface RenderOptions {
  /** ANSI colours (a terminal only). */
  color: boolean;
}

const SEVERITY: Record<CheckStatus, number> = { fail: 0, warn: 1, ok: 2, skipped: 3 };
const MARK: Record<CheckStatus, string> = { fail: '✗ FAIL', warn: '! warn', ok: '✓ ok  ', skipped: '- skip' };
const COLOUR: Record<CheckStatus, string> = { fail: '\x1b[31m', warn: '\x1b[33m', ok: '\x1b[32m', skipped: '\x1b[2m' };
const RESET = '\x1b[0m';
const TITLE_WIDTH = Math.max(...Object.values(CHECK_TITLES).map((t) => t.length));

/**
 * The report for a terminal: the verdict first, then every check, failed ones first, then warnings, then
 * the ones in place; each with its finding, what to do, and its detail lines; the verdict again last (so
 * `npm run doctor | tail -1` is the answer). Pure.
 */
export function renderReport(report: DoctorReport, options: RenderOptions): string {
  const paint = (text: string, status: CheckStatus) => (options.color ? `${COLOUR[status]}${text}${RESET}` : text);
  const header = `npm run doctor — MODE=${report.mode}` +
    (report.endpoint ? `, gateway ${report.endpoint}` : '') +
    (report.clientId !== null ? `, doctor client id ${report.clientId}` : '') +
    (report.accounts.length > 0 ? `, account ${report.accounts.join(', ')}` : '') +
    (report.marketTime ? `, market time ${report.marketTime} ET` : '');
  const sorted = [...report.checks].sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status] || CHECK_IDS.indexOf(a.id) - CHECK_IDS.indexOf(b.id));
  const blocks = [header, '', paint(verdictLine(report), report.ready ? 'ok' : 'fail'), ''];
  for (const result of sorted) blocks.push(...checkLines(result, paint));
  blocks.push('', paint(closingLine(report), report.ready ? 'ok' : 'fail'));
  return blocks.join('\n');
}

function titles(report: DoctorReport, ids: readonly string[]): string {
  return ids.map((id) => report.checks.find((c) => c.id === id)?.title ?? id).join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function verdictLine(report: DoctorReport): string {
  if (report.ready) {
    return report.warnings.length === 0
      ? 'READY TO TRADE — every check passed'
      : `READY TO TRADE — with ${plural(report.warnings.length, 'warning')} to read: ${titles(report, report.warnings)}`;
  }
  const warnings = report.warnings.length > 0 ? `; ${plural(report.warnings.length, 'warning')}: ${titles(report, report.warnings)}` : '';
  return `NOT READY — ${plural(report.failed.length, 'check')} failed: ${titles(report, report.failed)}${warnings}`;
}

function closingLine(report: DoctorReport): string {
  if (report.ready) return `READY TO TRADE${report.warnings.length > 0 ? ` (${plural(report.warnings.length, 'warning')})` : ''} — exit ${report.exitCode}`;
  return `NOT READY (${titles(report, report.failed)}) — fix the failed checks above and run npm run doctor again — exit ${report.exitCode}`;
}

function checkLines(result: CheckResult, paint: (text: string, status: CheckStatus) => string): string[] {
  const indent = ' '.repeat(2 + 6 + 2 + TITLE_WIDTH + 2);
  const lines = [`  ${paint(MARK[result.status], result.status)}  ${result.title.padEnd(TITLE_WIDTH)}  ${result.finding}`];
  if (result.action) lines.push(`${indent}→ ${result.action}`);
  for (const line of result.lines ?? []) lines.push(`${indent}  ${line}`);
  return lines;
}
