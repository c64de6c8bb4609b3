import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { loadConfig, accountProblemForMode, ENV_VARIABLES } from '../../shared/config';
import { ConfigError, EXIT_CONFIG } from '../../shared/errors/errors';
import { makeTempDir } from '../helpers/temp-dir';

function problemsOf(env: Record<string, string>, configFile?: string): string[] {
  try {
    loadConfig({ env, configFile });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('configuration', () => {
  const temp = makeTempDir('config');
  afterAll(() => temp.cleanup());

  it('defaults to SIM with the strategy defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config.mode).toBe('SIM');
    expect(config.ib).toMatchObject({ host: '127.0.0.1', port: 4300, clientIds: { dayTrader: 11, exitManager: 12, reconciler: 13 } });
    expect(config.strategy).toMatchObject({ capitalAllocationPct: 25, takeProfitPct: 1.8, stopLossPct: 0.9, entryRsiMax: 60, minAtrPct: 0.3, gapAndGoMinPct: 5 });
    expect(config.risk).toMatchObject({ maxPositionPct: 10, maxGrossExposurePct: 80 });
    expect(config.intervals).toEqual({ positionResyncSeconds: 100, scannerRefreshSeconds: 900, reconcileSeconds: 60, supervisorStatusSeconds: 300, snapshotSeconds: 60 });
    expect(config.dashboard).toMatchObject({ host: '127.0.0.1', port: 8501, pollMs: 100, brokerLink: true });
    expect(config.dashboard.token).toBeUndefined();
    expect(path.isAbsolute(config.paths.db)).toBe(true);
  });

  it('lists every problem at once, naming the variable, the value and what is wrong', () => {
    const problems = problemsOf({ IB_PORT: 'abc', TAKE_PROFIT_PCT: '-1', MODE: 'REAL', LOG_LEVEL: 'loud', SIM_DAY_START: '25:00' });
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/IB_PORT \(ib\.port\) = "abc": .*number/);
    expect(problems.join('\n')).toMatch(/TAKE_PROFIT_PCT \(strategy\.takeProfitPct\) = "-1"/);
    expect(problems.join('\n')).toMatch(/MODE \(mode\) = "REAL": .*SIM.*PAPER.*LIVE/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/);
    expect(problems.join('\n')).toMatch(/SIM_DAY_START .*HH:MM/);
  });

  it('ConfigError exits with code 78', () => {
    expect(new ConfigError(['x']).exitCode).toBe(EXIT_CONFIG);
    expect(EXIT_CONFIG).toBe(78);
  });

  it('refuses LIVE without the arming flag, without an account, with a paper account or on a paper port', () => {
    expect(problemsOf({ MODE: 'LIVE' }).join('\n')).toMatch(/ARM_LIVE_TRADING=yes[\s\S]*IB_ACCOUNT/);
    expect(problemsOf({ MODE: 'LIVE', ARM_LIVE_TRADING: 'yes', IB_ACCOUNT: 'DU1234567' })).toEqual([
      expect.stringMatching(/paper account \(DU prefix\) but MODE=LIVE/),
    ]);
    expect(problemsOf({ MODE: 'LIVE', ARM_LIVE_TRADING: 'yes', IB_ACCOUNT: 'U1234567', IB_PORT: '7497' })).toEqual([
      expect.stringMatching(/7497 is a paper-trading port/),
    ]);
    expect(problemsOf({ MODE: 'LIVE', ARM_LIVE_TRADING: 'yes', IB_ACCOUNT: 'U1234567' })).toEqual([]);
    expect(loadConfig({ env: { MODE: 'LIVE', ARM_LIVE_TRADING: 'yes', IB_ACCOUNT: 'U1234567' } }).ib.port).toBe(4001);
  });

  it('refuses PAPER with a live account or port, and SIM pointed at a real gateway', () => {
    expect(problemsOf({ MODE: 'PAPER', IB_ACCOUNT: 'U1234567' })).toEqual([expect.stringMatching(/not a paper account/)]);
    expect(problemsOf({ MODE: 'PAPER', IB_PORT: '4001' })).toEqual([expect.stringMatching(/live-trading port/)]);
    expect(problemsOf({ IB_HOST: '10.0.0.5' })).toEqual([expect.stringMatching(/not loopback/)]);
    expect(problemsOf({ IB_PORT: '7496' })).toEqual([expect.stringMatching(/real IB port/)]);
  });

  it('refuses duplicate client ids and contradictory limits', () => {
    expect(problemsOf({ CLIENT_ID_DAY_TRADER: '12' })).toEqual([expect.stringMatching(/exitManager and dayTrader both use 12|dayTrader and exitManager both use 12/)]);
    expect(problemsOf({ MAX_POSITION_PCT: '90', MAX_GROSS_EXPOSURE_PCT: '50' })).toEqual([expect.stringMatching(/cannot exceed/)]);
    expect(problemsOf({ SIM_MARKET: 'replay' })).toEqual([expect.stringMatching(/SIM_REPLAY_DIR/)]);
  });

  it('reads a YAML or JSON file and lets the environment win', () => {
    const yamlFile = path.join(temp.dir, 'c.yaml');
    fs.writeFileSync(yamlFile, 'strategy:\n  takeProfitPct: 2.5\n  stopLossPct: 1.2\nrisk:\n  maxOpenPositions: 3\n');
    const config = loadConfig({ env: { TAKE_PROFIT_PCT: '3' }, configFile: yamlFile });
    expect(config.strategy.takeProfitPct).toBe(3);
    expect(config.strategy.stopLossPct).toBe(1.2);
    expect(config.risk.maxOpenPositions).toBe(3);
    const jsonFile = path.join(temp.dir, 'c.json');
    fs.writeFileSync(jsonFile, JSON.stringify({ mode: 'PAPER', ib: { account: 'DU999999' } }));
    expect(loadConfig({ env: {}, configFile: jsonFile })).toMatchObject({ mode: 'PAPER', ib: { port: 4002, account: 'DU999999' } });
  });

  it('says which file is broken and how', () => {
    const bad = path.join(temp.dir, 'bad.yaml');
    fs.writeFileSync(bad, 'strategy: [unclosed\n');
    expect(problemsOf({}, bad)).toEqual([expect.stringMatching(/bad\.yaml is not valid YAML/)]);
    expect(problemsOf({}, path.join(temp.dir, 'missing.yaml'))).toEqual([expect.stringMatching(/cannot be read \(ENOENT\)/)]);
    const list = path.join(temp.dir, 'list.json');
    fs.writeFileSync(list, '[1,2]');
    expect(problemsOf({}, list)).toEqual([expect.stringMatching(/must hold an object/)]);
  });

  it('checks the account the gateway reports against the mode', () => {
    expect(accountProblemForMode('LIVE', 'U1234567', ['U1234567'])).toBeUndefined();
    expect(accountProblemForMode('LIVE', 'U1234567', ['U7654321'])).toMatch(/gateway manages U7654321/);
    expect(accountProblemForMode('LIVE', undefined, ['DU1234567'])).toMatch(/paper account/);
    expect(accountProblemForMode('PAPER', undefined, ['U1234567'])).toMatch(/live account/);
    expect(accountProblemForMode('SIM', undefined, ['DU0000001'])).toBeUndefined();
    expect(accountProblemForMode('SIM', undefined, [])).toMatch(/no managed account/);
  });

  it('never fails with anything but a ConfigError on random input (fuzz)', () => {
    const names = ENV_VARIABLES.map((v) => v.name);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String), fc.constantFrom('', 'yes', 'LIVE', '-1', '1e309', 'NaN'))), (env) => {
        try {
          loadConfig({ env });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
