import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import readExcelFile from 'read-excel-file/node';

/**
 * A problem with one cell of an imported file, located the way a person opening it would look; row 0
 * for a problem of the whole file (a rank given twice, an LSOA missing).
 */
export type RowProblem = { row: number; column: string; message: string };

/**
 * An import that was refused. Nothing was changed. The message names the first problems by row and
 * column (row 1 is the header, so the first data row is row 2, as in a spreadsheet).
 */
export class ImportError extends Error {
  override name = 'ImportError';
  constructor(
    public readonly file: string,
    public readonly problems: RowProblem[],
    summary?: string,
  ) {
    const headline = summary ?? `${file} was not imported: nothing has changed.`;
    super(
      `${/nothing has changed/i.test(headline) ? headline : `${headline} Nothing has changed.`}\n` +
        problems
          .slice(0, 10)
          .map((p) => `  ${p.row ? `row ${p.row}, ` : ''}column "${p.column}": ${p.message}`)
          .join('\n') +
        (problems.length > 10 ? `\n  …and ${problems.length - 10} more problems` : ''),
    );
  }
}

/** Collects problems while a file is checked, and stops reading once there are too many to be useful. */
export class Problems {
  readonly list: RowProblem[] = [];
  constructor(private readonly limit = 100) {}
  add(row: number, column: string, message: string): void {
    if (this.list.length < this.limit) this.list.push({ row, column, message });
  }
  get full(): boolean {
    return this.list.length >= this.limit;
  }
  throwIfAny(file: string): void {
    if (this.list.length) throw new ImportError(file, this.list);
  }
}

export type CsvRow = { row: number; values: Record<string, string> };

/**
 * Reads a CSV (gzipped when the name ends .gz) as objects keyed by the header, tolerating a UTF-8
 * byte-order mark and surrounding spaces in headings.
 */
export async function* readCsv(file: string): AsyncGenerator<CsvRow, void, undefined> {
  const raw = createReadStream(file);
  const parser = parse({ bom: true, columns: (header: string[]) => header.map((h) => h.trim()), skip_empty_lines: true, relax_column_count: false });
  const source = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (error: Error) => parser.destroy(error));
  source.on('error', (error: Error) => parser.destroy(error));
  source.pipe(parser);
  let row = 1;
  try {
    for await (const values of parser as AsyncIterable<Record<string, string>>) {
      row++;
      yield { row, values };
    }
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { code?: string; lines?: number };
    if (e.code === 'ENOENT') throw new ImportError(file, [], `${file} does not exist.`);
    throw new ImportError(file, [{ row: (e.lines ?? row) as number, column: '(row)', message: e.message }], `${file} is not a readable CSV file: nothing has changed.`);
  }
}

/**
 * Reads a table from a CSV (optionally gzipped) or an Excel workbook (.xlsx, the form several government
 * statistics are published in), yielding the same rows either way so every importer accepts both.
 */
export function readRows(file: string): AsyncGenerator<CsvRow, void, undefined> {
  return /\.xlsx$/i.test(file) ? readXlsx(file) : readCsv(file);
}

/**
 * The rows of a workbook's data sheet: the first sheet whose heading row has at least two headings (the
 * published IoD workbooks open with a "Notes" sheet of prose in one column). Numbers become their plain
 * decimal text, as they would be in a CSV.
 */
