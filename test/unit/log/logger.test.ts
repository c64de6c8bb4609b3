import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../../shared/log/logger';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import { makeTempDir } from '../../helpers/temp-dir';

describe('the logger', () => {
  const temp = makeTempDir('logger');
  afterAll(() => temp.cleanup());

  function logged(level: 'error' | 'warn' | 'info' | 'debug' = 'info') {
    const logDir = path.join(temp.dir, `${Math.random()}`);
    const consoleLines: string[] = [];
    const log = createLogger({
      app: 'unit-app', logDir, level,
      marketNow: () => newYorkTime('2026-11-23', '10:15') + 1_234,
      consoleStream: { write: (text: string | Uint8Array) => { consoleLines.push(String(text)); return true; } },
    });
    const fileLines = async () => {
      await log.flush();
      return fs.readFileSync(path.join(logDir, 'unit-app.log'), 'utf8').split('\n').filter(Boolean);
    };
    return { log, consoleLines, fileLines };
  }

  it('writes one JSON line per event with sorted keys: context, level, event, fields, wall and market time', async () => {
    const { log, fileLines } = logged();
    log.child({ symbol: 'AAPL' }).info('order_placed', { orderId: 7, qty: 100 });
    const [line] = await fileLines();
    const parsed = JSON.parse(line!) as Record<string, unknown>;
    expect(parsed).toEqual({
      app: 'unit-app', pid: process.pid, symbol: 'AAPL', level: 'info', message: '', event: 'order_placed', orderId: 7, qty: 100,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), marketTime: '2026-11-23T10:15:01.234',
    });
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
  });

  it('prints the console line an operator reads: time, market time, app, level, event, then the fields in order', () => {
    const { log, consoleLines } = logged();
    log.child({ symbol: 'AAPL' }).warn('stop_moved', { from: 9.5, to: 9.62, why: 'trailing', detail: { b: 2, a: 1 } });
    expect(consoleLines).toHaveLength(1);
    expect(consoleLines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} \[10:15:01 ET\] unit-app {5}warn {2}stop_moved symbol=AAPL from=9\.5 to=9\.62 why=trailing detail=\{"b":2,"a":1\}\n$/);
  });

  it('drops lines below its level but still shows every event to the tap', async () => {
    const tapped: string[] = [];
    const logDir = path.join(temp.dir, 'levels');
    const log = createLogger({ app: 'unit-app', logDir, level: 'warn', console: false, onEvent: (level, event) => tapped.push(`${level}:${event}`) });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    await log.flush();
    const events = fs.readFileSync(path.join(logDir, 'unit-app.log'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events).toEqual(['w', 'e']);
    expect(tapped).toEqual(['debug:d', 'info:i', 'warn:w', 'error:e']);
  });

  it('never throws on what a caller passes: errors keep their message and stack, cycles and BigInts are written', async () => {
    const { log, fileLines, consoleLines } = logged('debug');
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(() => log.error('order_event_failed', { error: new Error('database is locked'), cyclic, big: 10n ** 20n })).not.toThrow();
    const parsed = JSON.parse((await fileLines())[0]!) as { error: { name: string; message: string; stack: string }; cyclic: { self: string }; big: string };
    expect(parsed.error).toMatchObject({ name: 'Error', message: 'database is locked' });
    expect(parsed.error.stack).toContain('database is locked');
    expect(parsed.cyclic.self).toBe('[Circular]');
    expect(parsed.big).toBe('100000000000000000000');
    expect(consoleLines[0]).toContain('big="100000000000000000000"');
    const hostile = { get price(): number { throw new Error('getter failed'); } };
    expect(() => log.info('quote', { hostile })).not.toThrow();
  });

  it('keeps logging after a flush (a process that flushes on a signal may still say why it exits)', async () => {
    const { log, fileLines } = logged();
    log.info('first');
    await log.flush();
    log.info('second');
    expect((await fileLines()).map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['first', 'second']);
  });
});
