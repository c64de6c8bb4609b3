/**
 * A progress bar on stderr with an ETA: redrawn in place on a terminal, a line every few seconds otherwise
 * (logs, CI), silent when asked. Never on stdout, so `--json` output stays one document.
 */
export class ProgressBar {
  private readonly startedMs = Date.now();
  private lastLineMs = 0;
  private drawn = false;

  constructor(private readonly label: string, private readonly options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}) {}

  update(done: number, total: number, note = ''): void {
    if (this.options.quiet) return;
    const stream = this.options.stream ?? process.stderr;
    const now = Date.now();
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const elapsed = (now - this.startedMs) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : undefined;
    const text = `${this.label} ${bar(fraction)} ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${total}${eta !== undefined && done < total ? ` ETA ${formatSeconds(eta)}` : ''} (${formatSeconds(elapsed)})${note ? ` ${note}` : ''}`;
    if (stream.isTTY) {
      stream.write(`\r${text}\u001b[K`);
      this.drawn = true;
      if (done >= total) this.done();
    } else if (now - this.lastLineMs >= 5_000 || done >= total) {
      this.lastLineMs = now;
      stream.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.drawn) (this.options.stream ?? process.stderr).write('\n');
    this.drawn = false;
  }
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
