import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import { formatNewYork } from '../time/trading-calendar';
import { ResilientFileTransport } from './resilient-file-transport';

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

const consoleFormat = winston.format.printf((info) => {
  const time = String(info.timestamp).slice(11, 23);
  const market = info.marketTime ? ` [${String(info.marketTime).slice(11, 19)} ET]` : '';
  const extras = Object.entries(info)
    .filter(([key]) => !CONSOLE_SKIP.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time}${market} ${String(info.app).padEnd(12)} ${info.level.padEnd(5)} ${info.event}${extras ? ' ' + extras : ''}`;
});

export function createLogger(options: LoggerOptions): Logger {
  const transports: winston.transport[] = [];
  // A log that cannot be written (disk full, permissions) must not take trading down with it: say so on
  // stderr once a minute and keep running. Orders and fills are in the DB, not only in the log.
  let lastComplaintMs = 0;
  const complain = (error: Error) => {
    const nowMs = Date.now();
    if (nowMs - lastComplaintMs < 60_000) return;
    lastComplaintMs = nowMs;
    process.stderr.write(`[${options.app}] log write failed (${error.message}); trading continues, free disk space in ${options.logDir ?? 'the log folder'}\n`);
  };
  let fileTransport: ResilientFileTransport | undefined;
  if (options.logDir) {
    fs.mkdirSync(options.logDir, { recursive: true });
    fileTransport = new ResilientFileTransport({ filename: path.join(options.logDir, `${options.app}.log`), maxBytes: options.maxFileBytes ?? 50 * 1024 * 1024, maxFiles: options.maxFiles ?? 5, onWriteError: complain, lineFields: { app: options.app, pid: process.pid } });
    fileTransport.format = winston.format.json();
    transports.push(fileTransport);
  }
  if (options.console !== false) transports.push(new winston.transports.Console({ format: consoleFormat }));
  if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));

  const marketNow = options.marketNow;
  const addContext = winston.format((info) => {
    info.timestamp = new Date().toISOString();
    if (marketNow) info.marketTime = formatNewYork(marketNow(), "yyyy-LL-dd'T'HH:mm:ss.SSS");
    return info;
  });

  const root = winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: { app: options.app, pid: process.pid },
    format: addContext(),
    transports,
    exitOnError: false,
  });

  root.on('error', (error: Error) => complain(error));

  return wrap(root, root, fileTransport, options.onEvent);
}

function wrap(target: winston.Logger, root: winston.Logger, file: ResilientFileTransport | undefined, tap: EventTap | undefined): Logger {
  const write = (level: string) => (event: string, fields?: LogFields) => {
    tap?.(level, event, fields);
    // Check the level first: building and formatting a line that is then dropped costs ~0.1 ms.
    if (!root.isLevelEnabled(level)) return;
    target.log({ level, message: '', event, ...serializeErrors(fields) });
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => wrap(target.child(fields), root, file, tap),
    flush: async () => {
      await flushLogger(root);
      await file?.flushToDisk();
    },
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

function flushLogger(root: winston.Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    root.on('finish', () => {
      clearTimeout(timer);
      resolve();
    });
    root.end();
  });
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
