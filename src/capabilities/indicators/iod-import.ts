import path from 'node:path';
import { count, eq, inArray, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError, Problems, findColumn, parseNumber, readRows } from '../../platform/data/csv.ts';
import { analyze, copyRows } from '../../platform/db/bulk.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { ensureVintages, knownVintages, replaceLookups, upsertAreas } from '../geography/lookups.ts';
import { areas } from '../geography/schema.ts';
import { editions, indicators, indicatorValues } from './schema.ts';
import { refreshSummaries, type LsoaValue } from './summaries.ts';

const ogl = 'Open Government Licence v3.0';

/** The editions Patchwork knows how to load: which geography each was published on, and its denominators. */
export const editionCatalogue = {
  iod2015: {
    label: 'English Indices of Deprivation 2015',
    lsoaVintage: 'lsoa11',
    ladVintage: 'lad13',
    wardVintage: 'ward19',
    populationIndicatorId: 'population.mid2015.lsoa11',
    publishedOn: '2015-09-30',
    publisher: 'Department for Communities and Local Government',
  },
  iod2019: {
    label: 'English Indices of Deprivation 2019',
    lsoaVintage: 'lsoa11',
    ladVintage: 'lad19',
    wardVintage: 'ward19',
    populationIndicatorId: 'population.mid2015.lsoa11',
    publishedOn: '2019-09-26',
    publisher: 'Ministry of Housing, Communities and Local Government',
  },
  iod2025: {
    label: 'English Indices of Deprivation 2025',
    lsoaVintage: 'lsoa21',
    ladVintage: 'lad24',
    wardVintage: 'ward24',
    populationIndicatorId: 'population.mid2020-estimate.lsoa21',
    publishedOn: '2025-10-30',
    publisher: 'Ministry of Housing, Communities and Local Government',
  },
} as const;
export type EditionId = keyof typeof editionCatalogue;

/** The IMD and its seven domains, with the heading prefixes the published files and tidy copies use. */
export const domains = [
  { key: 'imd', label: 'Index of Multiple Deprivation', prefix: 'index of multiple deprivation \\(imd\\)|imd' },
  { key: 'income', label: 'Income', prefix: 'income(?! deprivation affecting)' },
  { key: 'employment', label: 'Employment', prefix: 'employment' },
  { key: 'education', label: 'Education, Skills and Training', prefix: 'education, skills and training|education' },
  { key: 'health', label: 'Health Deprivation and Disability', prefix: 'health deprivation and disability|health' },
  { key: 'crime', label: 'Crime', prefix: 'crime' },
  { key: 'housing', label: 'Barriers to Housing and Services', prefix: 'barriers to housing and services|housing_and_access|housing_and_services' },
  { key: 'environment', label: 'Living Environment', prefix: 'living environment|environment' },
] as const;
type Measure = 'rank' | 'decile' | 'score';

type LsoaRecord = { name?: string; lad?: { code: string; name: string }; fields: Map<string, number> };

/** Which columns of a file hold what: recognised from the headings, whatever the publication. */
function mapColumns(headers: string[]) {
  const composite = headers.includes('nation') && headers.includes('overall_local_score');
  const code = composite ? 'lsoa' : findColumn(headers, [/^lsoa code \((2011|2021)\)$/i, /^lsoa(11|21)_?c(o)?d(e)?$/i, 'lsoa_code']);
  const fields: { column: string; key: string; scale: number }[] = [];
  if (composite) {
    // mySociety's composite UK IMD carries the IoD2019 IMD score, and income and employment rates as percentages.
    fields.push({ column: 'overall_local_score', key: 'imd.score', scale: 1 }, { column: 'income_score', key: 'income.score', scale: 0.01 }, { column: 'employment_score', key: 'employment.score', scale: 0.01 });
  } else {
    for (const domain of domains) {
      for (const measure of ['rank', 'decile', 'score'] as Measure[]) {
        const column = headers.find((h) => new RegExp(`^(${domain.prefix})[ _]${measure}\\b`, 'i').test(h));
        if (column) fields.push({ column, key: `${domain.key}.${measure}`, scale: 1 });
      }
    }
  }
  return {
    composite,
    code,
    name: findColumn(headers, [/^lsoa name \((2011|2021)\)$/i, /^lsoa(11|21)_?n(a)?m(e)?$/i]),
    ladCode: findColumn(headers, [/^local authority district code \(\d{4}\)$/i, /^lad\d{2}_?c(o)?d(e)?$/i]),
    ladName: findColumn(headers, [/^local authority district name \(\d{4}\)$/i, /^lad\d{2}_?n(a)?m(e)?$/i]),
    fields,
  };
}

export type IodImportResult = { edition: EditionId; lsoas: number; indicators: string[]; lads: number; wards: number };

