import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../../shared/log/logger';
import { ResilientLogFile } from '../../../shared/log/resilient-log-file';
import { makeTempDir } from '../../helpers/temp-dir';
import { waitUntil } from '../../helpers/wait-until';

const readLines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Lines as the logger hands them over: one JSON object each. */
const lineWriter = (file: ResilientLogFile) => ({
  info: (event: string, fields: Record<string, unknown> = {}) => file.writeLine(JSON.stringify({ level: 'info', event, ...fields })),
});

describe('the log file', () => {
  const temp = makeTempDir('log-transport');
  afterAll(() => temp.cleanup());

  it('writes JSON lines with app, pid and event, all of them by the time flush resolves', async () => {
    const logDir = path.join(temp.dir, 'plain');
    const log = createLogger({ app: 'unit-app', logDir, console: false });
    for (let i = 0; i < 500; i++) log.info('order_placed', { i });
    await log.flush();
    const lines = readLines(path.join(logDir, 'unit-app.log'));
    expect(lines).toHaveLength(500);
    expect(lines[499]).toMatchObject({ app: 'unit-app', pid: process.pid, event: 'order_placed', level: 'info', i: 499 });
  });

  it('reports a failed write, drops lines while broken, and resumes with a count of what was lost', async () => {
    const dir = path.join(temp.dir, 'vanishing');
    fs.mkdirSync(dir);
    const errors: string[] = [];
    const transport = new ResilientLogFile({ filename: path.join(dir, 'app.log'), maxBytes: 1e9, maxFiles: 2, retryAfterMs: 0, onWriteError: (e: Error) => errors.push(e.message) });
    const logger = lineWriter(transport);
    logger.info('before');
    await transport.flushToDisk();
    fs.rmSync(dir, { recursive: true }); // the folder disappears: every write fails with ENOENT
    logger.info('lost-1');
    await waitUntil(() => errors.length === 1, 5_000, 'the first write error', 1);
    expect(errors[0]).toMatch(/ENOENT/);
    logger.info('lost-2');
    await waitUntil(() => errors.length === 2, 5_000, 'the second write error', 1);
    fs.mkdirSync(dir);
    logger.info('after');
    await transport.flushToDisk();
    const lines = readLines(path.join(dir, 'app.log'));
    expect(lines.map((l) => l.event ?? l.message)).toEqual(['log_lines_dropped', 'after']);
    expect(lines[0]).toMatchObject({ count: 2 });
  });

  it('resumes by itself once the disk accepts again, without waiting for another line', async () => {
    const dir = path.join(temp.dir, 'quiet');
    const errors: string[] = [];
    const transport = new ResilientLogFile({ filename: path.join(dir, 'app.log'), maxBytes: 1e9, maxFiles: 2, retryAfterMs: 20, onWriteError: (e: Error) => errors.push(e.message) });
    const logger = lineWriter(transport);
    logger.info('lost'); // no folder: dropped
    await waitUntil(() => errors.length >= 1, 5_000, 'a write error', 1);
    fs.mkdirSync(dir); // space is back; the process has nothing more to say
    await waitUntil(() => fs.existsSync(path.join(dir, 'app.log')) && fs.readFileSync(path.join(dir, 'app.log'), 'utf8').includes('log_lines_dropped'), 5_000, 'the log to resume by itself', 1);
    await transport.flushToDisk();
    expect(readLines(path.join(dir, 'app.log'))).toEqual([expect.objectContaining({ event: 'log_lines_dropped', count: 1 })]);
  });

  it('rotates by size, keeping the newest lines in the live file and at most maxFiles old ones', async () => {
    const dir = path.join(temp.dir, 'rotating');
    fs.mkdirSync(dir);
    const transport = new ResilientLogFile({ filename: path.join(dir, 'app.log'), maxBytes: 2_000, maxFiles: 2, onWriteError: (e: Error) => { throw e; } });
    const logger = lineWriter(transport);
    for (let i = 0; i < 200; i++) logger.info('tick', { i, pad: 'x'.repeat(40) });
    await transport.flushToDisk();
    expect(fs.readdirSync(dir).sort()).toEqual(['app.log', 'app.log.1', 'app.log.2']);
    const live = readLines(path.join(dir, 'app.log'));
    expect(live[live.length - 1]).toMatchObject({ i: 199 });
    expect(fs.statSync(path.join(dir, 'app.log.1')).size).toBeLessThan(2_200);
  });
});
