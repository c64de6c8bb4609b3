import fs from 'node:fs';
import path from 'node:path';

/**
 * The daily copies in BACKUP_DIR: `<db name>-<YYYY-MM-DD>.db` (the trading day it was taken on) with its
 * manifest `<same>.json` (counts, checks, sizes). One copy per day: a second backup the same day replaces
 * the first (atomically). Pure naming and selection here; the copying is db-backup.ts.
 */
export interface BackupFile {
  file: string;
  day: string;
  manifest: string;
}

export function backupBaseName(dbPath: string): string {
  return path.basename(dbPath).replace(/\.(db|sqlite3?)$/i, '');
}

export function backupFileFor(backupDir: string, dbPath: string, day: string): string {
  return path.join(backupDir, `${backupBaseName(dbPath)}-${day}.db`);
}

export function manifestFor(backupFile: string): string {
  return backupFile.replace(/\.db$/, '.json');
}

/** The daily copies of `dbPath` in `backupDir`, newest day first (other files are never touched). */
export function listBackups(backupDir: string, dbPath: string): BackupFile[] {
  if (!fs.existsSync(backupDir)) return [];
  const pattern = new RegExp(`^${escapeRegExp(backupBaseName(dbPath))}-(\\d{4}-\\d{2}-\\d{2})\\.db$`);
  const found: BackupFile[] = [];
  for (const name of fs.readdirSync(backupDir)) {
    const match = pattern.exec(name);
    if (match) found.push({ file: path.join(backupDir, name), day: match[1]!, manifest: manifestFor(path.join(backupDir, name)) });
  }
  return found.sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0));
}

/** The copies beyond the newest `keep` days. */
export function backupsToPrune(backups: readonly BackupFile[], keep: number): BackupFile[] {
  return backups.slice(Math.max(0, keep));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
