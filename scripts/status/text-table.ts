import Table from 'cli-table3';

export type Tone = 'red' | 'yellow' | 'green' | 'bold' | 'dim';

const ANSI: Record<Tone, [string, string]> = {
  red: ['\x1b[31;1m', '\x1b[0m'],
  yellow: ['\x1b[33m', '\x1b[0m'],
  green: ['\x1b[32m', '\x1b[0m'],
  bold: ['\x1b[1m', '\x1b[0m'],
  dim: ['\x1b[2m', '\x1b[0m'],
};

/** Colour only for a terminal: piped output, files and --json never carry escape codes. */
export function paint(text: string, tone: Tone, color: boolean): string {
  if (!color) return text;
  const [open, close] = ANSI[tone];
  return `${open}${text}${close}`;
}

/** A cli-table3 table; without colour, cli-table3's default red headers are switched off too. */
export function textTable(head: string[], rows: Array<Array<string | number>>, color: boolean): string {
  const table = new Table({ head, style: { head: color ? ['bold'] : [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 } });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}