async function* readXlsx(file: string): AsyncGenerator<CsvRow, void, undefined> {
  let sheets: { sheet: string; data: unknown[][] }[];
  try {
    sheets = (await readExcelFile(file)) as { sheet: string; data: unknown[][] }[];
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new ImportError(file, [], `${file} does not exist.`);
    throw new ImportError(file, [], `${file} is not a readable Excel workbook (${e.message}): save it as .xlsx or CSV. Nothing has changed.`);
  }
  const headed = sheets.find((s) => (s.data[0] ?? []).filter((c) => c !== null && String(c).trim() !== '').length >= 2);
  if (!headed) throw new ImportError(file, [], `${file} has no sheet with a heading row: the first row of the data sheet must name its columns.`);
  const headers = headed.data[0]!.map((h) => (h === null || h === undefined ? '' : String(h).trim()));
  for (let i = 1; i < headed.data.length; i++) {
    const cells = headed.data[i]!;
    if (cells.every((c) => c === null || c === undefined || String(c).trim() === '')) continue;
    const values: Record<string, string> = {};
    headers.forEach((h, j) => {
      const cell = cells[j];
      values[h] = cell === null || cell === undefined ? '' : cell instanceof Date ? cell.toISOString().slice(0, 10) : String(cell);
    });
    yield { row: i + 1, values };
  }
}

/** The column of a file holding a field, from a list of headings different publications use for it. */
export function findColumn(headers: string[], candidates: (string | RegExp)[]): string | undefined {
  for (const candidate of candidates) {
    const found = headers.find((h) => (typeof candidate === 'string' ? h.toLowerCase() === candidate.toLowerCase() : candidate.test(h)));
    if (found) return found;
  }
  return undefined;
}

/** A number as published: "29,199" and " 12.5 " are numbers; "" is null; anything else is an error. */
export function parseNumber(text: string | undefined): number | null | 'invalid' {
  if (text === undefined) return null;
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toUpperCase() === 'NA') return null;
  const cleaned = /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(trimmed) ? trimmed.replace(/,/g, '') : trimmed;
  const n = Number(cleaned);
  return Number.isFinite(n) && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(cleaned) ? n : 'invalid';
}

export const gssPattern = { lsoa: /^E01\d{6}$/, ward: /^[EW]05\d{6}$/, lad: /^E0[6-9]\d{6}$/, ccg: /^E38\d{6}$/ } as const;

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, tab or carriage return first) gets an apostrophe
 * before it, so an export cannot carry `=HYPERLINK(…)` into someone's spreadsheet; plain numbers are left alone.
 */
export const guardCell = (value: string) => (/^[=+\-@\t\r]/.test(value) && !/^[-+]?\d+(\.\d+)?$/.test(value) ? `'${value}` : value);

/** Undoes guardCell when a file Patchwork exported is imported again. */
export const unguardCell = (value: string) => (/^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value);

/** A CSV for spreadsheets: a UTF-8 byte-order mark first (so Excel reads accents and £ signs rightly), CRLF line ends, every cell guarded. */
export function spreadsheetCsv(columns: string[], rows: string[][]): string {
  return `\uFEFF${stringify(rows.map((r) => r.map(guardCell)), { header: true, columns, record_delimiter: '\r\n' })}`;
}

/**
 * Reads an uploaded file's bytes with `read` (which takes a path, as readRows does): an Excel workbook as it is,
 * a CSV as UTF-8 or, failing that, Windows-1252 (what Excel on Windows saves as "CSV"). The bytes are written to a
 * private temporary file, removed afterwards; an ImportError names the file as uploaded, not the temporary copy.
 */
export async function readUpload<T>(bytes: Buffer, file: string, read: (saved: string) => Promise<T>): Promise<T> {
  const workbook = bytes[0] === 0x50 && bytes[1] === 0x4b;
  let content = bytes;
  if (!workbook) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      content = Buffer.from(new TextDecoder('windows-1252').decode(bytes), 'utf8');
    }
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'patchwork-upload-'));
  const saved = path.join(dir, workbook ? 'upload.xlsx' : 'upload.csv');
  try {
    await writeFile(saved, content, { mode: 0o600 });
    return await read(saved);
  } catch (error) {
    if (!(error instanceof ImportError)) throw error;
    const named = (text: string) => text.split(saved).join(file);
    throw new ImportError(file, error.problems.map((p) => ({ ...p, message: named(p.message) })), named(error.message.split('\n')[0]!));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
