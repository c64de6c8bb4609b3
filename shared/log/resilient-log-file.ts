import fs from 'node:fs';
import path from 'node:path';

export interface ResilientFileOptions {
  filename: string;
  /** Rotate when the file reaches this size: `<name>` becomes `<name>.1`, `.1` becomes `.2`, ... */
  maxBytes: number;
  /** Rotated files kept besides the live one. */
  maxFiles: number;
  /** Called on a failed write (disk full, permissions, file removed); the caller decides how loudly to say it. */
  onWriteError: (error: Error) => void;
  /** Fields every line of this log carries (app, pid), for the transport's own notices. */
  lineFields?: Record<string, unknown>;
  /** How long to wait after a failed write before trying the disk again. */
  retryAfterMs?: number;
}

/**
 * JSON lines to a file, for processes that must outlive their log disk. The usual file transports swallow
 * write errors (winston's only logs them to `debug`) and never write again after one: a disk that filled up
 * for a minute silenced the log until the next restart. This one reports every failure to its owner, drops
 * the lines it cannot write (counting them), and reopens the file after `retryAfterMs`, saying how many
 * lines were lost. Trading never waits on it: writes are asynchronous.
 */
export class ResilientLogFile {
  private stream: fs.WriteStream | undefined;
  private bytes = 0;
  private brokenUntilMs = 0;
  private droppedLines = 0;
  private readonly retryAfterMs: number;
  private ending: Promise<void> | undefined;
  private current: OpenFile | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ResilientFileOptions) {
    this.retryAfterMs = options.retryAfterMs ?? 5_000;
  }

  /** One finished line (no newline): appended, or counted as dropped while the file cannot be written. */
  writeLine(text: string): void {
    const line = text + '\n';
    const stream = this.writableStream();
    if (!stream) {
      this.droppedLines += 1;
    } else {
      this.bytes += Buffer.byteLength(line);
      this.current!.lines += 1;
      stream.write(line);
    }
  }

  /** Resolves when everything handed to the file so far is written (or the file is broken). */
  flushToDisk(): Promise<void> {
    const stream = this.stream;
    if (!stream) return this.ending ?? Promise.resolve();
    this.stream = undefined;
    this.current = undefined;
    this.ending = new Promise((resolve) => {
      stream.once('error', () => resolve());
      stream.end(() => resolve());
    });
    return this.ending;
  }

  private writableStream(): fs.WriteStream | undefined {
    if (this.stream && this.bytes >= this.options.maxBytes) this.rotate();
    if (this.stream) return this.stream;
    if (Date.now() < this.brokenUntilMs) return undefined;
    let stream: fs.WriteStream;
    try {
      // Opened synchronously so the file exists at once: rotation renames it, even within one burst of lines.
      const fd = fs.openSync(this.options.filename, 'a');
      this.bytes = fs.fstatSync(fd).size;
      stream = fs.createWriteStream(this.options.filename, { fd });
    } catch (error) {
      this.brokenUntilMs = Date.now() + this.retryAfterMs;
      this.options.onWriteError(error as Error);
      this.scheduleRecovery();
      return undefined;
    }
    const opened: OpenFile = { stream, carriedDrops: this.droppedLines, lines: 0 };
    stream.on('error', (error) => this.fail(opened, error));
    this.stream = stream;
    this.current = opened;
    if (this.droppedLines > 0) {
      stream.write(JSON.stringify({ ...this.options.lineFields, level: 'warn', event: 'log_lines_dropped', count: this.droppedLines, reason: 'the log file could not be written', timestamp: new Date().toISOString() }) + '\n');
      this.droppedLines = 0;
    }
    return stream;
  }

  /**
   * A write failed: the lines handed to this file since it was opened may be lost (some may have reached the
   * disk before it filled up), so they are counted as dropped, with the count the file was opened with.
   */
  private fail(file: OpenFile, error: Error): void {
    if (this.current !== file) return; // an old file's late error: already handled
    this.stream = undefined;
    this.current = undefined;
    file.stream.destroy();
    this.brokenUntilMs = Date.now() + this.retryAfterMs;
    this.droppedLines += file.carriedDrops + file.lines;
    this.options.onWriteError(error);
    this.scheduleRecovery();
  }

  /**
   * Tries the disk again after `retryAfterMs` by itself, so the log says "lines dropped" and resumes as soon
   * as space is back, not at the next line the process happens to write (a quiet exit manager might write
   * none for minutes). Repeats while the disk still refuses; never holds the process open.
   */
  private scheduleRecovery(): void {
    if (this.recoveryTimer) return;
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = undefined;
      if (this.stream || this.droppedLines === 0) return;
      if (!this.writableStream() && !this.recoveryTimer) this.scheduleRecovery();
    }, this.retryAfterMs + 1);
    this.recoveryTimer.unref();
  }

  private rotate(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.current = undefined;
    stream?.end();
    const { filename, maxFiles } = this.options;
    try {
      for (let i = maxFiles - 1; i >= 1; i--) {
        const from = `${filename}.${i}`;
        if (fs.existsSync(from)) fs.renameSync(from, `${filename}.${i + 1}`);
      }
      if (fs.existsSync(filename)) fs.renameSync(filename, `${filename}.1`);
      const oldest = `${filename}.${maxFiles + 1}`;
      if (fs.existsSync(oldest)) fs.rmSync(oldest);
    } catch (error) {
      this.options.onWriteError(new Error(`log rotation in ${path.dirname(filename)} failed: ${(error as Error).message}`));
    }
  }
}

interface OpenFile {
  stream: fs.WriteStream;
  /** Lines reported dropped in this file's first line (lost again if this file fails too). */
  carriedDrops: number;
  lines: number;
}
