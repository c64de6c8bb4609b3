import fs from 'node:fs';
import path from 'node:path';
import { configure } from 'safe-stable-stringify';
import { formatNewYork } from '../time/trading-calendar';
import { ResilientLogFile } from './resilient-log-file';

export type LogFields = Record<string, unknown>;

/** Structured logging: every line has an event name (`order_placed`, `position_protected`, ...). */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  /** Resolves once everything logged so far reached the file (called on shutdown). */
  flush(): Promise<void>;
}

export interface LoggerOptions {
  app: string;
  /** Folder for `<app>.log` (JSON lines); omit for console only. */
  logDir?: string;
  level?: 'error' | 'warn' | 'info' | 'debug';
  console?: boolean;
  /** Where console lines go (process.stdout: PM2 keeps it as `pm2-<app>.out.log`); tests pass their own. */
  consoleStream?: Pick<NodeJS.WritableStream, 'write'>;
  /** Market time source: lines carry it as `marketTime` so a compressed day reads naturally. */
  marketNow?: () => number;
  /** Sees every event, whatever the level (the process's own metrics count them: shared/metrics). */
  onEvent?: EventTap;
  /** The file rotates at this size (LOG_FILE_MAX_MB; default 50 MB) keeping `maxFiles` rotated files (LOG_FILES_KEPT; 5). */
  maxFileBytes?: number;
  maxFiles?: number;
}

export type EventTap = (level: string, event: string, fields?: LogFields) => void;

const CONSOLE_SKIP = new Set(['level', 'message', 'timestamp', 'app', 'pid', 'event', 'marketTime']);

/** Most to least severe, as npm (and winston before) ranks them: a line is written when its rank <= the logger's. */
const LEVEL_RANK: Record<string, number> = { error: 0, warn: 1, info: 2, debug: 5 };

// Sorted keys, cycles marked instead of thrown, BigInt as its digits: the file's lines read the same from
// run to run, and no field a caller passes can make logging throw inside trading code.
const stringifyLine = configure({ deterministic: true, circularValue: '[Circular]' });
// The console shows a field's object in the order it was built, as JSON.stringify would.
const stringifyField = configure({ deterministic: false, circularValue: '[Circular]' });
const bigIntAsText = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/** The console line PM2 keeps in `pm2-<app>.out.log`: wall time, market time, app, level, event, fields. */
function consoleLine(line: LogFields): string {
  const time = String(line.timestamp).slice(11, 23);
  const market = line.marketTime ? ` [${String(line.marketTime).slice(11, 19)} ET]` : '';
  let extras = '';
  for (const key in line) {
    if (CONSOLE_SKIP.has(key)) continue;
    const value = line[key];
    extras += ` ${key}=${typeof value === 'string' ? value : stringifyField(value, bigIntAsText)}`;
  }
  return `${time}${market} ${String(line.app).padEnd(12)} ${String(line.level).padEnd(5)} ${String(line.event)}${extras}`;
}

/**
 * Written here rather than with a logging library: what a line needs is a level check, the context fields,
 * one JSON.stringify and two writes. winston did the same through a stream pipeline of about 95 modules,
 * which took ~35 ms of every exit-manager restart (its time without a working protection) and allocated
 * on every line of the fill-to-protection path (README, "Benchmarks").
 */
export function createLogger(options: LoggerOptions): Logger {
  // A log that cannot be written (disk full, permissions, a closed stdout) must not take trading down with
  // it: say so on stderr once a minute and keep running. Orders and fills are in the DB, not only in the log.
  let lastComplaintMs = 0;
  const complain = (error: Error) => {
    const nowMs = Date.now();
    if (nowMs - lastComplaintMs < 60_000) return;
    lastComplaintMs = nowMs;
    try {
      process.stderr.write(`[${options.app}] log write failed (${error.message}); trading continues, free disk space in ${options.logDir ?? 'the log folder'}\n`);
    } catch {
      // stderr is gone too: nothing left to tell
    }
  };
  let file: ResilientLogFile | undefined;
  if (options.logDir) {
    fs.mkdirSync(options.logDir, { recursive: true });
    file = new ResilientLogFile({ filename: path.join(options.logDir, `${options.app}.log`), maxBytes: options.maxFileBytes ?? 50 * 1024 * 1024, maxFiles: options.maxFiles ?? 5, onWriteError: complain, lineFields: { app: options.app, pid: process.pid } });
  }
  const consoleStream = options.console === false ? undefined : options.consoleStream ?? process.stdout;
  if (consoleStream === process.stdout && process.stdout.listenerCount('error') === 0) process.stdout.on('error', complain);

  const rank = LEVEL_RANK[options.level ?? 'info'] ?? LEVEL_RANK.info!;
  const marketNow = options.marketNow;
  const sink: LineSink = {
    enabled: (level) => (LEVEL_RANK[level] ?? 0) <= rank,
    write: (line) => {
      try {
        line.timestamp = new Date().toISOString();
        if (marketNow) line.marketTime = formatNewYork(marketNow(), "yyyy-LL-dd'T'HH:mm:ss.SSS");
        if (file) file.writeLine(stringifyLine(line, bigIntAsText) ?? '{}');
        consoleStream?.write(consoleLine(line) + '\n');
      } catch (error) {
        // A field whose getter throws, a closed stream: the caller is trading code, it never sees it.
        complain(error as Error);
      }
    },
    flush: async () => {
      await file?.flushToDisk();
    },
  };
  return wrap(sink, { app: options.app, pid: process.pid }, options.onEvent);
}

interface LineSink {
  enabled(level: string): boolean;
  write(line: LogFields): void;
  flush(): Promise<void>;
}

function wrap(sink: LineSink, context: LogFields, tap: EventTap | undefined): Logger {
  const write = (level: string) => (event: string, fields?: LogFields) => {
    tap?.(level, event, fields);
    // Check the level first: building and formatting a line that is then dropped costs ~0.1 ms.
    if (!sink.enabled(level)) return;
    // The context first (app, pid, then a child's fields), the line's own fields over it: the key order the
    // console shows and the values the file keeps, as before.
    sink.write(Object.assign({}, context, { level, message: '', event }, serializeErrors(fields)));
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => wrap(sink, { ...context, ...fields }, tap),
    flush: () => sink.flush(),
  };
}

function serializeErrors(fields?: LogFields): LogFields {
  if (!fields) return {};
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message, stack: value.stack?.split('\n').slice(0, 6).join('\n') } : value;
  }
  return out;
}

/** A logger that drops everything (pure unit tests). */
export function silentLogger(): Logger {
  const noop = () => undefined;
  const logger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => logger, flush: async () => undefined };
  return logger;
}

/** A logger that keeps lines in memory, for tests that assert on events. */
export function memoryLogger(): Logger & { lines: Array<{ level: string; event: string; fields: LogFields }> } {
  const lines: Array<{ level: string; event: string; fields: LogFields }> = [];
  const make = (base: LogFields): Logger => ({
    debug: (event, fields) => lines.push({ level: 'debug', event, fields: { ...base, ...fields } }),
    info: (event, fields) => lines.push({ level: 'info', event, fields: { ...base, ...fields } }),
    warn: (event, fields) => lines.push({ level: 'warn', event, fields: { ...base, ...fields } }),
    error: (event, fields) => lines.push({ level: 'error', event, fields: { ...base, ...fields } }),
    child: (fields) => make({ ...base, ...fields }),
    flush: async () => undefined,
  });
  return Object.assign(make({}), { lines });
}
