import path from 'node:path';
import { sql } from 'drizzle-orm';
import { isValid as isPostcode, toNormalised } from 'postcode';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError, Problems, findColumn, parseNumber, readRows } from '../../platform/data/csv.ts';
import { analyze, copyRows, type Cell } from '../../platform/db/bulk.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { postcodes } from './schema.ts';

/**
 * A postcode as Patchwork keys it: upper case with one space before the inward code ("WN1 1AA"), from any
 * spacing or case a person types or a file holds ("wn11aa", " WN1  1AA ", the NSPL's 7-character "SR431AA").
 * Null when the text is not in the form of a UK postcode (the `postcode` package's check: A9 9AA, A99 9AA,
 * A9A 9AA, AA9 9AA, AA99 9AA or AA9A 9AA). A well-formed postcode may still not exist.
 */
export function normalisePostcode(text: string): string | null {
  const trimmed = text.trim();
  return trimmed && isPostcode(trimmed) ? toNormalised(trimmed) : null;
}

/**
 * The columns of the ONS National Statistics Postcode Lookup (NSPL) and ONS Postcode Directory (ONSPD) that
 * Patchwork reads, under the names either publication (and their later editions) use. The other columns of
 * the full files are ignored, so a council can load the whole country's file or its own area's extract.
 */
const fields = {
  postcode: { names: ['pcds', 'pcd', 'pcd2', 'pcd7', 'pcd8'], required: true },
  latitude: { names: ['lat'], required: true },
  longitude: { names: ['long'], required: true },
  oa11: { names: ['oa11', 'oa11cd'], required: false },
  lsoa11: { names: ['lsoa11', 'lsoa11cd'], required: false },
  oa21: { names: ['oa21', 'oa21cd'], required: false },
  lsoa21: { names: ['lsoa21', 'lsoa21cd'], required: false },
  ward: { names: ['ward', 'osward', /^wd\d\dcd$/i], required: true, hint: 'ward, osward or wd25cd' },
  lad: { names: ['laua', 'oslaua', /^lad\d\dcd$/i], required: true, hint: 'laua, oslaua or lad25cd' },
  introduced: { names: ['dointr'], required: true },
  terminated: { names: ['doterm'], required: true },
  userType: { names: ['usertype', 'usrtypind'], required: false },
  country: { names: ['ctry', /^ctry\d\dcd$/i], required: false },
} as const;
type Field = keyof typeof fields;

/** English GSS codes for each area column; "E99999999"-style pseudo codes and blanks mean "none". */
const codePatterns = {
  oa11: { pattern: /^E00\d{6}$/, label: 'an English output area code' },
  lsoa11: { pattern: /^E01\d{6}$/, label: 'an English LSOA code' },
  oa21: { pattern: /^E00\d{6}$/, label: 'an English output area code' },
  lsoa21: { pattern: /^E01\d{6}$/, label: 'an English LSOA code' },
  ward: { pattern: /^E05\d{6}$/, label: 'an English electoral ward code' },
  lad: { pattern: /^E0[6-9]\d{6}$/, label: 'an English local authority district code' },
} as const;
type CodeField = keyof typeof codePatterns;
const codeFields = Object.keys(codePatterns) as CodeField[];
const pseudoCode = /^[A-Z]99999999$/;

/** The NSPL's latitude for a postcode with no grid reference (its longitude is then 0). */
const noGridReference = 99.999999;
/** England (with the Isles of Scilly and a margin), to catch coordinates in the wrong columns or system. */
const england = { latitude: [49.8, 55.9], longitude: [-6.5, 1.8] } as const;

const postcodeColumns = ['postcode', 'display', 'location', 'oa11', 'lsoa11', 'oa21', 'lsoa21', 'ward', 'lad', 'introduced', 'terminated', 'user_type'] as const;
/** Rows per COPY: a whole-country file is ~2.7 million rows, sent in pieces rather than one huge string. */
const copyBatch = 200_000;

export type PostcodeImportResult = {
  files: number;
  /** English postcodes in the files (each loaded). */
  postcodes: number;
  added: number;
  changed: number;
  unchanged: number;
  /** Rows for Wales, Scotland, Northern Ireland, the Channel Islands and the Isle of Man: outside Patchwork's geography. */
  outsideEngland: number;
  withoutLocation: number;
  terminated: number;
};

export type PostcodeImportOptions = { progress?: (done: number, total: number, label: string) => void };

