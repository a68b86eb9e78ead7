import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { contracts, socialValueCommitments, socialValueDeliveries, socialValueMeasures, suppliers } from './schema.ts';
import { financialYearOfDate } from './financial-years.ts';
import { isIndividual, shownName } from './supplier-names.ts';

/**
 * Social value in contracts: the organisation defines its measures (local jobs, apprenticeships, volunteering hours,
 * spend with local VCSE…), optionally with a proxy value and its source; a contract promises amounts of them, perhaps
 * in one place; deliveries are recorded with their evidence. Roll-ups compare promised with delivered, by measure
 * and by place, and value both where the measure has a proxy.
 */

export class SocialValueError extends Error {}

export async function addMeasure(db: Db, organisationId: string, input: { name: string; unit: string; proxyValue: number | null; proxySource: string | null }, actor: Actor): Promise<string> {
  if (!input.name.trim() || !input.unit.trim()) throw new SocialValueError('Name the measure and its unit, like “Local jobs” in “jobs”');
  if (input.proxyValue !== null && (!(input.proxyValue >= 0) || !input.proxySource?.trim())) throw new SocialValueError('A proxy value must be £0 or more and needs its source');
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(socialValueMeasures).values({ organisationId, name: input.name.trim(), unit: input.unit.trim(), proxyValue: input.proxyValue, proxySource: input.proxySource?.trim() || null }).returning({ id: socialValueMeasures.id });
    await recordAudit(tx, { actor, action: 'community-wealth.social-value-measure.added', objectType: 'social_value_measure', objectId: row!.id });
    return row!.id;
  });
}

export type NewContract = { title: string; reference: string | null; supplierId: string | null; startsOn: string; endsOn: string; valuePence: number | null };

export async function addContract(db: Db, organisationId: string, input: NewContract, promises: { measureId: string; promised: number; areaVintage: string | null; areaCode: string | null }[], actor: Actor): Promise<string> {
  if (!input.title.trim()) throw new SocialValueError('Give the contract a title');
  if (input.endsOn < input.startsOn) throw new SocialValueError('The contract must end on or after it starts');
  return db.transaction(async (tx) => {
    if (input.supplierId) {
      const [supplier] = await tx.select({ id: suppliers.id }).from(suppliers).where(and(eq(suppliers.id, input.supplierId), eq(suppliers.organisationId, organisationId)));
      if (!supplier) throw new SocialValueError('Choose one of the organisation’s own suppliers');
    }
    const measures = await tx.select({ id: socialValueMeasures.id }).from(socialValueMeasures).where(eq(socialValueMeasures.organisationId, organisationId));
    for (const p of promises) {
      if (!measures.some((m) => m.id === p.measureId)) throw new SocialValueError('Choose one of the organisation’s own social value measures');
      if (!(p.promised >= 0)) throw new SocialValueError('What is promised must be 0 or more');
    }
    const [row] = await tx.insert(contracts).values({ organisationId, ...input, title: input.title.trim() }).returning({ id: contracts.id });
    if (promises.length) await tx.insert(socialValueCommitments).values(promises.map((p) => ({ contractId: row!.id, ...p })));
    await recordAudit(tx, { actor, action: 'community-wealth.contract.added', objectType: 'contract', objectId: row!.id, details: { commitments: promises.length } });
    return row!.id;
  });
}

export async function recordDelivery(db: Db, organisationId: string, commitmentId: string, input: { deliveredOn: string; quantity: number; evidence: string }, actor: Actor): Promise<string> {
  if (!(input.quantity >= 0)) throw new SocialValueError('What was delivered must be 0 or more');
  if (!input.evidence.trim()) throw new SocialValueError('Say what shows it was delivered, like payroll records or a volunteer log');
  return db.transaction(async (tx) => {
    const [owned] = await tx
      .select({ id: socialValueCommitments.id })
      .from(socialValueCommitments)
      .innerJoin(contracts, eq(contracts.id, socialValueCommitments.contractId))
      .where(and(eq(socialValueCommitments.id, commitmentId), eq(contracts.organisationId, organisationId)));
    if (!owned) throw new SocialValueError('That commitment is not there');
    const [row] = await tx.insert(socialValueDeliveries).values({ commitmentId, deliveredOn: input.deliveredOn, quantity: input.quantity, evidence: input.evidence.trim(), recordedBy: actor.userId }).returning({ id: socialValueDeliveries.id });
    await recordAudit(tx, { actor, action: 'community-wealth.social-value.delivered', objectType: 'social_value_commitment', objectId: commitmentId, details: { quantity: input.quantity } });
    return row!.id;
  });
}

