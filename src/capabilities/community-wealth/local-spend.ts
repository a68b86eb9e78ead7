import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { latestLsoa21Edition } from '../community-assets/gaps.ts';
import { neighbourhoodBestFit } from '../community-voice/areas.ts';
import { supplierKindNames, type SupplierKind } from './schema.ts';

/**
 * Where an organisation's money lands: the share of its spend (net of credit notes) with suppliers inside its district,
 * in each neighbourhood, in the most deprived LSOAs of England, and by kind of supplier (SMEs and the VCSE are what
 * community wealth building grows), by period and department. A supplier's place is its postcode's 2021 LSOA and
 * 2025 ward and district; suppliers with no postcode are "place not known", never counted as local.
 */

export type SpendScope = {
  organisationId: string;
  /** The district spend counts as local to (2025 code). */
  homeLad25: string;
  from?: string | null;
  to?: string | null;
  department?: string | null;
};

export type Share = { label: string; pence: number; share: number | null };
export type PeriodRow = { period: string; totalPence: number; localPence: number; share: number | null };

export type LocalSpend = {
  totalPence: number;
  payments: number;
  local: Share;
  placeUnknown: Share;
  byKind: (Share & { kind: SupplierKind })[];
  /** Spend with suppliers in LSOAs of each national IMD decile (1 = most deprived), with the edition used; empty when none is loaded. */
  byDecile: (Share & { decile: number })[];
  decileEdition: string | null;
  byDepartment: (Share & { localPence: number; localShare: number | null })[];
  byYear: PeriodRow[];
};

const shareOf = (part: number, total: number) => (total === 0 ? null : part / total);

function scopeWhere(scope: SpendScope): SQL {
  const parts: SQL[] = [sql`src.organisation_id = ${scope.organisationId}`];
  if (scope.from) parts.push(sql`p.paid_on >= ${scope.from}`);
  if (scope.to) parts.push(sql`p.paid_on <= ${scope.to}`);
  if (scope.department) parts.push(sql`p.department = ${scope.department}`);
  return sql.join(parts, sql` and `);
}

/** The financial year (April to March) a date falls in, as "2024-25". */
const financialYear = sql`case when extract(month from p.paid_on) >= 4 then extract(year from p.paid_on)::int || '-' || lpad(((extract(year from p.paid_on)::int + 1) % 100)::text, 2, '0')
  else (extract(year from p.paid_on)::int - 1) || '-' || lpad((extract(year from p.paid_on)::int % 100)::text, 2, '0') end`;