/** "199002" → "1990-02-01"; "" → null; anything else → undefined (a problem). */
function monthOf(text: string | undefined): string | null | undefined {
  const value = (text ?? '').trim();
  if (!value) return null;
  const match = /^(\d{4})(\d{2})$/.exec(value);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) return undefined;
  return `${match[1]}-${match[2]}-01`;
}

/**
 * Loads postcodes from NSPL or ONSPD CSV files (gzipped or not; the whole country or any extract). Every row
 * of every file is checked first — the postcode's form, its coordinates (latitude 99.999999 means the file has
 * no grid reference for it: kept without a location), each area code, the months introduced and terminated, the
 * user type, and no postcode twice — and any problem, named by file, row and column, refuses the whole import.
 * Rows outside England (by their country or district code) are skipped. Then one transaction adds new
 * postcodes and updates changed ones: a postcode never leaves the NSPL (a terminated one keeps its row, with
 * the month it ended), so nothing is deleted, and re-importing the same files writes nothing.
 */
export async function importPostcodes(db: Db, files: string | string[], actor: Actor, options: PostcodeImportOptions = {}): Promise<PostcodeImportResult> {
  const list = typeof files === 'string' ? [files] : files;
  if (!list.length) throw new ImportError('', [], 'No postcode file was given.');
  const progress = options.progress ?? (() => {});
  // One tab-separated line per postcode until written: a national file's rows as strings, not arrays of cells.
  const lines: string[] = [];
  /** Where each postcode was first seen, as file index × 10⁸ + row, to name both rows of a duplicate. */
  const seen = new Map<string, number>();
  let outsideEngland = 0;
  let withoutLocation = 0;
  let terminated = 0;

  for (const [index, file] of list.entries()) {
    progress(index, list.length, `checking ${path.basename(file)}`);
    const problems = new Problems();
    let columns: Partial<Record<Field, string>> | undefined;
    for await (const { row, values } of readRows(file)) {
      if (!columns) columns = recognise(file, Object.keys(values));
      const cell = (field: Field) => (columns![field] ? (values[columns![field]!] ?? '').trim() : '');
      const rawPostcode = cell('postcode');
      // A non-English row is skipped whole: its country is the first letter of its country or area codes.
      const country = [cell('country'), cell('lad'), cell('ward'), cell('lsoa21'), cell('lsoa11'), cell('oa21'), cell('oa11')].find((c) => c !== '')?.[0];
      if (country && country !== 'E') {
        outsideEngland++;
        continue;
      }
      const postcode = normalisePostcode(rawPostcode);
      if (!postcode) {
        problems.add(row, columns.postcode!, `"${rawPostcode}" is not a postcode`);
        continue;
      }
      const first = seen.get(postcode);
      if (first !== undefined) {
        const where = Math.floor(first / 1e8) === index ? `row ${first % 1e8}` : `${path.basename(list[Math.floor(first / 1e8)]!)} row ${first % 1e8}`;
        problems.add(row, columns.postcode!, `${postcode} is also on ${where}`);
        continue;
      }
      seen.set(postcode, index * 1e8 + row);

      let ok = true;
      const latitude = parseNumber(cell('latitude'));
      const longitude = parseNumber(cell('longitude'));
      let location: string | null = null;
      if (latitude === null || latitude === 'invalid') {
        problems.add(row, columns.latitude!, `"${cell('latitude')}" is not a latitude`);
        ok = false;
      } else if (longitude === null || longitude === 'invalid') {
        problems.add(row, columns.longitude!, `"${cell('longitude')}" is not a longitude`);
        ok = false;
      } else if (latitude !== noGridReference) {
        if (latitude < england.latitude[0] || latitude > england.latitude[1]) {
          problems.add(row, columns.latitude!, `latitude ${latitude} is not in England (${england.latitude[0]} to ${england.latitude[1]}; ${noGridReference} for no grid reference)`);
          ok = false;
        } else if (longitude < england.longitude[0] || longitude > england.longitude[1]) {
          problems.add(row, columns.longitude!, `longitude ${longitude} is not in England (${england.longitude[0]} to ${england.longitude[1]})`);
          ok = false;
        } else {
          location = `SRID=4326;POINT(${longitude} ${latitude})`;
        }
      }

      const codes = {} as Record<CodeField, string>;
      for (const field of codeFields) {
        const code = cell(field);
        if (code !== '' && !pseudoCode.test(code) && !codePatterns[field].pattern.test(code)) {
          problems.add(row, columns[field]!, `"${code}" is not ${codePatterns[field].label}`);
          ok = false;
        }
        codes[field] = code === '' || pseudoCode.test(code) ? '' : code;
      }

      const introduced = monthOf(cell('introduced'));
      const ended = monthOf(cell('terminated'));
      if (introduced === undefined) {
        problems.add(row, columns.introduced!, `"${cell('introduced')}" is not a month as yyyymm`);
        ok = false;
      }
      if (ended === undefined) {
        problems.add(row, columns.terminated!, `"${cell('terminated')}" is not a month as yyyymm (or empty for a live postcode)`);
        ok = false;
      }
      const userType = cell('userType');
      if (userType !== '' && userType !== '0' && userType !== '1') {
        problems.add(row, columns.userType!, `"${userType}" is not a user type (0 small user, 1 large user)`);
        ok = false;
      }
      if (problems.full) break;
      if (!ok) continue;
      if (!location) withoutLocation++;
      if (ended) terminated++;
      // pcds is the display form; the fixed-width forms (pcd "SR431AA", "B1  1AA") are shown normalised.
      const display = columns.postcode!.toLowerCase() === 'pcds' ? rawPostcode : postcode;
      lines.push([postcode, display, location ?? '', codes.oa11, codes.lsoa11, codes.oa21, codes.lsoa21, codes.ward, codes.lad, introduced ?? '', ended ?? '', userType].join('\t'));
    }
    if (!columns) throw new ImportError(file, [], `${file} has no rows.`);
    problems.throwIfAny(file);
  }

  progress(list.length - 1, list.length, `writing ${lines.length.toLocaleString('en-GB')} postcodes`);
  const written = await db.transaction(async (tx) => {
    const counts = await writePostcodes(tx, lines);
    await analyze(tx, 'postcodes');
    await recordAudit(tx, {
      actor,
      action: 'postcodes.imported',
      objectType: 'postcodes',
      objectId: list.map((f) => path.basename(f)).join(', '),
      details: { files: list.map((f) => path.basename(f)), postcodes: lines.length, ...counts, outsideEngland, withoutLocation, terminated },
    });
    return counts;
  });
  return { files: list.length, postcodes: lines.length, ...written, outsideEngland, withoutLocation, terminated };
}

