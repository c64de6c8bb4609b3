import fs from 'node:fs';
import path from 'node:path';

export interface LogLine {
  app: string;
  event: string;
  level: string;
  /** Real wall-clock time of the line (ISO), as the logger stamps it. */
  timestamp: string;
  pid?: number;
  [field: string]: unknown;
}

/**
 * Reads the apps' JSON-lines logs incrementally (each call returns only the lines added since the last),
 * so the harness can follow the supervisor's decisions and every error while the system runs.
 */
export class LogTail {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();
  readonly malformed: string[] = [];

  constructor(private readonly logDir: string) {}

  read(app: string): LogLine[] {
    const file = path.join(this.logDir, `${app}.log`);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    let offset = this.offsets.get(app) ?? 0;
    if (size < offset) offset = 0; // rotated (the log file reached its size limit): start over on the new file
    if (size === offset) return [];
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - offset);
      const bytes = fs.readSync(fd, buffer, 0, buffer.length, offset);
      this.offsets.set(app, offset + bytes);
      const text = (this.partial.get(app) ?? '') + buffer.subarray(0, bytes).toString('utf8');
      const lines = text.split('\n');
      this.partial.set(app, lines.pop() ?? '');
      const parsed: LogLine[] = [];
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          parsed.push(JSON.parse(line) as LogLine);
        } catch {
          // A line cut by a SIGKILL mid-write: keep it for the report, it is not an error of the harness.
          if (this.malformed.length < 20) this.malformed.push(`${app}: ${line.slice(0, 200)}`);
        }
      }
      return parsed;
    } finally {
      fs.closeSync(fd);
    }
  }
}
