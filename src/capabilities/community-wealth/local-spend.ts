import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { latestLsoa21Edition } from '../community-assets/gaps.ts';
import { neighbourhoodBestFit } from '../community-voice/areas.ts';
import { supplierKindNames, supplierKinds, type SupplierKind } from './schema.ts';
import { financialYearLabel, financialYearOfDate, financialYearOfSql } from './financial-years.ts';

/**
 * Where an organisation's money lands: the share of its spend (net of credit notes) with suppliers inside a place —
 * its district, or one of its neighbourhoods — in the most deprived LSOAs of England, and by kind of supplier (SMEs
 * and the VCSE are what community wealth building grows), by year and department. A supplier's place is its
 * postcode's 2021 LSOA and 2025 ward and district; suppliers with no postcode are "place not known", never local.
 *
 * Every figure comes from spend_summary (payments summed by supplier, financial year and department), not payments:
 * a district's million payments are a few tens of thousands of summary rows. So periods are whole financial years.
 */

/** The place spend counts as local to: a district (2025 code), or a neighbourhood's current version (best-fit 2021 LSOAs). */
export type SpendPlace = { lad25: string } | { neighbourhoodId: string };

export type SpendScope = {
  organisationId: string;
  place: SpendPlace;
  /** Dates; only their financial year counts (the summary holds years): from the April before `from` to the March after `to`. */
  from?: string | null;
  to?: string | null;
  department?: string | null;
};

export type Share = { label: string; pence: number; share: number | null };
/** A breakdown line with what of it is local: `share` is of all spend, `localShare` of the line's own spend. */
export type SplitRow = Share & { localPence: number; localShare: number | null };
export type PeriodRow = { period: string; totalPence: number; localPence: number; share: number | null };

export type LocalSpend = {
  totalPence: number;
  payments: number;
  local: Share;
  placeUnknown: Share;
  byKind: (SplitRow & { kind: SupplierKind })[];
  /** Spend with suppliers in LSOAs of each national IMD decile (1 = most deprived), with the edition used; empty when none is loaded. */
  byDecile: (Share & { decile: number })[];
  decileEdition: string | null;
  /** Spend in the most deprived 10% and 20% of LSOAs of England (null when no edition is loaded). */
  deprived10: Share | null;
  deprived20: Share | null;
  byDepartment: SplitRow[];
  byYear: PeriodRow[];
  /** Spend with suppliers in the place by the supplier's 2025 ward, largest first; `share` is of the place's spend. */
  byWard: { code: string; name: string; pence: number; share: number | null }[];
  /** The suppliers in the place by spend, when asked for (else empty). */
  suppliers: { id: string; name: string; kind: SupplierKind; pence: number }[];
};

export const shareOf = (part: number, total: number) => (total === 0 ? null : part / total);

/** The organisation's summary rows (alias `ss`) within the scope's financial years and department. */
function summaryWhere(scope: SpendScope): SQL {
  const parts: SQL[] = [sql`ss.source_id in (select id from spend_sources where organisation_id = ${scope.organisationId})`];
  if (scope.from) parts.push(sql`ss.financial_year >= ${financialYearOfSql(sql`${scope.from}::date`)}`);
  if (scope.to) parts.push(sql`ss.financial_year <= ${financialYearOfSql(sql`${scope.to}::date`)}`);
  if (scope.department) parts.push(sql`ss.department = ${scope.department}`);
  return sql.join(parts, sql` and `);
}

/** The best-fit 2021 LSOAs of a neighbourhood's current version (a subquery selecting one column). */
export function neighbourhoodLsoas(neighbourhoodId: string): SQL {
  return sql`select nl.lsoa_code from neighbourhood_lsoas nl join neighbourhood_versions nv on nv.id = nl.version_id join neighbourhoods n on n.id = nv.neighbourhood_id and nv.version = n.current_version
    where n.id = ${neighbourhoodId} and nl.lsoa_vintage = 'lsoa21' and nl.share >= ${neighbourhoodBestFit}`;
}

/** A condition on `suppliers s`: the supplier is in the place. A null place (no postcode) is never in it. */
export function supplierIn(place: SpendPlace): SQL {
  return 'lad25' in place ? sql`s.lad25 = ${place.lad25}` : sql`s.lsoa21 in (${neighbourhoodLsoas(place.neighbourhoodId)})`;
}


type Group = { set: 'department' | 'year' | 'supplier' | 'local'; key: string | null; kind: SupplierKind | null; local: boolean; known: boolean | null; decile: number | null; ward: string | null; pence: string; n: number };

