import { check, CHECK_IDS, skipped, type CheckResult } from '../../../scripts/doctor/doctor-model';
import { renderReport } from '../../../scripts/doctor/render-report';
import { buildReport, verdictOf } from '../../../scripts/doctor/verdict';

const CONTEXT = { mode: 'PAPER', endpoint: '127.0.0.1:4002', clientId: 17, gatewayReachable: true, accounts: ['DU1234567'], checkedAtMs: Date.UTC(2026, 10, 23, 15), marketTime: '2026-11-23 10:00:00' };

function allOk(): CheckResult[] {
  return CHECK_IDS.map((id) => check(id, 'ok', `${id} is fine`));
}

function withStatus(checks: CheckResult[], changes: Record<string, CheckResult['status']>): CheckResult[] {
  return checks.map((c) => (changes[c.id] ? { ...c, status: changes[c.id]!, finding: `${c.id} is ${changes[c.id]}`, action: `fix ${c.id}` } : c));
}

describe('verdict', () => {
  it('is READY TO TRADE, exit 0, only when no check failed; warnings are allowed and listed in check order', () => {
    expect(verdictOf(allOk())).toEqual({ verdict: 'READY TO TRADE', ready: true, exitCode: 0, failed: [], warnings: [] });
    const warned = verdictOf(withStatus(allOk(), { foreignPositions: 'warn', marketData: 'warn' }));
    expect(warned).toMatchObject({ verdict: 'READY TO TRADE', ready: true, exitCode: 0, warnings: ['marketData', 'foreignPositions'] });
  });

  it('is NOT READY with exit 1 on any failed check, 2 when the gateway was not reached, 78 on bad configuration', () => {
    expect(verdictOf(withStatus(allOk(), { marketData: 'fail', openOrders: 'warn' }))).toMatchObject({ verdict: 'NOT READY', ready: false, exitCode: 1, failed: ['marketData'], warnings: ['openOrders'] });
    const unreachable = [check('config', 'ok', 'fine'), check('gateway', 'fail', 'down'), skipped('account', 'the gateway was not reached'), check('database', 'ok', 'fine')];
    expect(verdictOf(unreachable)).toMatchObject({ verdict: 'NOT READY', exitCode: 2, failed: ['gateway'] });
    expect(verdictOf([check('config', 'fail', 'bad'), skipped('gateway', 'config')])).toMatchObject({ verdict: 'NOT READY', exitCode: 78 });
  });

  it('does not count skipped checks as failures or warnings', () => {
    expect(verdictOf([check('config', 'ok', 'fine'), skipped('marketData', 'x')])).toMatchObject({ ready: true, failed: [], warnings: [] });
  });

  it('builds the report with every check in the fixed order and the documented keys', () => {
    const report = buildReport([...allOk()].reverse(), CONTEXT);
    expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(Object.keys(report).sort()).toEqual(['accounts', 'checkedAt', 'checks', 'clientId', 'endpoint', 'exitCode', 'failed', 'gatewayReachable', 'marketTime', 'mode', 'ready', 'verdict', 'warnings'].sort());
    expect(report.checkedAt).toBe('2026-11-23T15:00:00.000Z');
  });
});

describe('renderReport', () => {
  it('prints the verdict first and last, then the failed checks first, the warnings, then the rest', () => {
    const report = buildReport(withStatus(allOk(), { clock: 'fail', marketData: 'fail', openOrders: 'warn' }), CONTEXT);
    const text = renderReport(report, { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('npm run doctor — MODE=PAPER, gateway 127.0.0.1:4002, doctor client id 17, account DU1234567, market time 2026-11-23 10:00:00 ET');
    expect(lines[2]).toBe('NOT READY — 2 checks failed: market data, clock skew; 1 warning: open orders not ours');
    expect(lines[lines.length - 1]).toBe('NOT READY (market data, clock skew) — fix the failed checks above and run npm run doctor again — exit 1');
    const at = (title: string) => lines.findIndex((l) => l.includes(`  ${title}  `) || l.includes(` ${title} `));
    expect(at('market data')).toBeLessThan(at('clock skew'));
    expect(at('clock skew')).toBeLessThan(at('open orders not ours'));
    expect(at('open orders not ours')).toBeLessThan(at('configuration'));
    expect(text).toMatch(/✗ FAIL {2}market data +marketData is fail\n +→ fix marketData/);
    expect(text).not.toMatch(/\x1b\[/);
  });

  it('says READY TO TRADE with the warnings to read, and colours only when asked', () => {
    const report = buildReport(withStatus(allOk(), { foreignPositions: 'warn' }), CONTEXT);
    const text = renderReport(report, { color: false });
    expect(text.split('\n')[2]).toBe('READY TO TRADE — with 1 warning to read: foreign positions');
    expect(text.trimEnd().endsWith('READY TO TRADE (1 warning) — exit 0')).toBe(true);
    expect(renderReport(report, { color: true })).toMatch(/\x1b\[/);
    expect(renderReport(buildReport(allOk(), CONTEXT), { color: false })).toContain('READY TO TRADE — every check passed');
  });

  it('prints detail lines under their check', () => {
    const text = renderReport(buildReport([check('marketData', 'warn', 'delayed only', { lines: ['AAPL delayed', 'MSFT delayed'] })], CONTEXT), { color: false });
    expect(text).toMatch(/delayed only\n +AAPL delayed\n +MSFT delayed/);
  });
});
