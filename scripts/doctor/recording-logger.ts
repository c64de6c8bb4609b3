import type { LogFields, Logger } from '../../shared/log/logger';

export interface RecordedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  fields: LogFields;
}

/**
 * A logger that keeps every line in memory and passes it on. The doctor reads from it what the IB adapter
 * says per symbol about market data (the code IB answered a request for that symbol with: 10089, 10167,
 * 200...), which the broker port does not expose per symbol (see the report's note on the port).
 */
export class RecordingLogger implements Logger {
  readonly lines: RecordedLine[];
  private readonly listeners: Set<(line: RecordedLine) => void>;

  constructor(private readonly next: Logger, private readonly base: LogFields = {}, shared?: { lines: RecordedLine[]; listeners: Set<(line: RecordedLine) => void> }) {
    this.lines = shared?.lines ?? [];
    this.listeners = shared?.listeners ?? new Set();
  }

  /** Called with every line from now on; returns the unsubscribe. */
  onLine(listener: (line: RecordedLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  debug(event: string, fields?: LogFields): void {
    this.record('debug', event, fields);
    this.next.debug(event, fields);
  }

  info(event: string, fields?: LogFields): void {
    this.record('info', event, fields);
    this.next.info(event, fields);
  }

  warn(event: string, fields?: LogFields): void {
    this.record('warn', event, fields);
    this.next.warn(event, fields);
  }

  error(event: string, fields?: LogFields): void {
    this.record('error', event, fields);
    this.next.error(event, fields);
  }

  child(fields: LogFields): Logger {
    return new RecordingLogger(this.next.child(fields), { ...this.base, ...fields }, { lines: this.lines, listeners: this.listeners });
  }

  flush(): Promise<void> {
    return this.next.flush();
  }

  /** IB codes the adapter logged for a symbol, oldest first, each once. */
  codesFor(symbol: string): Array<{ code: number; message: string }> {
    const seen = new Set<number>();
    const codes: Array<{ code: number; message: string }> = [];
    for (const line of this.lines) {
      const code = line.fields.code;
      if (line.fields.symbol !== symbol || typeof code !== 'number' || seen.has(code)) continue;
      seen.add(code);
      codes.push({ code, message: String(line.fields.message ?? '') });
    }
    return codes;
  }

  private record(level: RecordedLine['level'], event: string, fields: LogFields = {}): void {
    const line = { level, event, fields: { ...this.base, ...fields } };
    this.lines.push(line);
    for (const listener of this.listeners) listener(line);
  }
}
