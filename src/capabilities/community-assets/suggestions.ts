import { sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { pointEwkt } from '../../platform/db/geometry.ts';
import { findPostcode } from '../geography/postcodes.ts';
import { directoryLocations, directoryServiceLocations, directoryServices, directorySuggestions, type suggestionKinds, type suggestionStatuses } from './schema.ts';
import { createService, updateService, type Owner, type ServiceInput } from './service.ts';

/**
 * Residents' suggestions, made without an account: a new asset, or a correction to a record. A suggestion
 * changes nothing by itself. It goes to the coordinators who should decide it (the record's keepers for a
 * correction; for a new asset, organisations keeping records in its district or based there), who accept it
 * (making or correcting a record), merge it into a record that already lists it, or reject it with a reason.
 * What residents write is kept as plain text and only ever shown escaped. The email they may leave, so a
 * coordinator can ask a question, is erased when the suggestion is decided; it never goes into the audit log.
 */

export class SuggestionError extends Error {
  constructor(
    public readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'SuggestionError';
  }
}

export type NewProposal = { name: string; category: string; description: string; postcode: string; address: string; when: string; contact: string };
export type CorrectionProposal = { problem: string; details: string };

export type Suggestion = {
  id: string;
  kind: (typeof suggestionKinds)[number];
  serviceId: string | null;
  service: { id: string; name: string; ownerOrganisationId: string; ownerSlug: string; ownerName: string; mergedIntoId: string | null } | null;
  proposed: Record<string, string>;
  lad25: string | null;
  ladName: string | null;
  submitterEmail: string | null;
  status: (typeof suggestionStatuses)[number];
  reason: string | null;
  resultServiceId: string | null;
  resultServiceName: string | null;
  decidedAt: Date | null;
  decidedByName: string | null;
  createdAt: Date;
};

/** The 2025 district a point lies in, through the 2025 ward boundaries, as records' locations are placed. */
async function districtAt(tx: Tx, longitude: number, latitude: number): Promise<string | null> {
  const [row] = await queryRows<{ lad25: string | null }>(
    tx,
    sql`select (select k.to_code from area_lookups k where k.from_vintage = 'ward25' and k.from_code = w.code and k.to_vintage = 'lad25' limit 1) as lad25
        from areas w where w.vintage = 'ward25' and ST_Intersects(w.boundary, ${pointEwkt(longitude, latitude)}::geometry) order by w.code limit 1`,
  );
  return row?.lad25 ?? null;
}

const emailPattern = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const checkEmail = (email: string | null) => {
  if (email && (!emailPattern.test(email) || email.length > 254)) throw new SuggestionError('email', 'Enter your email address like name@example.org, or leave it blank');
};

/** A resident's suggestion of an asset not in the directory. The postcode must be one Patchwork knows: it decides who sees it. */
export async function suggestNew(db: Db, proposal: NewProposal, email: string | null, actor: Actor): Promise<string> {
  checkEmail(email);
  return db.transaction(async (tx) => {
    const found = await findPostcode(tx, proposal.postcode);
    if (!found.postcode) throw new SuggestionError('postcode', found.message ?? `${proposal.postcode} is not a postcode Patchwork knows`);
    const { postcode } = found;
    // The ward boundaries give the current district; the postcode file's own district code is the fallback where they are not loaded.
    const lad25 = (postcode.longitude !== null && postcode.latitude !== null ? await districtAt(tx, postcode.longitude, postcode.latitude) : null) ?? postcode.lad;
    const [made] = await tx
      .insert(directorySuggestions)
      .values({ kind: 'new', proposed: { ...proposal, postcode: postcode.postcode }, lad25, submitterEmail: email })
      .returning({ id: directorySuggestions.id });
    await recordAudit(tx, { actor, action: 'directory.suggestion.made', objectType: 'directory_suggestion', objectId: made!.id, details: { kind: 'new', lad25 } });
    return made!.id;
  });
}

/** A resident's correction to a record, sent to the organisation that keeps it. */
export async function suggestCorrection(db: Db, serviceId: string, proposal: CorrectionProposal, email: string | null, actor: Actor): Promise<string> {
  checkEmail(email);
  return db.transaction(async (tx) => {
    const [service] = await queryRows<{ id: string; lad25: string | null }>(
      tx,
      sql`select s.id, (select l.lad25 from ${directoryServiceLocations} sl join ${directoryLocations} l on l.id = sl.location_id where sl.service_id = s.id and l.lad25 is not null order by l.id limit 1) as lad25
          from ${directoryServices} s where s.id = ${serviceId} and s.merged_into_id is null`,
    );
    if (!service) throw new SuggestionError('problem', 'That record is no longer in the directory');
    const [made] = await tx
      .insert(directorySuggestions)
      .values({ kind: 'correction', serviceId, proposed: proposal, lad25: service.lad25, submitterEmail: email })
      .returning({ id: directorySuggestions.id });
    await recordAudit(tx, { actor, action: 'directory.suggestion.made', objectType: 'directory_suggestion', objectId: made!.id, details: { kind: 'correction', serviceId } });
    return made!.id;
  });
}

/**
 * Which suggestions an organisation's coordinators decide: corrections to the records it keeps, and new assets
 * in a district where it keeps records or where it is based. A site administrator sees them all.
 */
function decidableBy(organisationId: string, siteAdmin: boolean) {
  if (siteAdmin) return sql`true`;
  return sql`((g.kind = 'correction' and r.owner_organisation_id = ${organisationId})
    or (g.kind = 'new' and g.lad25 is not null and (
      g.lad25 in (select l.lad25 from ${directoryLocations} l where l.owner_organisation_id = ${organisationId} and l.lad25 is not null)
      or g.lad25 in (select k.to_code from organisations o join areas w on w.vintage = 'ward25' and ST_Intersects(w.boundary, o.location)
                     join area_lookups k on k.from_vintage = 'ward25' and k.from_code = w.code and k.to_vintage = 'lad25' where o.id = ${organisationId}))))`;
}

const suggestionColumns = sql`g.id, g.kind, g.service_id, g.proposed, g.lad25, g.submitter_email, g.status, g.reason, g.result_service_id, g.decided_at, g.created_at,
  (select a.name from areas a where a.vintage = 'lad25' and a.code = g.lad25) as lad_name,
  r.name as service_name, r.owner_organisation_id as service_owner_id, r.merged_into_id as service_merged_into_id, o.slug as service_owner_slug, o.name as service_owner_name,
  (select x.name from ${directoryServices} x where x.id = g.result_service_id) as result_service_name,
  (select u.name from users u where u.id = g.decided_by) as decided_by_name`;

type Row = Record<string, unknown>;
const suggestionOf = (r: Row): Suggestion => ({
  id: r.id as string,
  kind: r.kind as Suggestion['kind'],
  serviceId: r.service_id as string | null,
  service: r.service_name
    ? { id: r.service_id as string, name: r.service_name as string, ownerOrganisationId: r.service_owner_id as string, ownerSlug: r.service_owner_slug as string, ownerName: r.service_owner_name as string, mergedIntoId: r.service_merged_into_id as string | null }
    : null,
  proposed: (typeof r.proposed === 'string' ? JSON.parse(r.proposed) : r.proposed) as Record<string, string>,
  lad25: r.lad25 as string | null,
  ladName: r.lad_name as string | null,
  submitterEmail: r.submitter_email as string | null,
  status: r.status as Suggestion['status'],
  reason: r.reason as string | null,
  resultServiceId: r.result_service_id as string | null,
  resultServiceName: r.result_service_name as string | null,
  decidedAt: r.decided_at ? new Date(r.decided_at as string) : null,
  decidedByName: r.decided_by_name as string | null,
  createdAt: new Date(r.created_at as string),
});

/** Suggestions waiting for this organisation's decision, oldest first. */
export async function pendingSuggestions(db: Tx, organisationId: string, siteAdmin: boolean): Promise<Suggestion[]> {
  const rows = await queryRows<Row>(
    db,
    sql`select ${suggestionColumns} from ${directorySuggestions} g left join ${directoryServices} r on r.id = g.service_id left join organisations o on o.id = r.owner_organisation_id
        where g.status = 'pending' and ${decidableBy(organisationId, siteAdmin)} order by g.created_at, g.id limit 500`,
  );
  return rows.map(suggestionOf);
}

/** How many suggestions wait for this organisation, for links to the queue. */
export async function pendingCount(db: Tx, organisationId: string, siteAdmin: boolean): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from ${directorySuggestions} g left join ${directoryServices} r on r.id = g.service_id where g.status = 'pending' and ${decidableBy(organisationId, siteAdmin)}`,
  );
  return Number(row?.n ?? 0);
}

/** One suggestion, when it is this organisation's to decide (or was); otherwise null, as if it did not exist. */
export async function suggestionFor(db: Tx, organisationId: string, siteAdmin: boolean, id: string): Promise<Suggestion | null> {
  const [row] = await queryRows<Row>(
    db,
    sql`select ${suggestionColumns} from ${directorySuggestions} g left join ${directoryServices} r on r.id = g.service_id left join organisations o on o.id = r.owner_organisation_id
        where g.id = ${id} and ${decidableBy(organisationId, siteAdmin)}`,
  );
  return row ? suggestionOf(row) : null;
}

/**
 * A suggestion that led to a change of this record (accepted as it, or merged into it), for showing beside the
 * record's edit form to its keepers. The submitter's email is gone by then.
 */
export async function suggestionResultingIn(db: Tx, id: string, serviceId: string): Promise<Suggestion | null> {
  const [row] = await queryRows<Row>(
    db,
    sql`select ${suggestionColumns} from ${directorySuggestions} g left join ${directoryServices} r on r.id = g.service_id left join organisations o on o.id = r.owner_organisation_id
        where g.id = ${id} and g.result_service_id = ${serviceId} and g.status in ('accepted', 'merged')`,
  );
  return row ? suggestionOf(row) : null;
}

type Decision = { status: 'accepted' | 'merged'; resultServiceId: string } | { status: 'rejected'; reason: string };

/**
 * Records a decision: erases the submitter's email, notes who decided and when, and audits it. A suggestion
 * is decided once: a second decision (two coordinators at once) is refused and the caller's transaction undone.
 */
export async function decide(tx: Tx, suggestionId: string, decision: Decision, actor: Actor): Promise<void> {
  const [row] = await queryRows<{ id: string; kind: string }>(
    tx,
    sql`update ${directorySuggestions} set status = ${decision.status}, submitter_email = null, decided_by = ${actor.userId}, decided_at = now(),
          result_service_id = ${decision.status === 'rejected' ? null : decision.resultServiceId}, reason = ${decision.status === 'rejected' ? decision.reason : null}
        where id = ${suggestionId} and status = 'pending' returning id, kind`,
  );
  if (!row) throw new SuggestionError('form', 'This suggestion has already been decided');
  await recordAudit(tx, {
    actor,
    action: `directory.suggestion.${decision.status}`,
    objectType: 'directory_suggestion',
    objectId: suggestionId,
    details: decision.status === 'rejected' ? { kind: row.kind, reason: decision.reason } : { kind: row.kind, resultServiceId: decision.resultServiceId },
  });
}

/** Accepting a new asset: the record is made from the coordinator's form and the suggestion marked accepted, together. */
export async function acceptAsNewRecord(db: Db, suggestionId: string, input: ServiceInput, owner: Owner, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const id = await createService(tx, input, owner, actor);
    await decide(tx, suggestionId, { status: 'accepted', resultServiceId: id }, actor);
    return id;
  });
}

/** Accepting a correction: the record is saved as the coordinator corrected it and the suggestion marked accepted, together. */
export async function acceptAsCorrection(db: Db, suggestionId: string, serviceId: string, input: ServiceInput, owner: Owner, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    await updateService(tx, serviceId, input, owner, actor);
    await decide(tx, suggestionId, { status: 'accepted', resultServiceId: serviceId }, actor);
  });
}

/** The asset is already listed: the suggestion is marked merged into that record. */
export async function mergeSuggestion(db: Db, suggestionId: string, serviceId: string, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    const [service] = await queryRows<{ id: string }>(tx, sql`select id from ${directoryServices} where id = ${serviceId} and merged_into_id is null`);
    if (!service) throw new SuggestionError('serviceId', 'Choose the record that already lists it');
    await decide(tx, suggestionId, { status: 'merged', resultServiceId: serviceId }, actor);
  });
}

export async function rejectSuggestion(db: Db, suggestionId: string, reason: string, actor: Actor): Promise<void> {
  const why = reason.trim();
  if (!why) throw new SuggestionError('reason', 'Enter why it is rejected: it is kept for the record, not shown to the public');
  if (why.length > 2000) throw new SuggestionError('reason', 'The reason must be 2,000 characters or fewer');
  await db.transaction(async (tx) => decide(tx, suggestionId, { status: 'rejected', reason: why }, actor));
}
