import { and, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { contracts, socialValueCommitments, socialValueDeliveries, socialValueMeasures } from './schema.ts';

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