function recognise(file: string, headers: string[]): Partial<Record<Field, string>> {
  const columns: Partial<Record<Field, string>> = {};
  const missing: string[] = [];
  for (const [field, spec] of Object.entries(fields) as [Field, (typeof fields)[Field]][]) {
    const column = findColumn(headers, [...spec.names]);
    if (column) columns[field] = column;
    else if (spec.required) missing.push(`${field} (${'hint' in spec ? spec.hint : spec.names.join(' or ')})`);
  }
  if (!columns.lsoa11 && !columns.lsoa21) missing.push('an LSOA (lsoa11 or lsoa21)');
  if (missing.length) {
    throw new ImportError(
      file,
      [],
      `${file} is not a postcode lookup Patchwork recognises (the ONS NSPL or ONSPD CSV): it has no column for ${missing.join(', ')}. Its columns are: ${headers.join(', ')}.`,
    );
  }
  return columns;
}

/** The stored lines as cells for COPY, a batch at a time. */
function* cellsOf(lines: string[], from: number, to: number): Generator<Cell[]> {
  for (let i = from; i < Math.min(to, lines.length); i++) yield lines[i]!.split('\t').map((v) => (v === '' ? null : v));
}

/**
 * A first load copies straight into the table. Later loads copy into a temporary table and merge, touching
 * only rows that differ (the embedded engine has no autovacuum to clear rows rewritten for nothing).
 */
