import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError, Problems, readRows } from '../../platform/data/csv.ts';
import { analyze } from '../../platform/db/bulk.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { areaLookups, areas, areaVintages, type AreaType } from './schema.ts';

/** The area vintages Patchwork knows, as data rather than code paths. */
export const knownVintages: Record<string, { type: AreaType; year: number; label: string; pattern: RegExp }> = {
  lsoa11: { type: 'lsoa', year: 2011, label: 'LSOA (2011)', pattern: /^E01\d{6}$/ },
  lsoa21: { type: 'lsoa', year: 2021, label: 'LSOA (2021)', pattern: /^E01\d{6}$/ },
  msoa21: { type: 'msoa', year: 2021, label: 'MSOA (2021), House of Commons Library names', pattern: /^E02\d{6}$/ },
  ward19: { type: 'ward', year: 2019, label: 'Electoral ward (December 2019)', pattern: /^E05\d{6}$/ },
  ward22: { type: 'ward', year: 2022, label: 'Electoral ward (2022)', pattern: /^E05\d{6}$/ },
  ward24: { type: 'ward', year: 2024, label: 'Electoral ward (2024)', pattern: /^E05\d{6}$/ },
  ward25: { type: 'ward', year: 2025, label: 'Electoral ward (2025)', pattern: /^E05\d{6}$/ },
  lad13: { type: 'lad', year: 2013, label: 'Local authority district (2013)', pattern: /^E0[6-9]\d{6}$/ },
  lad19: { type: 'lad', year: 2019, label: 'Local authority district (2019)', pattern: /^E0[6-9]\d{6}$/ },
  lad22: { type: 'lad', year: 2022, label: 'Local authority district (2022)', pattern: /^E0[6-9]\d{6}$/ },
  lad24: { type: 'lad', year: 2024, label: 'Local authority district (2024)', pattern: /^E0[6-9]\d{6}$/ },
  lad25: { type: 'lad', year: 2025, label: 'Local authority district (2025)', pattern: /^E0[6-9]\d{6}$/ },
  ccg20: { type: 'ccg', year: 2020, label: 'Clinical commissioning group (April 2020)', pattern: /^E38\d{6}$/ },
};

type Level = { vintage: string; code: string; name?: string };
type Link = { from: number; to: number; method: 'best-fit' | 'exact' };

/**
 * The ONS lookup layouts Patchwork reads, recognised by their column headings. Each row links areas at
 * several levels; only English rows (codes starting E) are kept.
 */
type Layout = { name: string; levels: Level[]; links: Link[]; changeCode?: string };

const layouts: Layout[] = [
  {
    name: 'LSOA (2011) → ward (2019) → LAD (2019), best fit',
    levels: [
      { vintage: 'lsoa11', code: 'LSOA11CD', name: 'LSOA11NM' },
      { vintage: 'ward19', code: 'WD19CD', name: 'WD19NM' },
      { vintage: 'lad19', code: 'LAD19CD', name: 'LAD19NM' },
    ],
    links: [
      { from: 0, to: 1, method: 'best-fit' },
      { from: 0, to: 2, method: 'exact' },
    ],
  },
  {
    name: 'LSOA (2021) → ward (2024) → LAD (2024), best fit',
    levels: [
      { vintage: 'lsoa21', code: 'lsoa21_code', name: 'lsoa21_name' },
      { vintage: 'ward24', code: 'ward24_code', name: 'ward24_name' },
      { vintage: 'lad24', code: 'ltla24_code', name: 'ltla24_name' },
    ],
    links: [
      { from: 0, to: 1, method: 'best-fit' },
      { from: 0, to: 2, method: 'exact' },
    ],
  },
  {
    name: 'LSOA (2011) → LSOA (2021) → LAD (2022), with change codes',
    levels: [
      { vintage: 'lsoa11', code: 'lsoa11_code', name: 'lsoa11_name' },
      { vintage: 'lsoa21', code: 'lsoa21_code', name: 'lsoa21_name' },
      { vintage: 'lad22', code: 'ltla22_code', name: 'ltla22_name' },
    ],
    links: [
      { from: 0, to: 1, method: 'exact' },
      { from: 1, to: 2, method: 'exact' },
    ],
    changeCode: 'change_code',
  },
  {
    name: 'LSOA (2011) → CCG (2020) → LAD (2020)',
    levels: [
      { vintage: 'lsoa11', code: 'LSOA11CD', name: 'LSOA11NM' },
      { vintage: 'ccg20', code: 'CCG20CD', name: 'CCG20NM' },
    ],
    links: [{ from: 0, to: 1, method: 'best-fit' }],
  },
];

