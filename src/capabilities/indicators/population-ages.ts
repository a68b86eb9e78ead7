import path from 'node:path';
import { sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError, Problems, findColumn, parseNumber, readRows } from '../../platform/data/csv.ts';
import { analyze, copyRows, type Cell } from '../../platform/db/bulk.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { ensureVintages } from '../geography/lookups.ts';
import { ageBands, type AgeBand } from '../community-voice/vocabulary.ts';

/**
 * Resident population by age band for each LSOA, from the ONS mid-2020 single-year-of-age estimates on 2011
 * LSOAs, carried to 2021 LSOAs the same way as the totals (population.ts), so community voice can set who
 * answered beside who lives there. The bands are community voice's age question's bands; under-16 is kept so
 * an LSOA's bands add up to its total.
 */

export const ageBandsPeriod = 'mid-2020';

/** The band a single year of age falls in; `90+` is read as 90. */
export function bandOfAge(age: number): AgeBand {
  if (age < 16) return 'under-16';
  if (age < 25) return '16-24';
  if (age >= 75) return '75-plus';
  return ageBands[Math.floor((age - 25) / 10) + 2]!;
}

/** The single-year columns the file must have: `0` … `89` and `90+`. */
const ageColumns = [...Array.from({ length: 90 }, (_, i) => String(i)), '90+'];

export type AgeImportResult = { lsoas: number; people: number; lsoa21: number };

/**
 * Imports the file's English rows as 2011-LSOA age bands, replacing any before, then derives the 2021-LSOA
 * bands. Refused whole (nothing changes) if any age is not a whole number of people, or any LSOA's ages do
 * not add up to its total.
 */
export async function importPopulationAges(db: Db, file: string, actor: Actor): Promise<AgeImportResult> {
  const problems = new Problems();
  const rows: Cell[][] = [];
  const seen = new Set<string>();
  let codeColumn: string | undefined;
  let totalColumn: string | undefined;
  let people = 0;
  for await (const { row, values } of readRows(file)) {
    if (!codeColumn) {
      const headers = Object.keys(values);
      codeColumn = findColumn(headers, [/^lsoa11_?c(o)?d(e)?$/i, /^lsoa code \(2011\)$/i]);
      totalColumn = findColumn(headers, [/^total_population$/i]);
      const missing = ageColumns.filter((c) => !headers.includes(c));
      if (!codeColumn || !totalColumn || missing.length) {
        throw new ImportError(
          file,
          [],
          `${file} is not a single-year-of-age population file Patchwork recognises: it needs columns lsoa11_code, total_population and 0 to 89 and 90+${missing.length ? ` (missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''})` : ''}. Its columns are: ${headers.slice(0, 8).join(', ')}….`,
        );
      }
    }
    const code = (values[codeColumn] ?? '').trim();
    // Wales (and any other nation's areas) is outside Patchwork's geography; anything else that is not an LSOA
    // code is a fault of the file, refused below rather than silently left out.
    if (/^[WSN]\d{8}$/.test(code)) continue;
    if (!/^E01\d{6}$/.test(code)) {
      problems.add(row, codeColumn, `"${code}" is not an English LSOA code`);
      continue;
    }
    if (seen.has(code)) {
      problems.add(row, codeColumn, `${code} appears more than once`);
      continue;
    }
    seen.add(code);
    const total = parseNumber(values[totalColumn!]);
    if (typeof total !== 'number' || total < 0 || !Number.isInteger(total)) {
      problems.add(row, totalColumn!, `"${values[totalColumn!]}" is not a whole number of people`);
      continue;
    }
    const bands = new Map<AgeBand, number>(ageBands.map((b) => [b, 0]));
    let sum = 0;
    let ok = true;
    ageColumns.forEach((column, age) => {
      const n = parseNumber(values[column]);
      if (typeof n !== 'number' || n < 0 || !Number.isInteger(n)) {
        problems.add(row, column, `"${values[column]}" is not a whole number of people`);
        ok = false;
        return;
      }
      bands.set(bandOfAge(age), bands.get(bandOfAge(age))! + n);
      sum += n;
    });
    if (!ok) continue;
    if (sum !== total) {
      problems.add(row, totalColumn!, `the ages of ${code} add up to ${sum}, not its total of ${total}`);
      continue;
    }
    people += total;
    for (const [band, n] of bands) rows.push(['lsoa11', code, band, n, ageBandsPeriod]);
    if (problems.full) break;
  }
  if (!codeColumn) throw new ImportError(file, [], `${file} has no rows.`);
  problems.throwIfAny(file);
  if (!seen.size) throw new ImportError(file, [], `${file} has no English LSOAs.`);
  return db.transaction(async (tx) => {
    await ensureVintages(tx, ['lsoa11']);
    await tx.execute(sql`delete from population_age_bands where vintage = 'lsoa11'`);
    await copyRows(tx, 'population_age_bands', ['vintage', 'code', 'band', 'people', 'period'], rows);
    // Fresh statistics before the derivation joins against these rows (PGlite has no autovacuum).
    await analyze(tx, 'population_age_bands');
    const lsoa21 = await derivePopulationAgesLsoa21(tx);
    await analyze(tx, 'population_age_bands');
    await recordAudit(tx, { actor, action: 'population.ages.imported', objectType: 'table', objectId: 'population_age_bands', details: { file: path.basename(file), lsoas: seen.size, people, lsoa21 } });
    return { lsoas: seen.size, people, lsoa21 };
  });
}

/**
 * Recomputes the 2021-LSOA bands from the 2011-LSOA ones, exactly as deriveLsoa21Population does for totals:
 * a 2011 LSOA that became several 2021 LSOAs is shared by area where every part's share is known, otherwise
 * equally. Until both the 2011 bands and the 2011 → 2021 lookup are loaded it changes nothing and returns 0,
 * so it can run in any order and again later (when boundaries bring area shares).
 */
export async function derivePopulationAgesLsoa21(tx: Tx): Promise<number> {
  const [ready] = await queryRows<{ bands: boolean; lookup: boolean }>(
    tx,
    sql`select exists (select 1 from population_age_bands where vintage = 'lsoa11') as bands,
               exists (select 1 from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'lsoa21') as lookup`,
  );
  if (!ready?.bands || !ready.lookup) return 0;
  await ensureVintages(tx, ['lsoa21']);
  await tx.execute(sql`delete from population_age_bands where vintage = 'lsoa21'`);
  // The sort behind the grouping spills to disk at the default working memory, several times slower.
  await tx.execute(sql`set local work_mem = '64MB'`);
  await tx.execute(sql`
    insert into population_age_bands (vintage, code, band, people, period)
    select 'lsoa21', l.to_code, p.band, sum(p.people * case when k.with_share = k.n and k.total_share > 0 then l.share / k.total_share else 1.0 / k.n end), min(p.period)
    from area_lookups l
    join population_age_bands p on p.vintage = 'lsoa11' and p.code = l.from_code
    join (select from_code, count(*) as n, count(share) as with_share, sum(share) as total_share from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'lsoa21' group by from_code) k
      on k.from_code = l.from_code
    where l.from_vintage = 'lsoa11' and l.to_vintage = 'lsoa21'
    group by l.to_code, p.band`);
  const [row] = await queryRows<{ n: number }>(tx, sql`select count(distinct code)::int as n from population_age_bands where vintage = 'lsoa21'`);
  return row?.n ?? 0;
}