async function writePostcodes(tx: Tx, lines: string[]): Promise<{ added: number; changed: number; unchanged: number }> {
  const [existing] = await queryRows<{ any: boolean }>(tx, sql`select exists (select 1 from ${postcodes}) as any`);
  if (!existing?.any) {
    for (let i = 0; i < lines.length; i += copyBatch) await copyRows(tx, 'postcodes', postcodeColumns, cellsOf(lines, i, i + copyBatch));
    return { added: lines.length, changed: 0, unchanged: 0 };
  }
  await tx.execute(sql`create temp table if not exists incoming_postcodes (like postcodes) on commit drop`);
  await tx.execute(sql`truncate incoming_postcodes`);
  for (let i = 0; i < lines.length; i += copyBatch) await copyRows(tx, 'incoming_postcodes', postcodeColumns, cellsOf(lines, i, i + copyBatch));
  const [merged] = await queryRows<{ added: number; changed: number }>(
    tx,
    sql`with merged as (
          insert into ${postcodes} (postcode, display, location, oa11, lsoa11, oa21, lsoa21, ward, lad, introduced, terminated, user_type)
          select postcode, display, location, oa11, lsoa11, oa21, lsoa21, ward, lad, introduced, terminated, user_type from incoming_postcodes
          on conflict (postcode) do update set
            display = excluded.display, location = excluded.location, oa11 = excluded.oa11, lsoa11 = excluded.lsoa11,
            oa21 = excluded.oa21, lsoa21 = excluded.lsoa21, ward = excluded.ward, lad = excluded.lad,
            introduced = excluded.introduced, terminated = excluded.terminated, user_type = excluded.user_type
          where (${postcodes.display}, ST_AsEWKB(${postcodes.location}), ${postcodes.oa11}, ${postcodes.lsoa11}, ${postcodes.oa21}, ${postcodes.lsoa21},
                 ${postcodes.ward}, ${postcodes.lad}, ${postcodes.introduced}, ${postcodes.terminated}, ${postcodes.userType})
            is distinct from (excluded.display, ST_AsEWKB(excluded.location), excluded.oa11, excluded.lsoa11, excluded.oa21, excluded.lsoa21,
                 excluded.ward, excluded.lad, excluded.introduced, excluded.terminated, excluded.user_type)
          returning (xmax = 0) as inserted
        )
        select count(*) filter (where inserted)::int as added, count(*) filter (where not inserted)::int as changed from merged`,
  );
  const added = merged?.added ?? 0;
  const changed = merged?.changed ?? 0;
  return { added, changed, unchanged: lines.length - added - changed };
}

/** A postcode as Patchwork holds it. Months are yyyy-mm; latitude and longitude are null without a grid reference. */
export type PostcodeRecord = {
  postcode: string;
  display: string;
  latitude: number | null;
  longitude: number | null;
  oa11: string | null;
  lsoa11: string | null;
  oa21: string | null;
  lsoa21: string | null;
  ward: string | null;
  lad: string | null;
  introduced: string | null;
  terminated: string | null;
  userType: 'small' | 'large' | null;
};

/**
 * What looking a postcode up found. A terminated postcode is still returned, with where it was, since old
 * addresses and records still carry it. `message` says, in words for the person who typed it, what is wrong
 * or worth knowing (null when nothing is).
 */
export type PostcodeLookup =
  | { status: 'found' | 'terminated'; postcode: PostcodeRecord; message: string | null }
  | { status: 'invalid' | 'not-found'; postcode: null; message: string };

/** Finds a postcode however it was typed ("wn11aa", " WN1 1AA "), or says why it cannot. */
export async function findPostcode(db: Tx, input: string): Promise<PostcodeLookup> {
  const normalised = normalisePostcode(input);
  if (!normalised) {
    const shown = input.trim();
    return { status: 'invalid', postcode: null, message: shown ? `"${shown}" is not a postcode: enter a postcode like WN1 1AA` : 'Enter a postcode, like WN1 1AA' };
  }
  const [row] = await queryRows<Omit<PostcodeRecord, 'userType'> & { user_type: number | null }>(
    db,
    sql`select postcode, display, ST_Y(location) as latitude, ST_X(location) as longitude, oa11, lsoa11, oa21, lsoa21, ward, lad,
          to_char(introduced, 'YYYY-MM') as introduced, to_char(terminated, 'YYYY-MM') as terminated, user_type
        from ${postcodes} where postcode = ${normalised}`,
  );
  if (!row) {
    const [any] = await queryRows<{ any: boolean }>(db, sql`select exists (select 1 from ${postcodes}) as any`);
    return {
      status: 'not-found',
      postcode: null,
      message: any?.any
        ? `${normalised} is not among the postcodes loaded into Patchwork`
        : `${normalised} cannot be looked up: no postcodes have been loaded yet (an administrator loads them with npx patchwork import postcodes)`,
    };
  }
  const { user_type, ...rest } = row;
  const record: PostcodeRecord = { ...rest, latitude: row.latitude === null ? null : Number(row.latitude), longitude: row.longitude === null ? null : Number(row.longitude), userType: user_type === null ? null : user_type === 1 ? 'large' : 'small' };
  const notes = [
    record.terminated ? `${record.postcode} was terminated in ${record.terminated}: it is no longer in use, and is shown where it was` : null,
    record.latitude === null ? `${record.postcode} has no grid reference in the postcode lookup, so it cannot be placed on a map` : null,
  ].filter((n): n is string => n !== null);
  return { status: record.terminated ? 'terminated' : 'found', postcode: record, message: notes.length ? `${notes.join('; ')}.` : null };
}