function recognise(headers: string[]): Layout | undefined {
  return layouts.find((layout) =>
    [...layout.levels.flatMap((l) => [l.code, ...(l.name ? [l.name] : [])]), ...(layout.changeCode ? [layout.changeCode] : [])].every((c) =>
      headers.includes(c),
    ),
  );
}

export async function ensureVintages(tx: Tx, ids: string[]): Promise<void> {
  for (const id of new Set(ids)) {
    const v = knownVintages[id];
    if (!v) throw new Error(`Unknown area vintage ${id}`);
    await tx.insert(areaVintages).values({ id, type: v.type, year: v.year, label: v.label }).onConflictDoNothing();
  }
}

/** Inserts or renames areas, in batches, through unnest so one statement carries thousands of rows. */
export async function upsertAreas(tx: Tx, vintage: string, rows: { code: string; name: string }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    const batch = rows.slice(i, i + 5000);
    await tx.execute(sql`
      insert into ${areas} (vintage, code, name)
      select ${vintage}, code, name from unnest(${sql.param(batch.map((r) => r.code))}::text[], ${sql.param(batch.map((r) => r.name))}::text[]) as t(code, name)
      on conflict (vintage, code) do update set name = excluded.name where ${areas.name} is distinct from excluded.name`);
  }
}

type LookupRow = { fromVintage: string; fromCode: string; toVintage: string; toCode: string; method: string; changeCode: string | null; source: string };

export async function replaceLookups(tx: Tx, pairs: [string, string][], rows: LookupRow[], source: string): Promise<void> {
  for (const [fromVintage, toVintage] of pairs) {
    await tx.delete(areaLookups).where(and(eq(areaLookups.fromVintage, fromVintage), eq(areaLookups.toVintage, toVintage), eq(areaLookups.source, source)));
  }
  for (let i = 0; i < rows.length; i += 5000) {
    const b = rows.slice(i, i + 5000);
    await tx.execute(sql`
      insert into ${areaLookups} (from_vintage, from_code, to_vintage, to_code, method, change_code, source)
      select * from unnest(
        ${sql.param(b.map((r) => r.fromVintage))}::text[], ${sql.param(b.map((r) => r.fromCode))}::text[],
        ${sql.param(b.map((r) => r.toVintage))}::text[], ${sql.param(b.map((r) => r.toCode))}::text[],
        ${sql.param(b.map((r) => r.method))}::text[], ${sql.param(b.map((r) => r.changeCode))}::text[],
        ${sql.param(b.map((r) => r.source))}::text[])
      on conflict (from_vintage, from_code, to_vintage, to_code) do update
        set method = excluded.method, change_code = excluded.change_code, source = excluded.source
        where (${areaLookups.method}, ${areaLookups.changeCode}, ${areaLookups.source}) is distinct from (excluded.method, excluded.change_code, excluded.source)`);
  }
}

export type LookupImportResult = { layout: string; rows: number; areas: Record<string, number>; links: number };

/**
 * Imports an ONS area lookup: every row checked first (codes well-formed for their vintage, a change
 * code where the layout has one, no row repeated), then areas and links written in one transaction.
 */
