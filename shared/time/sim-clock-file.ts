import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors/errors';
import type { CompressedClockAnchor } from './compressed-clock';

/**
 * The compressed clock's anchor lives in one small JSON file that every process of a simulated system reads.
 * The first process to start creates it with an exclusive create (O_EXCL), so concurrent starters agree on
 * one anchor; later starts and restarts read it, so a restarted bot is on the same market time as the rest.
 */
export function loadOrCreateClockAnchor(file: string, create: () => CompressedClockAnchor): CompressedClockAnchor {
  const existing = readClockAnchor(file);
  if (existing) return existing;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const anchor = create();
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(anchor, null, 2));
  try {
    fs.linkSync(tmp, file); // atomic and fails if another process won the race
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return readClockAnchor(file) ?? anchor;
}

export function readClockAnchor(file: string): CompressedClockAnchor | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: Partial<CompressedClockAnchor>;
  try {
    value = JSON.parse(text) as Partial<CompressedClockAnchor>;
  } catch {
    throw new ConfigError([`SIM_CLOCK_FILE ${file} is not valid JSON: delete it (the next start writes a new one)`]);
  }
  const ok =
    typeof value.epochRealMs === 'number' &&
    typeof value.speed === 'number' && value.speed >= 1 &&
    typeof value.startDay === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value.startDay) &&
    typeof value.dayStart === 'string' && typeof value.dayEnd === 'string';
  if (!ok) throw new ConfigError([`SIM_CLOCK_FILE ${file} is missing fields (epochRealMs, startDay, speed, dayStart, dayEnd): delete it`]);
  return value as CompressedClockAnchor;
}

export function writeClockAnchor(file: string, anchor: CompressedClockAnchor): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(anchor, null, 2));
  fs.renameSync(tmp, file);
}
