import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { and, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { canSee, visibleTo, type Viewer } from '../../platform/auth/permissions.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { ImportError, Problems, findColumn, parseNumber, readRows, type RowProblem } from '../../platform/data/csv.ts';
import { analyze } from '../../platform/db/bulk.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { knownVintages } from '../geography/lookups.ts';
import { areas } from '../geography/schema.ts';
import { replaceValues } from '../indicators/iod-import.ts';
import { aggregations, directions, indicators, sharingLevels } from '../indicators/schema.ts';
import type { AreaLevel, Edition } from '../indicators/service.ts';

/** The geographies local data can be given at: the ones Patchwork has lookups for. */
export const localVintages = ['lsoa21', 'lsoa11', 'ward24', 'ward19', 'lad24', 'lad19'] as const;
export type LocalVintage = (typeof localVintages)[number];

/** Population estimates by LSOA vintage, the weights for averaging rates (here and in neighbourhood profiles, so they agree). */
export const populationFor: Record<string, string> = { lsoa11: 'population.mid2020.lsoa11', lsoa21: 'population.mid2020-estimate.lsoa21' };

export type LocalIndicatorInput = {
  label: string;
  unit: string;
  period: string;
  direction: (typeof directions)[number];
  source: string;
  licence: string;
  description?: string;
  sharing: (typeof sharingLevels)[number];
  aggregation: (typeof aggregations)[number];
  vintage: LocalVintage;
};

export type LocalImportResult = { id: string; rows: number };

/** "an LSOA (2011)", "an electoral ward (2024)", "a local authority district (2019)". */
const aOrAn = (label: string) => `${/^(lsoa|[aeiou])/i.test(label) ? 'an' : 'a'} ${label}`;

/**
 * Loads a council's own indicator from a CSV of area codes and values. Every row is checked first; a code
 * of another geography (a 2011 LSOA given as 2021, a ward given as a district) is named as such, never
 * dropped; nothing is written unless every row is good. Then the indicator and its values are written in
 * one transaction and the upload audited.
 */
export async function importLocalIndicator(db: Db, file: string, input: LocalIndicatorInput, owner: { organisationId: string; userId: string | null }, actor: Actor): Promise<LocalImportResult> {
  const vintage = knownVintages[input.vintage]!;
  const problems = new Problems(50);
  const values = new Map<string, number>();
  const rowOf = new Map<string, number>();
  let columns: { code: string; value: string } | undefined;
  for await (const { row, values: cells } of readRows(file)) {
    if (!columns) {
      const headers = Object.keys(cells);
      const code = findColumn(headers, [/^(area[ _]?)?code$/i, /^(lsoa|wd|ward|lad)\d{0,2}_?c(o)?d(e)?$/i, /^gss[ _]?code$/i]);
      const value = findColumn(headers, [/^value$/i]) ?? (headers.length === 2 ? headers.find((h) => h !== code) : undefined);
      if (!code || !value) {
        throw new ImportError(file, [], `The file needs a column of area codes (headed "code", "area code", "LSOA21CD"…) and a column of values (headed "value"). Its columns are: ${headers.join(', ')}.`);
      }
      columns = { code, value };
    }
    const code = (cells[columns.code] ?? '').trim();
    const parsed = parseNumber(cells[columns.value]);
    if (!vintage.pattern.test(code)) problems.add(row, columns.code, code ? `"${code}" is not ${aOrAn(vintage.label)} code` : 'the area code is missing');
    else if (values.has(code)) problems.add(row, columns.code, `${code} appears more than once (first on row ${rowOf.get(code)})`);
    else if (parsed === 'invalid' || parsed === null) problems.add(row, columns.value, parsed === null ? `${code} has no value: leave the row out if there is none` : `"${cells[columns.value]}" is not a number`);
    else if (input.aggregation === 'sum' && parsed < 0) problems.add(row, columns.value, `${parsed} is a negative count`);
    else {
      values.set(code, parsed);
      rowOf.set(code, row);
    }
    if (problems.full) break;
  }
  if (!columns) throw new ImportError(file, [], 'The file has no rows.');
  problems.throwIfAny(path.basename(file));

  // Every code must be an area of the chosen geography; one of another vintage is reported as such.
  const codes = [...values.keys()];
  const known = new Set(
    // One array parameter, not one parameter per code: a file of more codes than a statement may have
    // parameters (65,535) must still get an answer about its codes.
    (await db.select({ code: areas.code }).from(areas).where(and(eq(areas.vintage, input.vintage), sql`${areas.code} = any(${sql.param(codes)}::text[])`))).map((a) => a.code),
  );
  const unknown = codes.filter((c) => !known.has(c));
  if (unknown.length) {
    const elsewhere = await queryRows<{ code: string; vintage: string }>(
      db,
      sql`select code, vintage from areas where code in (${sql.join(unknown.slice(0, 200).map((c) => sql`${c}`), sql`, `)}) and vintage <> ${input.vintage} order by vintage desc`,
    );
    const found = new Map<string, string[]>();
    for (const e of elsewhere) found.set(e.code, [...(found.get(e.code) ?? []), knownVintages[e.vintage]?.label ?? e.vintage]);
    const list: RowProblem[] = unknown.slice(0, 50).map((c) => ({
      row: rowOf.get(c)!,
      column: columns!.code,
      message: found.has(c)
        ? `${c} is ${aOrAn(found.get(c)!.join(' and '))} code, not ${aOrAn(vintage.label)} code: choose that geography, or convert the file with the ONS lookup`
        : `${c} is not ${aOrAn(vintage.label)} that Patchwork knows`,
    }));
    throw new ImportError(path.basename(file), list, `${path.basename(file)} was not imported: ${unknown.length} of its ${codes.length} codes are not ${vintage.label} codes. Nothing has changed.`);
  }

  const id = `local.${randomUUID()}`;
  await db.transaction(async (tx) => {
    await tx.insert(indicators).values({
      id,
      label: input.label,
      unit: input.unit,
      direction: input.direction,
      vintage: input.vintage,
      period: input.period,
      source: input.source,
      licence: input.licence,
      description: input.description || null,
      sharing: input.sharing,
      aggregation: input.aggregation,
      ownerOrganisationId: owner.organisationId,
      uploadedBy: owner.userId,
      uploadedAt: new Date(),
    });
    await replaceValues(tx, [id], codes.map((c) => [id, c, values.get(c)!, null, null] as const));
    await analyze(tx, 'indicator_values');
    await recordAudit(tx, { actor, action: 'indicator.uploaded', objectType: 'indicator', objectId: id, details: { label: input.label, vintage: input.vintage, rows: codes.length, sharing: input.sharing } });
  });
  return { id, rows: codes.length };
}

/** The same, from an uploaded file's bytes (the form's path): written to a private temporary file and read as any import. */
export async function importLocalIndicatorBytes(db: Db, bytes: Buffer, filename: string, input: LocalIndicatorInput, owner: { organisationId: string; userId: string | null }, actor: Actor): Promise<LocalImportResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'patchwork-upload-'));
  try {
    const safe = /\.xlsx$/i.test(filename) ? 'upload.xlsx' : /\.gz$/i.test(filename) ? 'upload.csv.gz' : 'upload.csv';
    const file = path.join(dir, safe);
    await writeFile(file, bytes, { mode: 0o600 });
    return await importLocalIndicator(db, file, input, owner, actor);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export type LocalIndicator = typeof indicators.$inferSelect & { ownerName: string | null; ownerSlug: string | null };

/** Local indicators this viewer may see, newest first. */
export async function visibleLocalIndicators(db: Db, viewer: Viewer): Promise<LocalIndicator[]> {
  return db
    .select({ indicator: indicators, ownerName: organisations.name, ownerSlug: organisations.slug })
    .from(indicators)
    .leftJoin(organisations, eq(organisations.id, indicators.ownerOrganisationId))
    .where(and(sql`${indicators.ownerOrganisationId} is not null`, visibleTo(viewer, indicators.sharing, indicators.ownerOrganisationId)))
    .orderBy(sql`${indicators.uploadedAt} desc`)
    .then((rows) => rows.map((r) => ({ ...r.indicator, ownerName: r.ownerName, ownerSlug: r.ownerSlug })));
}

/** One local indicator, or null when it does not exist or this viewer may not see it (the same answer, so nothing leaks). */
export async function findLocalIndicator(db: Db, viewer: Viewer, id: string): Promise<LocalIndicator | null> {
  const [row] = await db
    .select({ indicator: indicators, ownerName: organisations.name, ownerSlug: organisations.slug })
    .from(indicators)
    .leftJoin(organisations, eq(organisations.id, indicators.ownerOrganisationId))
    .where(and(eq(indicators.id, id), sql`${indicators.ownerOrganisationId} is not null`));
  if (!row || !canSee(viewer, row.indicator.sharing, row.indicator.ownerOrganisationId)) return null;
  return { ...row.indicator, ownerName: row.ownerName, ownerSlug: row.ownerSlug };
}

export type LocalValue = { code: string; name: string; value: number };

/** A local indicator's values as uploaded, with each area's name (its code when the area is unknown), highest first. */
export async function localIndicatorValues(db: Db, indicator: LocalIndicator): Promise<LocalValue[]> {
  const rows = await queryRows<LocalValue>(
    db,
    sql`select v.code, coalesce(a.name, v.code) as name, v.value from indicator_values v
        left join areas a on a.vintage = ${indicator.vintage} and a.code = v.code
        where v.indicator_id = ${indicator.id} order by v.value desc, v.code`,
  );
  return rows.map((r) => ({ ...r, value: Number(r.value) }));
}

/** The values as a CSV download: one row per area, with what was measured on every row. */
export function localValuesCsv(indicator: LocalIndicator, rows: LocalValue[]): string {
  return stringify(rows.map((r) => ({ code: r.code, name: r.name, value: r.value, indicator: indicator.label, unit: indicator.unit, period: indicator.period })), { header: true });
}

export type AreaValue = {
  value: number | null;
  /** How many of the area's small areas had a value, of how many: missing data is shown, never taken as 0. */
  covered: number;
  of: number;
  method: 'as uploaded' | 'sum' | 'population-weighted-mean';
};

/**
 * A local indicator's value for an area of an edition's geography: as uploaded when the indicator is at
 * that geography; otherwise rolled up from its LSOAs through the lookup — summed for counts, averaged
 * weighted by population for rates — with how many LSOAs had a value.
 */
export async function valueForArea(tx: Tx, indicator: LocalIndicator, edition: Edition, level: AreaLevel, code: string): Promise<AreaValue | null> {
  return (await valuesForAreas(tx, indicator, edition, level, [code])).get(code) ?? null;
}

/** The same for many areas of one level in one statement (a table's rows); areas it cannot give a value for are absent. */
export async function valuesForAreas(tx: Tx, indicator: LocalIndicator, edition: Edition, level: AreaLevel, codes: string[]): Promise<Map<string, AreaValue>> {
  const result = new Map<string, AreaValue>();
  if (!codes.length) return result;
  const list = sql.join(codes.map((c) => sql`${c}`), sql`, `);
  const areaVintage = level === 'lsoa' ? edition.lsoaVintage : level === 'ward' ? edition.wardVintage : edition.ladVintage;
  if (indicator.vintage === areaVintage) {
    const rows = await queryRows<{ code: string; value: number }>(tx, sql`select code, value from indicator_values where indicator_id = ${indicator.id} and code in (${list})`);
    const found = new Map(rows.map((r) => [r.code, Number(r.value)]));
    for (const code of codes) result.set(code, { value: found.get(code) ?? null, covered: found.has(code) ? 1 : 0, of: 1, method: 'as uploaded' });
    return result;
  }
  if (knownVintages[indicator.vintage]?.type !== 'lsoa' || level === 'lsoa' || indicator.vintage !== edition.lsoaVintage) return result;
  const weight = populationFor[indicator.vintage];
  const rows = await queryRows<{ code: string; covered: number; of: number; total: number | null; weighted: number | null }>(
    tx,
    sql`select l.to_code as code, count(v.value)::int as covered, count(*)::int as of, sum(v.value) as total,
          sum(v.value * p.value) / nullif(sum(p.value) filter (where v.value is not null), 0) as weighted
        from area_lookups l
        left join indicator_values v on v.indicator_id = ${indicator.id} and v.code = l.from_code
        left join indicator_values p on p.indicator_id = ${weight ?? ''} and p.code = l.from_code
        where l.from_vintage = ${indicator.vintage} and l.to_vintage = ${areaVintage} and l.to_code in (${list})
        group by l.to_code`,
  );
  const sum = indicator.aggregation === 'sum';
  for (const row of rows) {
    result.set(row.code, { value: row.covered === 0 ? null : Number(sum ? row.total : row.weighted), covered: row.covered, of: row.of, method: sum ? 'sum' : 'population-weighted-mean' });
  }
  return result;
}

/**
 * Every local indicator this viewer may see that has a value for an area (as uploaded, or rolled up to it
 * from LSOAs), in the order of visibleLocalIndicators: what an area's profile shows as local data.
 */
export async function localDataForArea(db: Db, viewer: Viewer, edition: Edition, level: AreaLevel, code: string): Promise<(AreaValue & { indicator: LocalIndicator })[]> {
  const found = [];
  for (const indicator of await visibleLocalIndicators(db, viewer)) {
    const value = await valueForArea(db, indicator, edition, level, code);
    if (value) found.push({ indicator, ...value });
  }
  return found;
}
