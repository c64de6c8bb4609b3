/**
 * npm run report -- --period daily|weekly|monthly [--date YYYY-MM-DD] [--format md|csv|html|all ...]
 *   [--initial-capital 100000] [--risk-free 0.04] [--quiet]
 *
 * Builds the report of the period containing --date (default: today in New York; a weekend or holiday daily
 * report shows the trading day before), writes it to <REPORTS_DIR>/<period>/<key>.<ext> and prints the summary,
 * an ASCII equity chart and the per-symbol table.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_INITIAL_CAPITAL } from '../shared/analytics/conventions';
import { defaultReportDate } from '../shared/analytics/report/period';
import { REPORT_FORMATS, REPORT_PERIODS, type ReportFormat, type ReportPeriodKind } from '../shared/analytics/report/report-model';
import { renderTerminal } from '../shared/analytics/report/terminal';
import { generateReport } from '../shared/history/generate-report';
import { CliUsageError, cliClock, loadCliConfig, numberOption, openExistingDatabase, runCli, validDay } from './report/cli-common';

export function main(argv: string[] = hideBin(process.argv)): void {
  const args = yargs(argv)
    .scriptName('npm run report --')
    .option('period', { choices: REPORT_PERIODS, default: 'daily' as ReportPeriodKind, describe: 'report period' })
    .option('date', { type: 'string', describe: 'any day of the period, YYYY-MM-DD (default: today in New York)' })
    .option('format', { type: 'array', string: true, default: ['md'], describe: 'md, csv, html or all (repeatable)' })
    .option('initial-capital', { type: 'number', describe: `equity before the first day when none is recorded (env INITIAL_CAPITAL, default ${DEFAULT_INITIAL_CAPITAL})` })
    .option('risk-free', { type: 'number', describe: 'annual risk-free rate as a fraction, e.g. 0.04 (env RISK_FREE_RATE, default 0)' })
    .option('quiet', { type: 'boolean', default: false, describe: 'only print the files written' })
    .strict()
    .help()
    .parseSync();
  const formats = new Set<ReportFormat>();
  for (const f of args.format.flatMap((x) => String(x).split(','))) {
    if (f === 'all') REPORT_FORMATS.forEach((x) => formats.add(x));
    else if ((REPORT_FORMATS as readonly string[]).includes(f)) formats.add(f as ReportFormat);
    else throw new CliUsageError(`--format must be md, csv, html or all, got ${JSON.stringify(f)}`);
  }
  const config = loadCliConfig();
  const clock = cliClock(config);
  const db = openExistingDatabase(config.paths.db);
  try {
    const report = generateReport(db, clock, {
      period: args.period,
      date: validDay(args.date, 'date') ?? defaultReportDate(clock.now()),
      formats: [...formats],
      reportsDir: config.paths.reports,
      initialCapital: numberOption(args['initial-capital'], 'INITIAL_CAPITAL', DEFAULT_INITIAL_CAPITAL),
      riskFreeRate: numberOption(args['risk-free'], 'RISK_FREE_RATE', 0),
    });
    if (!args.quiet) process.stdout.write(`${renderTerminal(report.data)}\n\n`);
    process.stdout.write(`Wrote:\n${report.files.map((f) => `  ${f}`).join('\n')}\n`);
  } finally {
    db.close();
  }
}

if (require.main === module) runCli('report', () => main());
