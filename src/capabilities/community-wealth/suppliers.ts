import { and, eq, isNull, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { placePostcode } from '../geography/place-postcode.ts';
import { contracts, payments, supplierAliases, supplierMerges, suppliers, type SupplierKind } from './schema.ts';
import { resummariseSuppliers } from './spend-summary.ts';
import { isIndividual, withheldName } from './supplier-names.ts';

/**
 * Suppliers: one row per firm once merged. Spellings of one firm are suggested as duplicates by their name key
 * (supplier-names.ts) and merged by a person with a reason: the merged supplier's payments, published names and
 * contracts move to the one kept, the merged row stays (pointing at it) and the merge is recorded for good.
 */

export type DuplicateGroup = { nameKey: string; suppliers: { id: string; name: string; payments: number; totalPence: number }[] };

/** Suppliers of an organisation sharing a name key, most paid first within each group; individuals are never listed. */
export async function likelyDuplicates(db: Tx, organisationId: string, limit = 100): Promise<DuplicateGroup[]> {
  const rows = await queryRows<{ name_key: string; id: string; name: string; payments: number; total: string | null }>(
    db,
    sql`with live as (
          select s.id, s.name, s.name_key from suppliers s
          where s.organisation_id = ${organisationId} and s.merged_into_id is null and s.kind <> 'individual'),
        shared as (select name_key from live group by name_key having count(*) > 1 order by name_key limit ${limit})
        select l.name_key, l.id, l.name, count(p.id)::int as payments, sum(p.amount_pence)::text as total
        from live l join shared using (name_key) left join payments p on p.supplier_id = l.id
        group by l.name_key, l.id, l.name order by l.name_key, sum(p.amount_pence) desc nulls last, l.name`,
  );
  const groups = new Map<string, DuplicateGroup>();
  for (const r of rows) {
    const group = groups.get(r.name_key) ?? { nameKey: r.name_key, suppliers: [] };
    group.suppliers.push({ id: r.id, name: r.name, payments: r.payments, totalPence: Number(r.total ?? 0) });
    groups.set(r.name_key, group);
  }
  return [...groups.values()];
}

export class MergeError extends Error {}

/** Merges `mergedId` into `keptId` (both the organisation's, both not merged already), recording who, when and why. */
export async function mergeSuppliers(db: Tx, organisationId: string, keptId: string, mergedId: string, reason: string, actor: Actor): Promise<{ paymentsMoved: number }> {
  if (keptId === mergedId) throw new MergeError('Choose two different suppliers to merge');
  if (!reason.trim()) throw new MergeError('Say why these are the same supplier, such as the same company number');
  return db.transaction(async (tx) => {
    const live = await tx
      .select({ id: suppliers.id, name: suppliers.name, kind: suppliers.kind })
      .from(suppliers)
      .where(and(eq(suppliers.organisationId, organisationId), isNull(suppliers.mergedIntoId), sql`${suppliers.id} in (${keptId}, ${mergedId})`))
      .for('update');
    const kept = live.find((s) => s.id === keptId);
    const merged = live.find((s) => s.id === mergedId);
    if (!kept || !merged) throw new MergeError('One of these suppliers is not there, or has been merged already');
    const moved = await tx.update(payments).set({ supplierId: keptId }).where(eq(payments.supplierId, mergedId)).returning({ id: payments.id });
    await tx.update(supplierAliases).set({ supplierId: keptId }).where(eq(supplierAliases.supplierId, mergedId));
    await tx.update(contracts).set({ supplierId: keptId }).where(eq(contracts.supplierId, mergedId));
    await tx.update(suppliers).set({ mergedIntoId: keptId, updatedAt: new Date() }).where(eq(suppliers.id, mergedId));
    // Earlier merges into the one now merged point on to the one kept, so every old id leads to a live supplier.
    await tx.update(suppliers).set({ mergedIntoId: keptId }).where(eq(suppliers.mergedIntoId, mergedId));
    await resummariseSuppliers(tx, [keptId, mergedId]);
    await tx.insert(supplierMerges).values({ organisationId, keptId, mergedId, mergedName: merged.name, paymentsMoved: moved.length, reason: reason.trim().slice(0, 1000), mergedBy: actor.userId });
    await recordAudit(tx, { actor, action: 'community-wealth.supplier.merged', objectType: 'supplier', objectId: keptId, details: { mergedId, mergedName: isIndividual(merged) ? withheldName : merged.name, paymentsMoved: moved.length } });
    return { paymentsMoved: moved.length };
  });
}

/**
 * Merges several suppliers into one, all or none: a merge that cannot be made (one merged meanwhile, say) undoes
 * those before it, so a person never finds half their choice done.
 */
export async function mergeSuppliersInto(db: Db, organisationId: string, keptId: string, mergedIds: readonly string[], reason: string, actor: Actor): Promise<{ paymentsMoved: number }> {
  return db.transaction(async (tx) => {
    let paymentsMoved = 0;
    for (const mergedId of mergedIds) paymentsMoved += (await mergeSuppliers(tx, organisationId, keptId, mergedId, reason, actor)).paymentsMoved;
    return { paymentsMoved };
  });
}

export type MergeRecord = { keptId: string; keptName: string; keptKind: SupplierKind; mergedName: string; mergedKind: SupplierKind; paymentsMoved: number; reason: string; mergedBy: string | null; mergedAt: Date };

/** The organisation's merges, newest first, with the kinds that say whether a name may be shown (withheldName). */
export async function mergeHistory(db: Tx, organisationId: string): Promise<MergeRecord[]> {
  const rows = await queryRows<{ kept_id: string; kept_name: string; kept_kind: SupplierKind; merged_name: string; merged_kind: SupplierKind; payments_moved: number; reason: string; merged_by: string | null; merged_at: string }>(
    db,
    sql`select k.id as kept_id, k.name as kept_name, k.kind as kept_kind, m.merged_name, ms.kind as merged_kind, m.payments_moved, m.reason, u.name as merged_by, m.merged_at::text
        from supplier_merges m join suppliers k on k.id = m.kept_id join suppliers ms on ms.id = m.merged_id left join users u on u.id = m.merged_by
        where m.organisation_id = ${organisationId} order by m.merged_at desc, m.id`,
  );
  return rows.map((r) => ({ keptId: r.kept_id, keptName: r.kept_name, keptKind: r.kept_kind, mergedName: r.merged_name, mergedKind: r.merged_kind, paymentsMoved: r.payments_moved, reason: r.reason, mergedBy: r.merged_by, mergedAt: new Date(r.merged_at) }));
}


export type SupplierDetails = { kind: SupplierKind; postcode: string | null; companyNumber: string | null; charityNumber: string | null };

/** What is wrong with a supplier's numbers, every problem at once (the postcode needs the database: updateSupplier). */
export function detailsProblems(details: SupplierDetails): { field: keyof SupplierDetails; message: string }[] {
  const problems: { field: keyof SupplierDetails; message: string }[] = [];
  if (details.companyNumber && !/^([0-9]{8}|[A-Z]{2}[0-9]{6})$/.test(details.companyNumber)) problems.push({ field: 'companyNumber', message: 'Enter a Companies House number as 8 characters, like 01234567 or SC123456' });
  if (details.charityNumber && !/^[0-9]{6,8}(-[0-9]{1,2})?$/.test(details.charityNumber)) problems.push({ field: 'charityNumber', message: 'Enter a charity number as 6 to 8 digits, like 1123456, with -1 or similar after it for a linked charity' });
  return problems;
}

/**
 * What a person knows about a supplier: its kind, its postcode (placed in a 2021 LSOA, 2025 ward and district, which is
 * what makes its spend local or not), and its company or charity number. A postcode that can't be placed is refused
 * with the reason and nothing changes.
 */
export async function updateSupplier(db: Db, organisationId: string, supplierId: string, details: SupplierDetails, actor: Actor): Promise<{ ok: true } | { ok: false; field: keyof SupplierDetails; message: string }> {
  const [problem] = detailsProblems(details);
  if (problem) return { ok: false, ...problem };
  return db.transaction(async (tx) => {
    const [found] = await tx.select({ id: suppliers.id, postcode: suppliers.postcode, lsoa21: suppliers.lsoa21, ward25: suppliers.ward25, lad25: suppliers.lad25 }).from(suppliers).where(and(eq(suppliers.id, supplierId), eq(suppliers.organisationId, organisationId), isNull(suppliers.mergedIntoId)));
    if (!found) return { ok: false as const, field: 'kind' as const, message: 'That supplier is not there' };
    let place = { postcode: null as string | null, lsoa21: null as string | null, ward25: null as string | null, lad25: null as string | null };
    // A place known without a postcode (set from a published lookup) stays unless a postcode is given; clearing a
    // postcode that was there clears the place it gave.
    if (!details.postcode?.trim() && !found.postcode) place = { postcode: null, lsoa21: found.lsoa21, ward25: found.ward25, lad25: found.lad25 };
    if (details.postcode?.trim()) {
      const placed = await placePostcode(tx, details.postcode);
      if (!placed.ok) return { ok: false as const, field: 'postcode' as const, message: placed.message };
      place = { postcode: placed.place.display, lsoa21: placed.place.lsoa21, ward25: placed.place.ward25, lad25: placed.place.lad25 };
    }
    await tx.update(suppliers).set({ kind: details.kind, ...place, companyNumber: details.companyNumber, charityNumber: details.charityNumber, updatedAt: new Date() }).where(eq(suppliers.id, supplierId));
    await recordAudit(tx, { actor, action: 'community-wealth.supplier.updated', objectType: 'supplier', objectId: supplierId, details: { kind: details.kind, lad25: place.lad25 } });
    return { ok: true as const };
  });
}