/** The figures of one place; with `suppliers`, the suppliers in it by spend too (names unfiltered: callers withhold individuals'). */
export async function localSpend(db: Db, scope: SpendScope, options: { suppliers?: boolean } = {}): Promise<LocalSpend> {
  const edition = await latestLsoa21Edition(db);
  const decile = edition ? sql`(select v.decile from indicator_values v where v.indicator_id = ${`${edition.id}.imd`} and v.code = s.lsoa21)` : sql`null::int`;
  // The summary summed per supplier by department and by year (plain hash aggregates, no join per row); only those
  // sums meet the suppliers, whose kind, place and decile then give every breakdown.
  const groups = await queryRows<Group>(
    db,
    sql`with bydept as (
          select ss.supplier_id, ss.department, sum(ss.amount_pence) as pence, sum(ss.payments) as n from spend_summary ss where ${summaryWhere(scope)} group by 1, 2),
        byyear as (
          select ss.supplier_id, ss.financial_year as fy, sum(ss.amount_pence) as pence from spend_summary ss where ${summaryWhere(scope)} group by 1, 2),
        tot as materialized (select supplier_id, sum(pence) as pence, sum(n) as n from bydept group by 1),
        sup as materialized (
          select s.id, s.kind, coalesce(${supplierIn(scope.place)}, false) as local, s.lad25 is not null as known, ${decile} as decile, s.ward25
          from suppliers s where s.organisation_id = ${scope.organisationId})
        select 'department' as set, g.department as key, null as kind, sup.local, null::boolean as known, null::int as decile, null as ward, sum(g.pence)::text as pence, sum(g.n)::int as n
          from bydept g join sup on sup.id = g.supplier_id group by g.department, sup.local
        union all
        select 'year', g.fy::text, null, sup.local, null, null, null, sum(g.pence)::text, 0
          from byyear g join sup on sup.id = g.supplier_id group by g.fy, sup.local
        union all
        select 'supplier', null, sup.kind, sup.local, sup.known, sup.decile, case when sup.local then sup.ward25 end, sum(g.pence)::text, sum(g.n)::int
          from tot g join sup on sup.id = g.supplier_id group by 3, 4, 5, 6, 7
        ${options.suppliers ? sql`union all
        select 'local', sup.id::text, sup.kind, true, null, null, null, g.pence::text, g.n::int from tot g join sup on sup.id = g.supplier_id where sup.local` : sql``}`,
  );
  let total = 0;
  let local = 0;
  let unknown = 0;
  let payments = 0;
  const kinds = new Map<SupplierKind, [number, number]>();
  const departments = new Map<string, [number, number]>();
  const years = new Map<number, [number, number]>();
  const deciles = new Map<number, number>();
  const wards = new Map<string, number>();
  const localSuppliers: { id: string; kind: SupplierKind; pence: number }[] = [];
  const add = <K>(map: Map<K, [number, number]>, key: K, pence: number, isLocal: boolean) => {
    const sums = map.get(key) ?? [0, 0];
    sums[0] += pence;
    if (isLocal) sums[1] += pence;
    map.set(key, sums);
  };
  for (const g of groups) {
    const pence = Number(g.pence);
    if (g.set === 'department') add(departments, g.key!, pence, g.local);
    else if (g.set === 'year') add(years, Number(g.key), pence, g.local);
    else if (g.set === 'local') localSuppliers.push({ id: g.key!, kind: g.kind!, pence });
    else {
      total += pence;
      payments += g.n;
      if (g.local) local += pence;
      if (!g.known) unknown += pence;
      add(kinds, g.kind!, pence, g.local);
      if (g.decile !== null) deciles.set(g.decile, (deciles.get(g.decile) ?? 0) + pence);
      if (g.ward !== null) wards.set(g.ward, (wards.get(g.ward) ?? 0) + pence);
    }
  }
  const split = (label: string, [pence, localPence]: [number, number]): SplitRow => ({ label, pence, share: shareOf(pence, total), localPence, localShare: shareOf(localPence, pence) });
  const largestFirst = <T extends Share>(a: T, b: T) => b.pence - a.pence || a.label.localeCompare(b.label);
  const deprived = (upTo: number, label: string): Share | null => {
    if (!edition) return null;
    const pence = [...deciles].filter(([d]) => d <= upTo).reduce((sum, [, p]) => sum + p, 0);
    return { label, pence, share: shareOf(pence, total) };
  };
  const wardNames = wards.size ? await queryRows<{ code: string; name: string }>(db, sql`select code, name from areas where vintage = 'ward25' and code in (${sql.join([...wards.keys()].map((c) => sql`${c}`), sql`, `)})`) : [];
  const wardName = new Map(wardNames.map((w) => [w.code, w.name]));
  const supplierNames = localSuppliers.length
    ? new Map((await queryRows<{ id: string; name: string }>(db, sql`select id, name from suppliers where id in (${sql.join(localSuppliers.map((l) => sql`${l.id}::uuid`), sql`, `)})`)).map((r) => [r.id, r.name]))
    : new Map<string, string>();
  return {
    totalPence: total,
    payments,
    local: { label: 'Suppliers in the place', pence: local, share: shareOf(local, total) },
    placeUnknown: { label: 'Suppliers whose place is not known', pence: unknown, share: shareOf(unknown, total) },
    byKind: [...kinds]
      .map(([kind, sums]) => ({ kind, ...split(supplierKindNames[kind], sums) }))
      .sort((a, b) => largestFirst(a, b) || supplierKinds.indexOf(a.kind) - supplierKinds.indexOf(b.kind)),
    byDecile: [...deciles].sort(([a], [b]) => a - b).map(([d, pence]) => ({ decile: d, label: `Decile ${d}`, pence, share: shareOf(pence, total) })),
    decileEdition: edition?.label ?? null,
    deprived10: deprived(1, 'The most deprived 10% of LSOAs in England'),
    deprived20: deprived(2, 'The most deprived 20% of LSOAs in England'),
    byDepartment: [...departments].map(([d, sums]) => split(d || 'Department not given', sums)).sort(largestFirst),
    byYear: [...years].sort(([a], [b]) => a - b).map(([fy, [pence, localPence]]) => ({ period: financialYearLabel(fy), totalPence: pence, localPence, share: shareOf(localPence, pence) })),
    suppliers: localSuppliers.map((l) => ({ ...l, name: supplierNames.get(l.id) ?? '' })).sort((a, b) => b.pence - a.pence || a.name.localeCompare(b.name)),
    byWard: [...wards].map(([code, pence]) => ({ code, name: wardName.get(code) ?? code, pence, share: shareOf(pence, local) })).sort((a, b) => b.pence - a.pence || a.name.localeCompare(b.name)),
  };
}