export type SocialValueRow = {
  measure: string;
  unit: string;
  /** `ward25:E05…`, `neighbourhood:<id>`, or '' for commitments made for anywhere. */
  area: string;
  promised: number;
  delivered: number;
  /** Valued with the measure's proxy, when it has one. */
  promisedValue: number | null;
  deliveredValue: number | null;
  proxySource: string | null;
};

/** Promised against delivered for the organisation's contracts live in a period, by measure and place. */
export async function socialValueRollup(db: Tx, organisationId: string, period: { from: string; to: string }): Promise<SocialValueRow[]> {
  const rows = await queryRows<{ measure: string; unit: string; area: string; promised: number; delivered: number; proxy_value: number | null; proxy_source: string | null }>(
    db,
    sql`select m.name as measure, m.unit, coalesce(c.area_vintage || ':' || c.area_code, '') as area, sum(c.promised)::float8 as promised,
          coalesce(sum((select sum(d.quantity) from social_value_deliveries d where d.commitment_id = c.id and d.delivered_on between ${period.from} and ${period.to})), 0)::float8 as delivered,
          m.proxy_value, m.proxy_source
        from social_value_commitments c join contracts k on k.id = c.contract_id join social_value_measures m on m.id = c.measure_id
        where k.organisation_id = ${organisationId} and k.starts_on <= ${period.to} and k.ends_on >= ${period.from}
        group by m.id, m.name, m.unit, m.proxy_value, m.proxy_source, 3 order by m.name, 3`,
  );
  return rows.map((r) => ({
    measure: r.measure,
    unit: r.unit,
    area: r.area,
    promised: Number(r.promised),
    delivered: Number(r.delivered),
    promisedValue: r.proxy_value === null ? null : Number(r.promised) * Number(r.proxy_value),
    deliveredValue: r.proxy_value === null ? null : Number(r.delivered) * Number(r.proxy_value),
    proxySource: r.proxy_source,
  }));
}

// ---- What the pages read ----------------------------------------------------------------------------------------

/** An individual's name is never shown: a supplier that is one, or whose name reads like a person's, is not named. */

export type Measure = { id: string; name: string; unit: string; proxyValue: number | null; proxySource: string | null };

export async function measuresOf(db: Tx, organisationId: string): Promise<Measure[]> {
  return db
    .select({ id: socialValueMeasures.id, name: socialValueMeasures.name, unit: socialValueMeasures.unit, proxyValue: socialValueMeasures.proxyValue, proxySource: socialValueMeasures.proxySource })
    .from(socialValueMeasures)
    .where(eq(socialValueMeasures.organisationId, organisationId))
    .orderBy(asc(socialValueMeasures.name), asc(socialValueMeasures.id));
}

/**
 * The suppliers a contract can name: the organisation's own, not merged away. Individuals are left out, since a
 * list of "name withheld" entries could not be told apart; such a contract is recorded with no supplier.
 */
export async function supplierChoices(db: Tx, organisationId: string): Promise<{ id: string; name: string }[]> {
  const rows = await db
    .select({ id: suppliers.id, name: suppliers.name, kind: suppliers.kind })
    .from(suppliers)
    .where(and(eq(suppliers.organisationId, organisationId), isNull(suppliers.mergedIntoId)))
    .orderBy(asc(suppliers.name));
  return rows.filter((r) => !isIndividual(r)).map((r) => ({ id: r.id, name: r.name }));
}

