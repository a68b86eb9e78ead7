import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import type { SupplierKind } from './schema.ts';
import { isIndividual, shownName } from './supplier-names.ts';

/**
 * What the supplier pages read. Totals come from spend_summary (kept in step with payments by imports and merges),
 * so a list of thousands of suppliers costs one grouped read. A supplier's place is its 2025 ward, else its district
 * (by name when the areas are loaded); one with no district is "place not known", as the dashboards count it.
 */

export const suppliersPageSize = 50;

export type SupplierFilter = { q: string; kind: SupplierKind | null; placeUnknown: boolean };

export type SupplierRow = { id: string; name: string; individual: boolean; kind: SupplierKind; payments: number; totalPence: number; place: string | null };

export type SupplierCounts = { suppliers: number; noKind: number; noPlace: number };

const placeName = sql`coalesce(w.name, d.name, s.lad25)`;
const placeJoins = sql`left join areas w on w.vintage = 'ward25' and w.code = s.ward25 left join areas d on d.vintage = 'lad25' and d.code = s.lad25`;
const totals = (organisationId: string) => sql`(select m.supplier_id, sum(m.payments)::int as payments, sum(m.amount_pence)::text as total
  from spend_summary m join spend_sources src on src.id = m.source_id where src.organisation_id = ${organisationId} group by m.supplier_id)`;

/** How many live suppliers the organisation has, and how many still need a kind or a place: the work to do. */
export async function supplierCounts(db: Tx, organisationId: string): Promise<SupplierCounts> {
  const [row] = await queryRows<{ n: number; no_kind: number; no_place: number }>(
    db,
    sql`select count(*)::int as n, (count(*) filter (where kind = 'unknown'))::int as no_kind, (count(*) filter (where lad25 is null))::int as no_place
        from suppliers where organisation_id = ${organisationId} and merged_into_id is null`,
  );
  return { suppliers: row?.n ?? 0, noKind: row?.no_kind ?? 0, noPlace: row?.no_place ?? 0 };
}

/**
 * One page of live suppliers, most spent with first. A name search never finds an individual, whether marked as
 * one or only published under a person's name, so searching a person's name cannot show they were paid; that test
 * is made here rather than in SQL, so a search reads every match before taking its page.
 */
export async function supplierList(db: Tx, organisationId: string, filter: SupplierFilter, page: number): Promise<{ rows: SupplierRow[]; total: number }> {
  const where: SQL[] = [sql`s.organisation_id = ${organisationId}`, sql`s.merged_into_id is null`];
  if (filter.kind) where.push(sql`s.kind = ${filter.kind}`);
  if (filter.placeUnknown) where.push(sql`s.lad25 is null`);
  const q = filter.q.trim();
  if (q) where.push(sql`s.kind <> 'individual'`, sql`s.name ilike ${`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`);
  // The totals once, whatever the planner believes of the tables' sizes (as a join it can be re-summed per supplier).
  const select = sql`with t as materialized ${totals(organisationId)}
      select s.id, s.name, s.kind, coalesce(t.payments, 0)::int as payments, coalesce(t.total, '0') as total, ${placeName} as place
      from suppliers s left join t on t.supplier_id = s.id ${placeJoins}
      where ${sql.join(where, sql` and `)} order by coalesce(t.total::bigint, 0) desc, s.name, s.id`;
  type Raw = { id: string; name: string; kind: SupplierKind; payments: number; total: string; place: string | null };
  const toRow = (r: Raw): SupplierRow => ({ id: r.id, name: shownName(r), individual: isIndividual(r), kind: r.kind, payments: r.payments, totalPence: Number(r.total), place: r.place });
  const offset = (page - 1) * suppliersPageSize;
  if (q) {
    const found = (await queryRows<Raw>(db, select)).filter((r) => !isIndividual(r));
    return { rows: found.slice(offset, offset + suppliersPageSize).map(toRow), total: found.length };
  }
  const [count] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from suppliers s where ${sql.join(where, sql` and `)}`);
  const rows = await queryRows<Raw>(db, sql`${select} limit ${suppliersPageSize} offset ${offset}`);
  return { rows: rows.map(toRow), total: count?.n ?? 0 };
}

export type SupplierPage = {
  id: string;
  name: string;
  individual: boolean;
  kind: SupplierKind;
  postcode: string | null;
  lsoa: { code: string; name: string | null } | null;
  ward: { code: string; name: string | null } | null;
  district: { code: string; name: string | null } | null;
  companyNumber: string | null;
  charityNumber: string | null;
  /** The names it was published under, with the file source; empty for an individual. */
  aliases: { name: string; source: string }[];
  byYear: { year: string; payments: number; totalPence: number }[];
  mergedIn: { name: string; paymentsMoved: number; reason: string; mergedAt: Date }[];
};