export async function localSpend(db: Db, scope: SpendScope): Promise<LocalSpend> {
  const where = scopeWhere(scope);
  const from = sql`payments p join spend_sources src on src.id = p.source_id join suppliers s on s.id = p.supplier_id`;
  const [totals] = await queryRows<{ total: string | null; n: number; local: string | null; unknown: string | null }>(
    db,
    sql`select sum(p.amount_pence)::text as total, count(*)::int as n,
          sum(p.amount_pence) filter (where s.lad25 = ${scope.homeLad25})::text as local,
          sum(p.amount_pence) filter (where s.lad25 is null)::text as unknown
        from ${from} where ${where}`,
  );
  const total = Number(totals!.total ?? 0);
  const kinds = await queryRows<{ kind: SupplierKind; pence: string }>(db, sql`select s.kind, sum(p.amount_pence)::text as pence from ${from} where ${where} group by s.kind order by 2 desc`);
  const departments = await queryRows<{ department: string; pence: string; local: string | null }>(
    db,
    sql`select p.department, sum(p.amount_pence)::text as pence, sum(p.amount_pence) filter (where s.lad25 = ${scope.homeLad25})::text as local
        from ${from} where ${where} group by p.department order by 2 desc, 1`,
  );
  const years = await queryRows<{ period: string; pence: string; local: string | null }>(
    db,
    sql`select ${financialYear} as period, sum(p.amount_pence)::text as pence, sum(p.amount_pence) filter (where s.lad25 = ${scope.homeLad25})::text as local
        from ${from} where ${where} group by 1 order by 1`,
  );
  const edition = await latestLsoa21Edition(db);
  const deciles = edition
    ? await queryRows<{ decile: number; pence: string }>(
        db,
        sql`select v.decile, sum(p.amount_pence)::text as pence from ${from}
            join indicator_values v on v.indicator_id = ${`${edition.id}.imd`} and v.code = s.lsoa21
            where ${where} group by v.decile order by v.decile`,
      )
    : [];
  return {
    totalPence: total,
    payments: totals!.n,
    local: { label: 'Suppliers in the district', pence: Number(totals!.local ?? 0), share: shareOf(Number(totals!.local ?? 0), total) },
    placeUnknown: { label: 'Suppliers whose place is not known', pence: Number(totals!.unknown ?? 0), share: shareOf(Number(totals!.unknown ?? 0), total) },
    byKind: kinds.map((k) => ({ kind: k.kind, label: supplierKindNames[k.kind], pence: Number(k.pence), share: shareOf(Number(k.pence), total) })),
    byDecile: deciles.map((d) => ({ decile: d.decile, label: `Decile ${d.decile}`, pence: Number(d.pence), share: shareOf(Number(d.pence), total) })),
    decileEdition: edition?.label ?? null,
    byDepartment: departments.map((d) => ({ label: d.department || 'Department not given', pence: Number(d.pence), share: shareOf(Number(d.pence), total), localPence: Number(d.local ?? 0), localShare: shareOf(Number(d.local ?? 0), Number(d.pence)) })),
    byYear: years.map((y) => ({ period: y.period, totalPence: Number(y.pence), localPence: Number(y.local ?? 0), share: shareOf(Number(y.local ?? 0), Number(y.pence)) })),
  };
}

/** Spend with suppliers in each neighbourhood (best fit of its current version's 2021 LSOAs), largest first. */
export async function spendByNeighbourhood(db: Db, scope: SpendScope, neighbourhoodIds: readonly string[]): Promise<Share[]> {
  if (!neighbourhoodIds.length) return [];
  const [totals] = await queryRows<{ total: string | null }>(db, sql`select sum(p.amount_pence)::text as total from payments p join spend_sources src on src.id = p.source_id where ${scopeWhere(scope)}`);
  const total = Number(totals!.total ?? 0);
  const rows = await queryRows<{ name: string; pence: string | null }>(
    db,
    sql`select n.name, (select sum(p.amount_pence) from payments p join spend_sources src on src.id = p.source_id join suppliers s on s.id = p.supplier_id
          where ${scopeWhere(scope)} and s.lsoa21 in (
            select nl.lsoa_code from neighbourhood_lsoas nl join neighbourhood_versions nv on nv.id = nl.version_id
            where nv.neighbourhood_id = n.id and nv.version = n.current_version and nl.lsoa_vintage = 'lsoa21' and nl.share >= ${neighbourhoodBestFit}))::text as pence
        from neighbourhoods n where n.id in (${sql.join(neighbourhoodIds.map((id) => sql`${id}`), sql`, `)})`,
  );
  return rows.map((r) => ({ label: r.name, pence: Number(r.pence ?? 0), share: shareOf(Number(r.pence ?? 0), total) })).sort((a, b) => b.pence - a.pence || a.label.localeCompare(b.label));
}

/** "From £5.4m to £10.1m, 25% of total": the first and latest year, in words. */
export function changeInWords(years: readonly PeriodRow[], money: (pence: number) => string): string | null {
  if (years.length < 2) return null;
  const first = years[0]!;
  const last = years.at(-1)!;
  const percent = (s: number | null) => (s === null ? 'no' : `${Math.round(s * 100)}%`);
  return `Spend with suppliers in the district went from ${money(first.localPence)} in ${first.period} (${percent(first.share)} of the total) to ${money(last.localPence)} in ${last.period} (${percent(last.share)} of the total).`;
}