export type PlaceChoice = { value: string; text: string };

/**
 * Where a promise can be made: anywhere, one of the organisation's own neighbourhoods (not those of imported
 * layers, which can run to hundreds), or the home district of one of its spend sources and that district's wards.
 * Values are `vintage:code` as commitments store them.
 */
export async function placeChoices(db: Tx, organisationId: string): Promise<PlaceChoice[]> {
  const hoods = await queryRows<{ id: string; name: string }>(db, sql`select id, name from neighbourhoods where owner_organisation_id = ${organisationId} and layer_id is null order by name, id`);
  const districts = await queryRows<{ code: string; name: string | null }>(
    db,
    sql`select distinct s.home_lad25 as code, a.name from spend_sources s left join areas a on a.vintage = 'lad25' and a.code = s.home_lad25
        where s.organisation_id = ${organisationId} and s.home_lad25 is not null order by 2, 1`,
  );
  const codes = sql.join(districts.map((d) => sql`${d.code}`), sql`, `);
  const wards = districts.length
    ? await queryRows<{ code: string; name: string | null }>(
        db,
        // A ward's district is looked up directly where Patchwork has that lookup, else through its small areas.
        sql`select x.code, a.name from (
              select w.from_code as code from area_lookups w where w.from_vintage = 'ward25' and w.to_vintage = 'lad25' and w.to_code in (${codes})
              union
              select w.to_code from area_lookups d join area_lookups w on w.from_vintage = d.from_vintage and w.from_code = d.from_code and w.to_vintage = 'ward25'
              where d.to_vintage = 'lad25' and d.to_code in (${codes})
            ) x left join areas a on a.vintage = 'ward25' and a.code = x.code order by 2, 1`,
      )
    : [];
  return [
    { value: '', text: 'Anywhere' },
    ...hoods.map((h) => ({ value: `neighbourhood:${h.id}`, text: `${h.name} (neighbourhood)` })),
    ...districts.map((d) => ({ value: `lad25:${d.code}`, text: `${d.name ?? d.code} (district)` })),
    ...wards.map((w) => ({ value: `ward25:${w.code}`, text: `${w.name ?? w.code} ward` })),
  ];
}

/** Names for the places commitments were made in, as `vintage:code` → words; '' is "Anywhere". */
export async function placeNames(db: Tx, organisationId: string, places: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>([['', 'Anywhere']]);
  for (const place of new Set(places)) {
    if (!place || names.has(place)) continue;
    const [vintage, code] = place.split(/:(.*)/s) as [string, string];
    if (vintage === 'neighbourhood') {
      const [hood] = await queryRows<{ name: string }>(db, sql`select name from neighbourhoods where owner_organisation_id = ${organisationId} and id::text = ${code}`);
      names.set(place, hood ? `${hood.name} (neighbourhood)` : 'A neighbourhood since removed');
    } else {
      const [area] = await queryRows<{ name: string }>(db, sql`select name from areas where vintage = ${vintage} and code = ${code}`);
      names.set(place, area ? (vintage.startsWith('ward') ? `${area.name} ward` : `${area.name} (district)`) : code);
    }
  }
  return names;
}

export type ContractRow = {
  id: string;
  title: string;
  reference: string | null;
  supplier: string | null;
  startsOn: string;
  endsOn: string;
  valuePence: number | null;
  promises: { measure: string; unit: string; promised: number }[];
};