/** The summary row's financial year (April to March), as "2024-25". */
const financialYear = sql`m.financial_year || '-' || lpad(((m.financial_year + 1) % 100)::text, 2, '0')`;

/**
 * A supplier of the organisation's, or where it went: `merged` with the live supplier's id when it was merged (merges
 * re-point earlier ones, so that one is live), or null when it is not the organisation's.
 */
export async function supplierPage(db: Tx, organisationId: string, supplierId: string): Promise<{ merged: string } | { supplier: SupplierPage } | null> {
  const [s] = await queryRows<{ id: string; name: string; kind: SupplierKind; postcode: string | null; lsoa21: string | null; lsoa_name: string | null; ward25: string | null; ward_name: string | null; lad25: string | null; lad_name: string | null; company_number: string | null; charity_number: string | null; merged_into_id: string | null }>(
    db,
    sql`select s.id, s.name, s.kind, s.postcode, s.lsoa21, l.name as lsoa_name, s.ward25, w.name as ward_name, s.lad25, d.name as lad_name, s.company_number, s.charity_number, s.merged_into_id
        from suppliers s left join areas l on l.vintage = 'lsoa21' and l.code = s.lsoa21 ${placeJoins}
        where s.id = ${supplierId} and s.organisation_id = ${organisationId}`,
  );
  if (!s) return null;
  if (s.merged_into_id) return { merged: s.merged_into_id };
  const individual = isIndividual(s);
  const aliases = individual
    ? []
    : await queryRows<{ name: string; source: string }>(db, sql`select distinct a.published_name as name, src.name as source from supplier_aliases a join spend_sources src on src.id = a.source_id where a.supplier_id = ${s.id} order by 1, 2`);
  const years = await queryRows<{ year: string; payments: number; total: string }>(
    db,
    sql`select ${financialYear} as year, sum(m.payments)::int as payments, sum(m.amount_pence)::text as total from spend_summary m where m.supplier_id = ${s.id} group by 1 order by 1`,
  );
  const merges = await queryRows<{ name: string; kind: SupplierKind; payments_moved: number; reason: string; merged_at: string }>(
    db,
    sql`select m.merged_name as name, ms.kind, m.payments_moved, m.reason, m.merged_at::text from supplier_merges m join suppliers ms on ms.id = m.merged_id
        where m.kept_id = ${s.id} and m.organisation_id = ${organisationId} order by m.merged_at, m.id`,
  );
  const area = (code: string | null, name: string | null) => (code ? { code, name } : null);
  return {
    supplier: {
      id: s.id,
      name: shownName(s),
      individual,
      kind: s.kind,
      postcode: s.postcode,
      lsoa: area(s.lsoa21, s.lsoa_name),
      ward: area(s.ward25, s.ward_name),
      district: area(s.lad25, s.lad_name),
      companyNumber: s.company_number,
      charityNumber: s.charity_number,
      aliases: aliases.filter((a) => !isIndividual({ name: a.name, kind: s.kind })),
      byYear: years.map((y) => ({ year: y.year, payments: y.payments, totalPence: Number(y.total) })),
      // An individual's other names are theirs too.
      mergedIn: merges.map((m) => ({ name: individual ? shownName({ name: m.name, kind: 'individual' }) : shownName(m), paymentsMoved: m.payments_moved, reason: m.reason, mergedAt: new Date(m.merged_at) })),
    },
  };
}

export type MergeCandidate = { id: string; name: string; kind: SupplierKind; mergedIntoId: string | null; payments: number; totalPence: number };

/** The organisation's suppliers among `ids` (valid UUIDs only), with their spend; merged ones included, to say so. */
export async function mergeCandidates(db: Tx, organisationId: string, ids: readonly string[]): Promise<Map<string, MergeCandidate>> {
  if (!ids.length) return new Map();
  const rows = await queryRows<{ id: string; name: string; kind: SupplierKind; merged_into_id: string | null; payments: number; total: string }>(
    db,
    sql`select s.id, s.name, s.kind, s.merged_into_id, coalesce(t.payments, 0)::int as payments, coalesce(t.total, '0') as total
        from suppliers s left join ${totals(organisationId)} t on t.supplier_id = s.id
        where s.organisation_id = ${organisationId} and s.id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`,
  );
  return new Map(rows.map((r) => [r.id, { id: r.id, name: shownName(r), kind: r.kind, mergedIntoId: r.merged_into_id, payments: r.payments, totalPence: Number(r.total) }]));
}
