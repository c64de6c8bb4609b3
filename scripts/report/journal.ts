/**
 * npm run journal -- import <file.json>
 * npm run journal -- export [--format json|csv] [--out FILE] [--symbol X] [--agent A] [--status OPEN|CLOSED]
 *   [--from YYYY-MM-DD] [--to YYYY-MM-DD]
 *
 * Imports a JSON trade journal (format: shared/history/journal-format.ts) into the trade history, idempotently,
 * or exports the trade history as JSON (the same format, re-importable) or CSV. Export prints to stdout unless --out.
 */
import fs from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isoTime } from '../../shared/db/types';
import { tradesToCsv, tradesToJournal } from '../../shared/history/journal-export';
import { importJournalFile } from '../../shared/history/journal-import';
import { TradeHistoryRepository } from '../../shared/history/trade-history-repository';
import { openDatabase } from '../../shared/db/open-database';
import { CliUsageError, cliClock, loadCliConfig, openExistingDatabase, runCli, validDay } from './cli-common';

export function main(argv: string[] = hideBin(process.argv)): void {
  const config = loadCliConfig();
  const clock = cliClock(config);
  yargs(argv)
    .scriptName('npm run journal --')
    .command('import <file>', 'import a JSON trade journal', (y) => y.positional('file', { type: 'string', demandOption: true }), (args) => {
      // Import creates the DB when there is none yet (a first-time user bringing their history).
      const db = openDatabase(config.paths.db);
      try {
        const result = importJournalFile(db, clock, path.resolve(args.file));
        process.stdout.write(`imported ${result.inserted} new trade(s), closed ${result.closed}, ${result.unchanged} already present` +
          `${result.conflicts.length ? `, ${result.conflicts.length} conflict(s)` : ''}\n`);
        for (const c of result.conflicts) process.stdout.write(`  trades[${c.row}] ${c.positionId}: ${c.reason}\n`);
      } finally {
        db.close();
      }
    })
    .command('export', 'export the trade history', (y) => y
      .option('format', { choices: ['json', 'csv'] as const, default: 'json' as 'json' | 'csv' })
      .option('out', { type: 'string', describe: 'file to write (default: stdout)' })
      .option('symbol', { type: 'string' })
      .option('agent', { type: 'string' })
      .option('status', { choices: ['OPEN', 'CLOSED'] as const })
      .option('from', { type: 'string' })
      .option('to', { type: 'string' }), (args) => {
      const db = openExistingDatabase(config.paths.db);
      try {
        const trades = new TradeHistoryRepository(db, clock).list({
          symbol: args.symbol, agentName: args.agent, status: args.status, from: validDay(args.from, 'from'), to: validDay(args.to, 'to'),
        });
        const text = args.format === 'csv' ? tradesToCsv(trades) : `${JSON.stringify(tradesToJournal(trades, isoTime(clock.now())), null, 2)}\n`;
        if (args.out) {
          fs.writeFileSync(args.out, text);
          process.stderr.write(`wrote ${trades.length} trade(s) to ${args.out}\n`);
        } else process.stdout.write(text);
      } finally {
        db.close();
      }
    })
    .demandCommand(1, 'say import or export')
    .fail((message, error) => {
      throw error ?? new CliUsageError(message);
    })
    .strict()
    .help()
    .parseSync();
}

if (require.main === module) runCli('journal', () => main());