export async function contractsOf(db: Tx, organisationId: string, contractId?: string): Promise<ContractRow[]> {
  const rows = await db
    .select({ id: contracts.id, title: contracts.title, reference: contracts.reference, supplierName: suppliers.name, supplierKind: suppliers.kind, startsOn: contracts.startsOn, endsOn: contracts.endsOn, valuePence: contracts.valuePence })
    .from(contracts)
    .leftJoin(suppliers, eq(suppliers.id, contracts.supplierId))
    .where(contractId ? and(eq(contracts.organisationId, organisationId), eq(contracts.id, contractId)) : eq(contracts.organisationId, organisationId))
    .orderBy(desc(contracts.startsOn), asc(contracts.title));
  if (!rows.length) return [];
  const promises = await db
    .select({ contractId: socialValueCommitments.contractId, measure: socialValueMeasures.name, unit: socialValueMeasures.unit, promised: socialValueCommitments.promised })
    .from(socialValueCommitments)
    .innerJoin(socialValueMeasures, eq(socialValueMeasures.id, socialValueCommitments.measureId))
    .where(inArray(socialValueCommitments.contractId, rows.map((r) => r.id)))
    .orderBy(asc(socialValueMeasures.name));
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    reference: r.reference,
    supplier: r.supplierName === null ? null : shownName({ name: r.supplierName, kind: r.supplierKind ?? 'unknown' }),
    startsOn: r.startsOn,
    endsOn: r.endsOn,
    valuePence: r.valuePence,
    promises: promises.filter((p) => p.contractId === r.id).map((p) => ({ measure: p.measure, unit: p.unit, promised: p.promised })),
  }));
}

export type CommitmentRow = { id: string; measure: string; unit: string; area: string; promised: number; delivered: number };
export type DeliveryRow = { commitmentId: string; deliveredOn: string; quantity: number; evidence: string; recordedBy: string | null };

/** A contract of the organisation's with each commitment's promised and delivered (all time), and the deliveries; null if not its. */
export async function contractOf(db: Tx, organisationId: string, contractId: string): Promise<{ contract: ContractRow; commitments: CommitmentRow[]; deliveries: DeliveryRow[] } | null> {
  const [contract] = await contractsOf(db, organisationId, contractId);
  if (!contract) return null;
  const commitments = await queryRows<{ id: string; measure: string; unit: string; area: string; promised: number; delivered: number }>(
    db,
    sql`select c.id, m.name as measure, m.unit, coalesce(c.area_vintage || ':' || c.area_code, '') as area, c.promised,
          coalesce((select sum(d.quantity) from social_value_deliveries d where d.commitment_id = c.id), 0)::float8 as delivered
        from social_value_commitments c join social_value_measures m on m.id = c.measure_id where c.contract_id = ${contractId} order by m.name, c.id`,
  );
  const deliveries = await queryRows<{ commitment_id: string; delivered_on: string; quantity: number; evidence: string; recorded_by: string | null }>(
    db,
    sql`select d.commitment_id, to_char(d.delivered_on, 'YYYY-MM-DD') as delivered_on, d.quantity, d.evidence, u.name as recorded_by
        from social_value_deliveries d join social_value_commitments c on c.id = d.commitment_id left join users u on u.id = d.recorded_by
        where c.contract_id = ${contractId} order by d.delivered_on, d.recorded_at`,
  );
  return {
    contract,
    commitments: commitments.map((c) => ({ ...c, promised: Number(c.promised), delivered: Number(c.delivered) })),
    deliveries: deliveries.map((d) => ({ commitmentId: d.commitment_id, deliveredOn: d.delivered_on, quantity: Number(d.quantity), evidence: d.evidence, recordedBy: d.recorded_by })),
  };
}

/** The financial years (April to March, by the year they start) the organisation's contracts run in, and this one. */
export async function financialYears(db: Tx, organisationId: string, today: string): Promise<number[]> {
  const current = financialYearOfDate(today);
  const [span] = await queryRows<{ first: string | null; last: string | null }>(
    db,
    sql`select to_char(min(starts_on), 'YYYY-MM-DD') as first, to_char(max(ends_on), 'YYYY-MM-DD') as last from contracts where organisation_id = ${organisationId}`,
  );
  // Bounded, so a mistyped year 2999 does not give a thousand options.
  const first = Math.max(span?.first ? Math.min(financialYearOfDate(span.first), current) : current, current - 15);
  const last = Math.min(span?.last ? Math.max(financialYearOfDate(span.last), current) : current, current + 15);
  return Array.from({ length: last - first + 1 }, (_, i) => last - i);
}

