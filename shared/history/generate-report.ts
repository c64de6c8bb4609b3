import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { renderCsv } from '../analytics/report/csv-report';
import { renderHtml } from '../analytics/report/html';
import { renderMarkdown } from '../analytics/report/markdown';
import type { ReportData, ReportFormat } from '../analytics/report/report-model';
import type { Clock } from '../time/clock';
import { loadReportData, type ReportRequest } from './report-data';

export interface GenerateReportOptions extends ReportRequest {
  formats: readonly ReportFormat[];
  /** `paths.reports`; files go to `<reportsDir>/<period>/<key>.<ext>`. */
  reportsDir: string;
}

export interface GeneratedReport {
  data: ReportData;
  /** Absolute paths of the files written. */
  files: string[];
  /** Rendered content by file (key: absolute path). */
  contents: Record<string, string>;
}

/** Renders one report in each requested format; returns the content without touching the disk. */
export function renderReportFiles(data: ReportData, formats: readonly ReportFormat[], reportsDir: string): Record<string, string> {
  const base = path.join(reportsDir, data.period.kind, data.period.key);
  const files: Record<string, string> = {};
  for (const format of new Set(formats)) {
    if (format === 'md') files[`${base}.md`] = renderMarkdown(data);
    else if (format === 'html') files[`${base}.html`] = renderHtml(data);
    else {
      const csv = renderCsv(data);
      files[`${base}.csv`] = csv.trades;
      files[`${base}.summary.csv`] = csv.summary;
      files[`${base}.symbols.csv`] = csv.symbols;
    }
  }
  return files;
}

/**
 * Builds a report from the DB and writes it under `reportsDir`. Each file is written to a temporary name and
 * renamed, so a reader (or a crash) never sees half a report; running it again overwrites the same files.
 */
export function generateReport(db: Database.Database, clock: Clock, options: GenerateReportOptions): GeneratedReport {
  const data = loadReportData(db, clock, options);
  const contents = renderReportFiles(data, options.formats, options.reportsDir);
  for (const [file, content] of Object.entries(contents)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  }
  return { data, files: Object.keys(contents), contents };
}