/**
 * Loads one edition from one or more files (e.g. IoD2019's File 2 for ranks and deciles plus a file of
 * scores). Every row of every file is checked before anything is written; then the edition's values are
 * replaced in one transaction and its summaries recomputed, so re-importing the same files changes nothing
 * and a bad file leaves the previous data as it was.
 */
export async function importIodEdition(db: Db, editionId: string, files: string[], actor: Actor): Promise<IodImportResult> {
  const catalogue = editionCatalogue[editionId as EditionId];
  if (!catalogue) throw new ImportError(files.join(', '), [], `"${editionId}" is not an edition Patchwork knows. Known editions: ${Object.keys(editionCatalogue).join(', ')}.`);
  const vintage = knownVintages[catalogue.lsoaVintage]!;
  const records = new Map<string, LsoaRecord>();
  // Where each measure of each LSOA came from, for messages: field key → code → "file row n".
  const rowOf = new Map<string, Map<string, number>>();
  const problems = new Problems();
  const fieldFiles = new Map<string, string>();

  for (const file of files) {
    let columns: ReturnType<typeof mapColumns> | undefined;
    const seen = new Set<string>();
    for await (const { row, values } of readRows(file)) {
      if (!columns) {
        columns = mapColumns(Object.keys(values));
        if (!columns.code) throw new ImportError(file, [], `${file} has no LSOA code column Patchwork recognises. Its columns are: ${Object.keys(values).join(', ')}.`);
        if (!columns.fields.length) throw new ImportError(file, [], `${file} has no IMD or domain rank, decile or score columns Patchwork recognises.`);
        for (const f of columns.fields) {
          const earlier = fieldFiles.get(f.key);
          if (earlier) throw new ImportError(file, [], `${path.basename(file)} and ${path.basename(earlier)} both give ${f.key}: give each measure once.`);
          fieldFiles.set(f.key, file);
        }
      }
      if (columns.composite && values.nation !== 'E') continue;
      const code = (values[columns.code!] ?? '').trim();
      if (!vintage.pattern.test(code)) {
        problems.add(row, columns.code!, `"${code}" is not an English LSOA code (E01 and six digits)`);
        continue;
      }
      if (seen.has(code)) {
        problems.add(row, columns.code!, `${code} appears more than once`);
        continue;
      }
      seen.add(code);
      rowOf.set(file, rowOf.get(file) ?? new Map());
      rowOf.get(file)!.set(code, row);
      const record: LsoaRecord = records.get(code) ?? { fields: new Map() };
      records.set(code, record);
      // PostgreSQL text cannot hold a NUL character: a name with one is a damaged file, not a name.
      if (columns.name && values[columns.name]?.includes('\0')) problems.add(row, columns.name, `the name of ${code} contains a NUL character`);
      else if (columns.name && values[columns.name]) record.name = values[columns.name]!.trim();
      if (columns.ladCode && values[columns.ladCode]) {
        const lad = values[columns.ladCode]!.trim();
        if (!/^E0[6-9]\d{6}$/.test(lad)) problems.add(row, columns.ladCode, `"${lad}" is not a local authority district code`);
        else if (columns.ladName && values[columns.ladName]?.includes('\0')) problems.add(row, columns.ladName, `the name of ${lad} contains a NUL character`);
        else record.lad = { code: lad, name: (columns.ladName ? values[columns.ladName] : undefined)?.trim() || lad };
      }
      for (const field of columns.fields) {
        const parsed = parseNumber(values[field.column]);
        if (parsed === 'invalid') {
          problems.add(row, field.column, `"${values[field.column]}" is not a number`);
          continue;
        }
        if (parsed === null) continue;
        const measure = field.key.split('.')[1] as Measure;
        if (measure === 'decile' && (!Number.isInteger(parsed) || parsed < 1 || parsed > 10)) problems.add(row, field.column, `decile ${parsed} is not a whole number from 1 to 10`);
        else if (measure === 'rank' && (!Number.isInteger(parsed) || parsed < 1)) problems.add(row, field.column, `rank ${parsed} is not a whole number of 1 or more`);
        else {
          record.fields.set(field.key, parsed * field.scale);
        }
      }
      if (problems.full) break;
    }
    if (!columns) throw new ImportError(file, [], `${file} has no rows.`);
  }
  problems.throwIfAny(files.join(', '));

  const n = records.size;
  const setProblems: { row: number; column: string; message: string }[] = [];
  const where = (key: string, code: string) => {
    const file = fieldFiles.get(key)!;
    return `${path.basename(file)} row ${rowOf.get(file)?.get(code) ?? '?'}`;
  };
  for (const domain of domains) {
    const rankKey = `${domain.key}.rank`;
    if (!fieldFiles.has(rankKey)) continue;
    const ranks: number[] = [];
    for (const [code, record] of records) {
      const rank = record.fields.get(rankKey);
      if (rank === undefined) setProblems.push({ row: 0, column: rankKey, message: `${code} has no ${domain.label} rank` });
      else if (rank > n) setProblems.push({ row: 0, column: rankKey, message: `${code} (${where(rankKey, code)}) has rank ${rank}, but there are only ${n} LSOAs` });
      else ranks.push(rank);
      // Deciles follow from ranks: decile = ⌈10 × rank / N⌉ (true of every published edition).
      const decile = record.fields.get(`${domain.key}.decile`);
      if (rank !== undefined && decile !== undefined && decile !== Math.ceil((10 * rank) / n)) {
        setProblems.push({ row: 0, column: `${domain.key}.decile`, message: `${code} (${where(rankKey, code)}) has rank ${rank} but decile ${decile}; with ${n} LSOAs that rank is decile ${Math.ceil((10 * rank) / n)}` });
      }
      if (setProblems.length >= 20) break;
    }
    // Published ranks are a standard competition ranking ("1224"): equal scores share a rank and the next
    // rank skips. So in sorted order each new rank equals its position: ranks 1..N with no gap or repeat.
    ranks.sort((a, b) => a - b);
    for (let i = 0; i < ranks.length; i++) {
      if ((i === 0 || ranks[i] !== ranks[i - 1]) && ranks[i] !== i + 1) {
        setProblems.push({ row: 0, column: rankKey, message: `${domain.label} ranks are not 1 to ${n} in order: the ${ordinal(i + 1)} lowest rank is ${ranks[i]}, expected ${i + 1} (or a tie with the rank before)` });
        break;
      }
    }
  }
  if (!fieldFiles.has('imd.rank')) setProblems.push({ row: 0, column: 'imd.rank', message: 'no file gives the IMD rank' });
  if (setProblems.length) {
    throw new ImportError(files.join(', '), setProblems.map((p) => ({ ...p, row: p.row || 0 })), `${files.map((f) => path.basename(f)).join(', ')} were not imported: nothing has changed.`);
  }

  return db.transaction(async (tx) => {
    await ensureVintages(tx, [catalogue.lsoaVintage, catalogue.ladVintage]);
    await checkKnownLsoas(tx, catalogue.lsoaVintage, records, files);
    const named = [...records].filter(([, r]) => r.name).map(([code, r]) => ({ code, name: r.name! }));
    if (named.length) await upsertAreas(tx, catalogue.lsoaVintage, named);
    await ensureAreas(tx, catalogue.lsoaVintage, [...records.keys()]);

    // Where the file itself says which district each LSOA is in, that is the edition's own geography.
    const withLad = [...records].filter(([, r]) => r.lad);
    if (withLad.length) {
      const lads = new Map(withLad.map(([, r]) => [r.lad!.code, r.lad!.name]));
      await upsertAreas(tx, catalogue.ladVintage, [...lads].map(([code, name]) => ({ code, name })));
      const source = path.basename(files.find((f) => f) ?? editionId);
      await replaceLookups(
        tx,
        [[catalogue.lsoaVintage, catalogue.ladVintage]],
        withLad.map(([code, r]) => ({ fromVintage: catalogue.lsoaVintage, fromCode: code, toVintage: catalogue.ladVintage, toCode: r.lad!.code, method: 'published', changeCode: null, source })),
        source,
      );
    }

    await tx
      .insert(editions)
      .values({ id: editionId, ...catalogue, licence: ogl, lsoaCount: n })
      .onConflictDoUpdate({ target: editions.id, set: { ...catalogue, licence: ogl, lsoaCount: n, importedAt: new Date() } });

    const loaded: string[] = [];
    // Summaries are computed from the values just checked, rather than read back from the database.
    const inMemory = new Map<string, Map<string, LsoaValue>>();
    const rows: ValueRow[] = [];
    for (const domain of domains) {
      const keys = (['rank', 'decile', 'score'] as Measure[]).filter((m) => fieldFiles.has(`${domain.key}.${m}`));
      if (!keys.length) continue;
      const id = `${editionId}.${domain.key}`;
      const indicator = {
        id,
        editionId,
        domain: domain.key,
        label: `${domain.label} (${catalogue.label.replace('English Indices of Deprivation ', 'IoD')})`,
        unit: domain.key === 'income' || domain.key === 'employment' ? 'rate' : 'score',
        direction: 'higher-is-worse' as const,
        vintage: catalogue.lsoaVintage,
        period: catalogue.publishedOn.slice(0, 4),
        source: `${catalogue.publisher}, ${catalogue.label}`,
        licence: ogl,
      };
      await tx.insert(indicators).values(indicator).onConflictDoUpdate({ target: indicators.id, set: indicator });
      loaded.push(id);
      const measures = new Map<string, LsoaValue>();
      for (const [code, r] of records) {
        const score = r.fields.get(`${domain.key}.score`) ?? null;
        const rank = r.fields.get(`${domain.key}.rank`) ?? null;
        const decile = r.fields.get(`${domain.key}.decile`) ?? null;
        rows.push([id, code, score, rank, decile]);
        if (rank !== null) measures.set(code, { rank, decile, score });
      }
      inMemory.set(id, measures);
    }
    await replaceValues(tx, loaded, rows);
    const summaries = await refreshSummaries(tx, editionId, inMemory);
    await analyze(tx, 'areas', 'area_lookups', 'indicator_values', 'area_summaries');
    await recordAudit(tx, { actor, action: 'edition.imported', objectType: 'edition', objectId: editionId, details: { files: files.map((f) => path.basename(f)), lsoas: n, indicators: loaded, ...summaries } });
    return { edition: editionId as EditionId, lsoas: n, indicators: loaded, ...summaries };
  });
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** One value of one indicator for one area: [indicator id, area code, value, rank, decile]. */
export type ValueRow = readonly [string, string, number | null, number | null, number | null];
const valueColumns = ['indicator_id', 'code', 'value', 'rank', 'decile'] as const;

/**
 * Makes the values of these indicators exactly these rows: changed rows updated, new ones inserted,
 * vanished ones deleted, so re-importing identical data writes nothing (the embedded engine has no
 * autovacuum to clear the dead rows a delete-and-reload would leave). A first load copies straight in.
 */
export async function replaceValues(tx: Tx, indicatorIds: string[], rows: Iterable<ValueRow>): Promise<void> {
  const [existing] = await queryRows<{ any: boolean }>(tx, sql`select exists (select 1 from ${indicatorValues} where indicator_id = any(${sql.param(indicatorIds)}::text[])) as any`);
  if (!existing?.any) {
    await copyRows(tx, 'indicator_values', valueColumns, rows);
    return;
  }
  await tx.execute(sql`create temp table if not exists incoming_values (indicator_id text, code text, value float8, rank int, decile smallint) on commit drop`);
  await tx.execute(sql`truncate incoming_values`);
  await copyRows(tx, 'incoming_values', valueColumns, rows);
  await tx.execute(sql`
    insert into ${indicatorValues} (indicator_id, code, value, rank, decile)
    select indicator_id, code, value, rank, decile from incoming_values
    on conflict (indicator_id, code) do update set value = excluded.value, rank = excluded.rank, decile = excluded.decile
    where (${indicatorValues.value}, ${indicatorValues.rank}, ${indicatorValues.decile}) is distinct from (excluded.value, excluded.rank, excluded.decile)`);
  await tx.execute(sql`
    delete from ${indicatorValues} v where v.indicator_id = any(${sql.param(indicatorIds)}::text[])
    and not exists (select 1 from incoming_values i where i.indicator_id = v.indicator_id and i.code = v.code)`);
}

/** When the LSOAs of this vintage are already known (from a lookup), every row must be one of them, and all must be there. */
async function checkKnownLsoas(tx: Tx, vintage: string, records: Map<string, unknown>, files: string[]): Promise<void> {
  const [known] = await tx.select({ n: count() }).from(areas).where(eq(areas.vintage, vintage));
  if (!known || known.n === 0) return;
  const knownCodes = new Set((await tx.select({ code: areas.code }).from(areas).where(eq(areas.vintage, vintage))).map((a) => a.code));
  const unknown = [...records.keys()].filter((c) => !knownCodes.has(c));
  const missing = [...knownCodes].filter((c) => !records.has(c));
  const problems = [
    ...unknown.slice(0, 10).map((c) => ({ row: 0, column: 'LSOA code', message: `${c} is not a known ${knownVintages[vintage]!.label} code` })),
    ...missing.slice(0, 10).map((c) => ({ row: 0, column: 'LSOA code', message: `${c} is missing: every ${knownVintages[vintage]!.label} needs a row` })),
  ];
  if (problems.length) throw new ImportError(files.join(', '), problems, `${files.map((f) => path.basename(f)).join(', ')} were not imported: nothing has changed (${unknown.length} unknown and ${missing.length} missing LSOAs).`);
}

async function ensureAreas(tx: Tx, vintage: string, codes: string[]): Promise<void> {
  const existing = new Set((await tx.select({ code: areas.code }).from(areas).where(inArray(areas.vintage, [vintage]))).map((a) => a.code));
  const absent = codes.filter((c) => !existing.has(c));
  if (absent.length) await upsertAreas(tx, vintage, absent.map((code) => ({ code, name: code })));
}
