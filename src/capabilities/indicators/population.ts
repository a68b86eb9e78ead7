import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError, Problems, findColumn, parseNumber, readRows } from '../../platform/data/csv.ts';
import { analyze } from '../../platform/db/bulk.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { ensureVintages } from '../geography/lookups.ts';
import { indicators, indicatorValues } from './schema.ts';
import { replaceValues } from './iod-import.ts';

/** The population layouts Patchwork reads, by the heading of their total column. */
const layouts = [
  {
    total: /^total population: mid 2015 \(excluding prisoners\)$/i,
    indicator: {
      id: 'population.mid2015.lsoa11',
      label: 'Population, mid-2015 (excluding prisoners): IoD2019 denominator',
      period: 'mid-2015',
      vintage: 'lsoa11',
      source: 'Ministry of Housing, Communities and Local Government, English Indices of Deprivation 2019, File 6',
    },
  },
  {
    total: /^total_population$/i,
    indicator: {
      id: 'population.mid2020.lsoa11',
      label: 'Population, mid-2020 (ONS small area estimates)',
      period: 'mid-2020',
      vintage: 'lsoa11',
      source: 'Office for National Statistics, Lower layer Super Output Area population estimates, mid-2020',
    },
  },
];

/** 2021-LSOA populations estimated from mid-2020 2011-LSOA estimates, for IoD2025's summaries. */
export const lsoa21Estimate = {
  id: 'population.mid2020-estimate.lsoa21',
  label: 'Population, mid-2020, estimated for 2021 LSOAs',
  period: 'mid-2020',
  vintage: 'lsoa21',
  source:
    'Derived by Patchwork: ONS mid-2020 2011-LSOA estimates through the ONS LSOA (2011) → LSOA (2021) lookup; a 2011 LSOA that maps to several 2021 LSOAs is shared by area where both boundaries are loaded, otherwise equally',
};

async function upsertIndicator(tx: Tx, indicator: typeof lsoa21Estimate) {
  const row = { ...indicator, editionId: null, domain: null, unit: 'people', direction: 'higher-is-better' as const, licence: 'Open Government Licence v3.0' };
  await tx.insert(indicators).values(row).onConflictDoUpdate({ target: indicators.id, set: row });
}

export async function importPopulation(db: Db, file: string, actor: Actor): Promise<{ indicator: string; lsoas: number; total: number }> {
  const problems = new Problems();
  const totals = new Map<string, number>();
  let layout: (typeof layouts)[number] | undefined;
  let codeColumn: string | undefined;
  let totalColumn: string | undefined;
  for await (const { row, values } of readRows(file)) {
    if (!layout) {
      const headers = Object.keys(values);
      layout = layouts.find((l) => headers.some((h) => l.total.test(h)));
      totalColumn = headers.find((h) => layout?.total.test(h));
      codeColumn = findColumn(headers, [/^lsoa code \(2011\)$/i, /^lsoa11_?c(o)?d(e)?$/i]);
      if (!layout || !codeColumn) throw new ImportError(file, [], `${file} is not a population file Patchwork recognises. Its columns are: ${headers.join(', ')}.`);
    }
    const code = (values[codeColumn!] ?? '').trim();
    // Wales (and any other nation's areas) is outside Patchwork's geography; anything else that is not an LSOA
    // code is a fault of the file, refused below rather than silently left out.
    if (/^[WSN]\d{8}$/.test(code)) continue;
    if (!/^E01\d{6}$/.test(code)) problems.add(row, codeColumn!, `"${code}" is not an English LSOA code`);
    else if (totals.has(code)) problems.add(row, codeColumn!, `${code} appears more than once`);
    else {
      const total = parseNumber(values[totalColumn!]);
      if (total === null || total === 'invalid' || total < 0 || !Number.isInteger(total)) problems.add(row, totalColumn!, `"${values[totalColumn!]}" is not a whole number of people`);
      else totals.set(code, total);
    }
    if (problems.full) break;
  }
  if (!layout) throw new ImportError(file, [], `${file} has no rows.`);
  problems.throwIfAny(file);
  const indicator = layout.indicator;
  const codes = [...totals.keys()];
  await db.transaction(async (tx) => {
    await ensureVintages(tx, [indicator.vintage]);
    await upsertIndicator(tx, indicator);
    await replaceValues(tx, [indicator.id], codes.map((c) => [indicator.id, c, totals.get(c)!, null, null] as const));
    await analyze(tx, 'indicator_values');
    await recordAudit(tx, { actor, action: 'population.imported', objectType: 'indicator', objectId: indicator.id, details: { file: path.basename(file), lsoas: codes.length } });
  });
  return { indicator: indicator.id, lsoas: codes.length, total: [...totals.values()].reduce((a, b) => a + b, 0) };
}

/** Recomputes the 2021-LSOA estimate; a no-op until both the mid-2020 figures and the 2011→2021 lookup are loaded. */
export async function deriveLsoa21Population(tx: Tx): Promise<number> {
  await ensureVintages(tx, ['lsoa21']);
  await upsertIndicator(tx, lsoa21Estimate);
  await tx.delete(indicatorValues).where(eq(indicatorValues.indicatorId, lsoa21Estimate.id));
  await tx.execute(sql`
    insert into indicator_values (indicator_id, code, value)
    select ${lsoa21Estimate.id}, l.to_code, sum(v.value * case when k.with_share = k.n and k.total_share > 0 then l.share / k.total_share else 1.0 / k.n end)
    from area_lookups l
    join indicator_values v on v.indicator_id = 'population.mid2020.lsoa11' and v.code = l.from_code
    join (select from_code, count(*) as n, count(share) as with_share, sum(share) as total_share from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'lsoa21' group by from_code) k
      on k.from_code = l.from_code
    where l.from_vintage = 'lsoa11' and l.to_vintage = 'lsoa21'
    group by l.to_code`);
  const [row] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from indicator_values where indicator_id = ${lsoa21Estimate.id}`);
  return row?.n ?? 0;
}