/**
 * What the filters offer: the financial years of the organisation's spend files (from their imports' first and last
 * payments, not the summary) and its departments (`known` when the caller already has them all, else one pass).
 */
export async function spendChoices(db: Db, organisationId: string, known: readonly string[] | null = null): Promise<{ years: string[]; departments: string[] }> {
  const [span] = await queryRows<{ first: string | null; last: string | null }>(
    db,
    sql`select min(i.first_paid_on)::text as first, max(i.last_paid_on)::text as last from spend_imports i join spend_sources src on src.id = i.source_id where src.organisation_id = ${organisationId}`,
  );
  const years: string[] = [];
  if (span?.first && span.last) for (let y = financialYearOfDate(span.first); y <= financialYearOfDate(span.last); y++) years.push(financialYearLabel(y));
  const departments =
    known?.filter((d) => d !== 'Department not given') ??
    (await queryRows<{ department: string }>(db, sql`select distinct ss.department from spend_summary ss where ss.source_id in (select id from spend_sources where organisation_id = ${organisationId}) and ss.department <> ''`)).map((r) => r.department);
  return { years, departments: [...departments].sort((a, b) => a.localeCompare(b)) };
}

/** Spend with suppliers in each neighbourhood (best fit of its current version's 2021 LSOAs), largest first, as a share of all spend. */
export async function spendByNeighbourhood(db: Db, scope: SpendScope, neighbourhoods: readonly { id: string; name: string }[], totalPence: number): Promise<(Share & { id: string })[]> {
  if (!neighbourhoods.length) return [];
  const ids = sql.join(neighbourhoods.map((n) => sql`${n.id}::uuid`), sql`, `);
  const rows = await queryRows<{ id: string; pence: string }>(
    db,
    sql`select n.id, sum(ss.amount_pence)::text as pence
        from neighbourhoods n
        join neighbourhood_versions nv on nv.neighbourhood_id = n.id and nv.version = n.current_version
        join neighbourhood_lsoas nl on nl.version_id = nv.id and nl.lsoa_vintage = 'lsoa21' and nl.share >= ${neighbourhoodBestFit}
        join suppliers s on s.organisation_id = ${scope.organisationId} and s.lsoa21 = nl.lsoa_code
        join spend_summary ss on ss.supplier_id = s.id
        where n.id in (${ids}) and ${summaryWhere(scope)}
        group by n.id`,
  );
  const pence = new Map(rows.map((r) => [r.id, Number(r.pence)]));
  return neighbourhoods
    .map((n) => ({ id: n.id, label: n.name, pence: pence.get(n.id) ?? 0, share: shareOf(pence.get(n.id) ?? 0, totalPence) }))
    .sort((a, b) => b.pence - a.pence || a.label.localeCompare(b.label));
}

/** "From £5.4m in 2024-25 (25% of the total) to …": the first and latest year, in words. */
export function changeInWords(years: readonly PeriodRow[], money: (pence: number) => string, place = 'the district'): string | null {
  if (years.length < 2) return null;
  const first = years[0]!;
  const last = years.at(-1)!;
  const percent = (s: number | null) => (s === null ? 'no' : `${Math.round(s * 100)}%`);
  return `Spend with suppliers in ${place} went from ${money(first.localPence)} in ${first.period} (${percent(first.share)} of the total) to ${money(last.localPence)} in ${last.period} (${percent(last.share)} of the total).`;
}
