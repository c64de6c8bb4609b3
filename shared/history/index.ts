/** Trade history (round_trips), daily summaries, journal import/export and report generation over the shared DB. */
export * from './types';
export { TradeHistoryRepository, type NewTrade, type TradeExit, type CloseTradeResult, type OverallStats } from './trade-history-repository';
export { DailySummaryRepository, type DailySummary, type EquityUpdate } from './daily-summary-repository';
export { PipelineHistoryRepository, type PipelineActivity } from './pipeline-history-repository';
export { PerformanceLoader, dailyRecordsOf, type PerformanceQuery, type PerformanceResult } from './performance-loader';
export { tradingDayStartIso, tradingDayEndIso } from './trading-day-bounds';
export { journalTradeSchema, type JournalFile, type JournalTrade, type JournalProblem } from './journal-format';
export { JournalValidationError } from './journal-errors';
export { importJournal, importJournalFile, parseJournal, journalPositionId, type ImportResult, type NormalizedJournalTrade } from './journal-import';
export { tradesToCsv, tradesToJournal, TRADE_CSV_COLUMNS, type ExportedJournalTrade } from './journal-export';
export { loadReportData, type ReportRequest } from './report-data';
export { generateReport, renderReportFiles, type GenerateReportOptions, type GeneratedReport } from './generate-report';