export async function importLookup(db: Db, file: string, actor: Actor): Promise<LookupImportResult> {
  const problems = new Problems();
  let layout: Layout | undefined;
  const names = new Map<string, Map<string, string>>();
  const links: LookupRow[] = [];
  const seen = new Set<string>();
  const source = path.basename(file);
  let rows = 0;

  for await (const { row, values } of readRows(file)) {
    if (!layout) {
      layout = recognise(Object.keys(values));
      if (!layout) {
        throw new ImportError(file, [], `${file} is not a lookup Patchwork recognises. Its columns are: ${Object.keys(values).join(', ')}. Known layouts: ${layouts.map((l) => l.name).join('; ')}.`);
      }
      for (const level of layout.levels) names.set(level.vintage, names.get(level.vintage) ?? new Map());
    }
    const codes = layout.levels.map((l) => (values[l.code] ?? '').trim());
    // Welsh and other nations' rows are outside Patchwork's geography; any other code that is not English is a
    // fault of the file, refused below rather than silently left out.
    if (/^[WSN]\d{8}$/.test(codes[0]!)) continue;
    rows++;
    let ok = true;
    layout.levels.forEach((level, i) => {
      const code = codes[i]!;
      if (!knownVintages[level.vintage]!.pattern.test(code)) {
        problems.add(row, level.code, `"${code}" is not a ${knownVintages[level.vintage]!.label} code`);
        ok = false;
      } else if (level.name && (values[level.name] ?? '').includes('\0')) {
        // PostgreSQL text cannot hold a NUL character: a name with one is a damaged file, not a name.
        problems.add(row, level.name, `the name of ${code} contains a NUL character`);
        ok = false;
      } else if (level.name) {
        names.get(level.vintage)!.set(code, (values[level.name] ?? '').trim() || code);
      }
    });
    const changeCode = layout.changeCode ? (values[layout.changeCode] ?? '').trim() : null;
    if (changeCode !== null && !['U', 'S', 'M', 'X'].includes(changeCode)) {
      problems.add(row, layout.changeCode!, `"${changeCode}" is not a change code (U, S, M or X)`);
      ok = false;
    }
    if (!ok) continue;
    const key = codes.join('|');
    if (seen.has(key)) {
      problems.add(row, layout.levels[0]!.code, `${codes[0]} appears twice with the same links`);
      continue;
    }
    seen.add(key);
    for (const link of layout.links) {
      const from = layout.levels[link.from]!;
      const to = layout.levels[link.to]!;
      links.push({ fromVintage: from.vintage, fromCode: codes[link.from]!, toVintage: to.vintage, toCode: codes[link.to]!, method: link.method, changeCode: link.from === 0 && link.to === 1 ? changeCode : null, source });
    }
  }
  if (!layout) throw new ImportError(file, [], `${file} has no rows.`);
  problems.throwIfAny(file);

  // A lower-level area repeated with another parent in a best-fit lookup would be two best fits.
  const uniqueLinks = new Map<string, LookupRow>();
  for (const l of links) uniqueLinks.set(`${l.fromVintage}|${l.fromCode}|${l.toVintage}|${l.toCode}`, l);
  const pairs = layout.links.map((l) => [layout!.levels[l.from]!.vintage, layout!.levels[l.to]!.vintage] as [string, string]);

  await db.transaction(async (tx) => {
    await ensureVintages(tx, layout!.levels.map((l) => l.vintage));
    for (const [vintage, byCode] of names) await upsertAreas(tx, vintage, [...byCode].map(([code, name]) => ({ code, name })));
    await replaceLookups(tx, pairs, [...uniqueLinks.values()], source);
    await analyze(tx, 'areas', 'area_lookups');
    await recordAudit(tx, { actor, action: 'lookup.imported', objectType: 'lookup', objectId: source, details: { layout: layout!.name, rows, links: uniqueLinks.size } });
  });
  return {
    layout: layout.name,
    rows,
    areas: Object.fromEntries([...names].map(([v, m]) => [v, m.size])),
    links: uniqueLinks.size,
  };
}
