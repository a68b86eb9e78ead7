import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { type Viewer } from '../../platform/auth/permissions.ts';
import { memberships, organisations, users, type Role } from '../../platform/auth/schema.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import { findNeighbourhood } from '../neighbourhoods/service.ts';
import {
  actions,
  partnershipAreas,
  partnershipChecklist,
  partnershipOrganisations,
  partnershipPeople,
  partnershipRoles,
  partnerships,
  partnershipStageChanges,
  partnershipStages,
  type PartnershipStage,
} from './schema.ts';
import { checklistItem, stageChecklists, stageIndex, stageText } from './stages.ts';

/**
 * Partnerships themselves: making one for its places and organisations, the people named in it, its stage and
 * checklist, and its public summary. The plan, meetings and board report have their own modules.
 */

export type PartnershipRole = (typeof partnershipRoles)[number];
export const wardVintages = ['ward25', 'ward24', 'ward19'] as const;
export type WardVintage = (typeof wardVintages)[number];

export const maxName = 120;
export const maxDescription = 2000;
export const maxSummary = 5000;
export const maxNote = 1000;
export const maxAreas = 50;

export const conflictMessage = 'Someone else changed this partnership while you were looking at it: here is what it says now; make your change again';

/** A refusal with the form field it is about and the HTTP status it deserves. */
export class PartnershipError extends Error {
  constructor(
    message: string,
    public readonly field: string,
    public readonly status: 400 | 403 | 404 | 409 = 400,
  ) {
    super(message);
    this.name = 'PartnershipError';
  }
}

/** The person acting, as the service needs them to check the partnership's own rules (not access to it). */
export type By = { userId: string | null; isSiteAdmin: boolean };

export type NewPartnership = {
  name: string;
  description: string | null;
  wardVintage?: WardVintage;
  wardCodes: string[];
  neighbourhoodIds: string[];
  /** Slugs of the other organisations taking part; the lead organisation always does. */
  organisationSlugs: string[];
};

const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/** Wards known in a vintage: with a boundary in `areas`, or as the target of a published lookup (no boundary loaded yet). */
async function knownWards(tx: Tx, vintage: WardVintage, codes: string[]): Promise<Set<string>> {
  if (!codes.length) return new Set();
  const list = sql.join(codes.map((c) => sql`${c}`), sql`, `);
  const rows = await queryRows<{ code: string }>(
    tx,
    sql`select code from areas where vintage = ${vintage} and code in (${list})
        union select distinct to_code as code from area_lookups where to_vintage = ${vintage} and to_code in (${list})`,
  );
  return new Set(rows.map((r) => r.code));
}

/** Makes a partnership led by the owner's organisation; the person making it is named as its lead. */
export async function createPartnership(db: Db, input: NewPartnership, owner: { organisationId: string; userId: string | null }, viewer: Viewer, actor: Actor): Promise<string> {
  const name = input.name.trim();
  if (!name) throw new PartnershipError('Enter a name for the partnership', 'name');
  if (name.length > maxName) throw new PartnershipError(`The name must be ${maxName} characters or fewer`, 'name');
  const description = input.description?.trim() || null;
  if (description && description.length > maxDescription) throw new PartnershipError(`The description must be ${maxDescription.toLocaleString('en-GB')} characters or fewer`, 'description');
  const vintage = input.wardVintage ?? 'ward25';
  const wardCodes = [...new Set(input.wardCodes.map((c) => c.trim().toUpperCase()).filter(Boolean))];
  const neighbourhoodIds = [...new Set(input.neighbourhoodIds.filter(Boolean))];
  if (!wardCodes.length && !neighbourhoodIds.length) throw new PartnershipError('Enter at least one ward code or choose a neighbourhood: a partnership is for a place', 'wards');
  if (wardCodes.length + neighbourhoodIds.length > maxAreas) throw new PartnershipError(`A partnership can cover at most ${maxAreas} wards and neighbourhoods`, 'wards');
  const badFormat = wardCodes.filter((c) => !/^E05\d{6}$/.test(c));
  if (badFormat.length) throw new PartnershipError(`${badFormat.join(', ')} ${badFormat.length === 1 ? 'is not a ward code' : 'are not ward codes'}: ward codes look like E05001234`, 'wards');
  const known = await knownWards(db, vintage, wardCodes);
  const unknown = wardCodes.filter((c) => !known.has(c));
  if (unknown.length) throw new PartnershipError(`Patchwork does not know ${unknown.length === 1 ? 'the ward' : 'the wards'} ${unknown.join(', ')} (${vintage === 'ward25' ? '2025' : vintage === 'ward24' ? '2024' : '2019'} wards): check the ${unknown.length === 1 ? 'code' : 'codes'}`, 'wards');
  for (const id of neighbourhoodIds) {
    const found = isUuid(id) ? await findNeighbourhood(db, viewer, id) : null;
    if (!found) throw new PartnershipError('Choose a neighbourhood your organisation can see', 'neighbourhoods');
  }
  const slugs = [...new Set(input.organisationSlugs.map((s) => s.trim()).filter(Boolean))];
  const others = slugs.length ? await db.select({ id: organisations.id, slug: organisations.slug }).from(organisations).where(inArray(organisations.slug, slugs)) : [];
  const missing = slugs.filter((s) => !others.some((o) => o.slug === s));
  if (missing.length) throw new PartnershipError(`There is no organisation ${missing.join(', ')} in Patchwork`, 'organisations');
  const organisationIds = [...new Set([owner.organisationId, ...others.map((o) => o.id)])];

  return db.transaction(async (tx) => {
    const [row] = await tx.insert(partnerships).values({ name, description, leadOrganisationId: owner.organisationId, createdBy: owner.userId }).returning({ id: partnerships.id });
    const id = row!.id;
    const areaRows = [
      ...wardCodes.map((code) => ({ partnershipId: id, areaVintage: vintage, areaCode: code, neighbourhoodId: null })),
      ...neighbourhoodIds.map((n) => ({ partnershipId: id, areaVintage: null, areaCode: null, neighbourhoodId: n })),
    ];
    await tx.insert(partnershipAreas).values(areaRows);
    await tx.insert(partnershipOrganisations).values(organisationIds.map((organisationId) => ({ partnershipId: id, organisationId })));
    if (owner.userId) {
      const [member] = await tx.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.userId, owner.userId), eq(memberships.organisationId, owner.organisationId)));
      if (member) await tx.insert(partnershipPeople).values({ partnershipId: id, userId: owner.userId, organisationId: owner.organisationId, role: 'lead' });
    }
    await tx.insert(partnershipStageChanges).values({ partnershipId: id, fromStage: null, toStage: 'catalyse', note: 'Partnership set up', changedBy: owner.userId });
    await recordAudit(tx, {
      actor,
      action: 'partnership.create',
      objectType: 'partnership',
      objectId: id,
      organisationId: owner.organisationId,
      details: { name, wardVintage: vintage, wardCodes, neighbourhoodIds, organisationIds },
    });
    return id;
  });
}

export type PartnershipDetails = NonNullable<Awaited<ReturnType<typeof getPartnership>>>;

/** Everything the overview shows, or null for an unknown id. */
export async function getPartnership(db: Db, id: string) {
  if (!isUuid(id)) return null;
  const [row] = await db
    .select({ partnership: partnerships, leadName: organisations.name, leadSlug: organisations.slug })
    .from(partnerships)
    .innerJoin(organisations, eq(organisations.id, partnerships.leadOrganisationId))
    .where(eq(partnerships.id, id));
  if (!row) return null;
  const wards = await queryRows<{ vintage: string; code: string; name: string | null }>(
    db,
    sql`select pa.area_vintage as vintage, pa.area_code as code, a.name from partnership_areas pa
        left join areas a on a.vintage = pa.area_vintage and a.code = pa.area_code
        where pa.partnership_id = ${id} and pa.area_code is not null order by coalesce(a.name, pa.area_code)`,
  );
  const places = await db
    .select({ id: neighbourhoods.id, name: neighbourhoods.name, sharing: neighbourhoods.sharing, ownerOrganisationId: neighbourhoods.ownerOrganisationId })
    .from(partnershipAreas)
    .innerJoin(neighbourhoods, eq(neighbourhoods.id, partnershipAreas.neighbourhoodId))
    .where(eq(partnershipAreas.partnershipId, id))
    .orderBy(asc(neighbourhoods.name));
  const orgs = await db
    .select({ id: organisations.id, slug: organisations.slug, name: organisations.name, kind: organisations.kind, joinedAt: partnershipOrganisations.joinedAt })
    .from(partnershipOrganisations)
    .innerJoin(organisations, eq(organisations.id, partnershipOrganisations.organisationId))
    .where(eq(partnershipOrganisations.partnershipId, id))
    .orderBy(asc(organisations.name));
  const people = await db
    .select({ userId: users.id, name: users.name, email: users.email, organisationId: organisations.id, organisationName: organisations.name, role: partnershipPeople.role })
    .from(partnershipPeople)
    .innerJoin(users, eq(users.id, partnershipPeople.userId))
    .innerJoin(organisations, eq(organisations.id, partnershipPeople.organisationId))
    .where(eq(partnershipPeople.partnershipId, id))
    .orderBy(asc(organisations.name), asc(users.name));
  const ticked = await db
    .select({ item: partnershipChecklist.item, doneAt: partnershipChecklist.doneAt, doneByName: users.name })
    .from(partnershipChecklist)
    .leftJoin(users, eq(users.id, partnershipChecklist.doneBy))
    .where(eq(partnershipChecklist.partnershipId, id));
  const history = await db
    .select({ fromStage: partnershipStageChanges.fromStage, toStage: partnershipStageChanges.toStage, note: partnershipStageChanges.note, changedAt: partnershipStageChanges.changedAt, changedByName: users.name })
    .from(partnershipStageChanges)
    .leftJoin(users, eq(users.id, partnershipStageChanges.changedBy))
    .where(eq(partnershipStageChanges.partnershipId, id))
    .orderBy(desc(partnershipStageChanges.changedAt), desc(partnershipStageChanges.id));
  return { ...row.partnership, leadName: row.leadName, leadSlug: row.leadSlug, wards, neighbourhoods: places, organisations: orgs, people, ticked, history };
}

/** The current stage's checklist with what is ticked. */
export function checklistOf(p: Pick<PartnershipDetails, 'stage' | 'ticked'>) {
  return stageChecklists[p.stage].map((item) => {
    const tick = p.ticked.find((t) => t.item === item.id);
    return { ...item, done: Boolean(tick), doneAt: tick?.doneAt ?? null, doneByName: tick?.doneByName ?? null };
  });
}

async function roleIn(tx: Tx, userId: string | null, organisationId: string): Promise<Role | null> {
  if (!userId) return null;
  const [row] = await tx.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.userId, userId), eq(memberships.organisationId, organisationId)));
  return row?.role ?? null;
}

async function loadOrFail(tx: Tx, id: string) {
  const [p] = isUuid(id) ? await tx.select().from(partnerships).where(eq(partnerships.id, id)) : [];
  if (!p) throw new PartnershipError('There is no such partnership', 'form', 404);
  return p;
}

/** Adds an organisation. Who may (the lead organisation's coordinators) is the route's access rule. */
export async function addOrganisation(db: Db, partnershipId: string, slug: string, actor: Actor): Promise<{ name: string }> {
  return db.transaction(async (tx) => {
    await loadOrFail(tx, partnershipId);
    const [org] = slug.trim() ? await tx.select({ id: organisations.id, name: organisations.name }).from(organisations).where(eq(organisations.slug, slug.trim())) : [];
    if (!org) throw new PartnershipError(slug.trim() ? `There is no organisation ${slug.trim()} in Patchwork` : 'Choose an organisation to add', 'organisations');
    const inserted = await tx.insert(partnershipOrganisations).values({ partnershipId, organisationId: org.id }).onConflictDoNothing().returning({ id: partnershipOrganisations.organisationId });
    if (!inserted.length) throw new PartnershipError(`${org.name} already takes part`, 'organisations');
    await recordAudit(tx, { actor, action: 'partnership.organisation.add', objectType: 'partnership', objectId: partnershipId, organisationId: org.id, details: { organisation: org.name } });
    return { name: org.name };
  });
}

/** Takes an organisation out, with the people it had named; the lead organisation cannot leave its own partnership. */
export async function removeOrganisation(db: Db, partnershipId: string, organisationId: string, actor: Actor): Promise<{ name: string }> {
  return db.transaction(async (tx) => {
    const p = await loadOrFail(tx, partnershipId);
    if (organisationId === p.leadOrganisationId) throw new PartnershipError('The lead organisation cannot be removed from its partnership', 'organisations');
    const [org] = isUuid(organisationId) ? await tx.select({ name: organisations.name }).from(organisations).where(eq(organisations.id, organisationId)) : [];
    const removed = org ? await tx.delete(partnershipOrganisations).where(and(eq(partnershipOrganisations.partnershipId, partnershipId), eq(partnershipOrganisations.organisationId, organisationId))).returning({ id: partnershipOrganisations.organisationId }) : [];
    if (!org || !removed.length) throw new PartnershipError('That organisation does not take part in this partnership', 'organisations');
    await tx.delete(partnershipPeople).where(and(eq(partnershipPeople.partnershipId, partnershipId), eq(partnershipPeople.organisationId, organisationId)));
    await recordAudit(tx, { actor, action: 'partnership.organisation.remove', objectType: 'partnership', objectId: partnershipId, organisationId, details: { organisation: org.name } });
    return { name: org.name };
  });
}

/**
 * Names a person of an organisation in the partnership with a role, or takes them out (role null). Each
 * organisation manages its own people: the person acting must be an admin of that organisation.
 */
export async function setPerson(db: Db, partnershipId: string, person: { email: string; organisationId: string; role: PartnershipRole | null }, by: By, actor: Actor): Promise<{ name: string }> {
  return db.transaction(async (tx) => {
    await loadOrFail(tx, partnershipId);
    const [takesPart] = isUuid(person.organisationId)
      ? await tx
          .select({ name: organisations.name })
          .from(partnershipOrganisations)
          .innerJoin(organisations, eq(organisations.id, partnershipOrganisations.organisationId))
          .where(and(eq(partnershipOrganisations.partnershipId, partnershipId), eq(partnershipOrganisations.organisationId, person.organisationId)))
      : [];
    if (!takesPart) throw new PartnershipError('Choose an organisation that takes part in this partnership', 'organisationId');
    if (!by.isSiteAdmin && (await roleIn(tx, by.userId, person.organisationId)) !== 'admin') {
      throw new PartnershipError(`Only an administrator of ${takesPart.name} can name its people in the partnership`, 'people', 403);
    }
    const email = person.email.trim();
    if (!email) throw new PartnershipError('Enter the email address of the person', 'email');
    const [user] = await tx
      .select({ id: users.id, name: users.name })
      .from(users)
      .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.organisationId, person.organisationId)))
      .where(sql`lower(${users.email}) = lower(${email})`);
    if (!user) throw new PartnershipError(`${email} is not a member of ${takesPart.name}: add them to the organisation first`, 'email');
    if (person.role === null) {
      const removed = await tx.delete(partnershipPeople).where(and(eq(partnershipPeople.partnershipId, partnershipId), eq(partnershipPeople.userId, user.id), eq(partnershipPeople.organisationId, person.organisationId))).returning({ id: partnershipPeople.userId });
      if (!removed.length) throw new PartnershipError(`${user.name} is not named in this partnership for ${takesPart.name}`, 'email');
    } else {
      if (!(partnershipRoles as readonly string[]).includes(person.role)) throw new PartnershipError('Choose the part the person plays', 'role');
      const [existing] = await tx.select({ organisationId: partnershipPeople.organisationId }).from(partnershipPeople).where(and(eq(partnershipPeople.partnershipId, partnershipId), eq(partnershipPeople.userId, user.id)));
      if (existing && existing.organisationId !== person.organisationId) throw new PartnershipError(`${user.name} is already named in this partnership for another organisation`, 'email');
      await tx
        .insert(partnershipPeople)
        .values({ partnershipId, userId: user.id, organisationId: person.organisationId, role: person.role })
        .onConflictDoUpdate({ target: [partnershipPeople.partnershipId, partnershipPeople.userId], set: { role: person.role } });
    }
    await recordAudit(tx, { actor, action: person.role ? 'partnership.person.set' : 'partnership.person.remove', objectType: 'partnership', objectId: partnershipId, organisationId: person.organisationId, details: { userId: user.id, role: person.role } });
    return { name: user.name };
  });
}

/** Ticks or unticks an item of the current stage's checklist. */
export async function setChecklistItem(db: Db, partnershipId: string, itemId: string, done: boolean, by: By, actor: Actor): Promise<{ text: string }> {
  return db.transaction(async (tx) => {
    const p = await loadOrFail(tx, partnershipId);
    const found = checklistItem(itemId);
    if (!found) throw new PartnershipError('Choose an item of the checklist', 'checklist');
    if (found.stage !== p.stage) throw new PartnershipError(`“${found.item.text}” is on the ${stageText[found.stage]} checklist; the partnership is at the ${stageText[p.stage]} stage`, 'checklist');
    if (done) await tx.insert(partnershipChecklist).values({ partnershipId, item: itemId, doneBy: by.userId }).onConflictDoNothing();
    else await tx.delete(partnershipChecklist).where(and(eq(partnershipChecklist.partnershipId, partnershipId), eq(partnershipChecklist.item, itemId)));
    await tx.update(partnerships).set({ updatedAt: sql`now()` }).where(eq(partnerships.id, partnershipId));
    await recordAudit(tx, { actor, action: done ? 'partnership.checklist.tick' : 'partnership.checklist.untick', objectType: 'partnership', objectId: partnershipId, details: { item: itemId } });
    return { text: found.item.text };
  });
}

/**
 * Moves the partnership to another stage. It moves one stage at a time, forward or back; moving forward with
 * checklist items left unticked, or moving back, needs a note saying why. `expectedVersion` is the version
 * the person saw: if someone changed the partnership since, nothing is changed and the answer is a 409.
 */
export async function changeStage(db: Db, partnershipId: string, to: string, note: string | null, expectedVersion: number, by: By, actor: Actor): Promise<{ from: PartnershipStage; to: PartnershipStage }> {
  return db.transaction(async (tx) => {
    const p = await loadOrFail(tx, partnershipId);
    if (p.version !== expectedVersion) throw new PartnershipError(conflictMessage, 'stage', 409);
    if (!(partnershipStages as readonly string[]).includes(to)) throw new PartnershipError('Choose the stage to move to', 'stage');
    const target = to as PartnershipStage;
    const step = stageIndex(target) - stageIndex(p.stage);
    const why = note?.trim() || null;
    if (why && why.length > maxNote) throw new PartnershipError(`The note must be ${maxNote.toLocaleString('en-GB')} characters or fewer`, 'note');
    if (step === 0) throw new PartnershipError(`The partnership is already at the ${stageText[target]} stage`, 'stage');
    if (Math.abs(step) > 1) throw new PartnershipError(`A partnership moves one stage at a time: from ${stageText[p.stage]} it can move to ${stageText[partnershipStages[stageIndex(p.stage) + Math.sign(step)]!]}`, 'stage');
    if (step < 0 && !why) throw new PartnershipError(`Say why the partnership is moving back to ${stageText[target]}`, 'note');
    if (step > 0 && !why) {
      const ticked = new Set((await tx.select({ item: partnershipChecklist.item }).from(partnershipChecklist).where(eq(partnershipChecklist.partnershipId, partnershipId))).map((r) => r.item));
      const open = stageChecklists[p.stage].filter((i) => !ticked.has(i.id));
      if (open.length) throw new PartnershipError(`${open.length} of the ${stageText[p.stage]} checklist ${open.length === 1 ? 'is' : 'are'} not ticked (${open.map((i) => i.text).join('; ')}): tick ${open.length === 1 ? 'it' : 'them'}, or say in the note why the partnership is moving on without ${open.length === 1 ? 'it' : 'them'}`, 'note');
    }
    const changed = await tx
      .update(partnerships)
      .set({ stage: target, version: sql`${partnerships.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(partnerships.id, partnershipId), eq(partnerships.version, expectedVersion)))
      .returning({ id: partnerships.id });
    if (!changed.length) throw new PartnershipError(conflictMessage, 'stage', 409);
    await tx.insert(partnershipStageChanges).values({ partnershipId, fromStage: p.stage, toStage: target, note: why, changedBy: by.userId });
    await recordAudit(tx, { actor, action: 'partnership.stage', objectType: 'partnership', objectId: partnershipId, organisationId: p.leadOrganisationId, details: { from: p.stage, to: target, note: why, version: expectedVersion + 1 } });
    return { from: p.stage, to: target };
  });
}

/** Saves the plain-English summary for residents and whether it is published, with the same locking as the stage. */
export async function setPublicSummary(db: Db, partnershipId: string, summary: string, published: boolean, expectedVersion: number, actor: Actor): Promise<void> {
  const text = summary.trim();
  if (text.length > maxSummary) throw new PartnershipError(`The summary must be ${maxSummary.toLocaleString('en-GB')} characters or fewer`, 'publicSummary');
  if (published && !text) throw new PartnershipError('Write the summary before publishing it', 'publicSummary');
  await db.transaction(async (tx) => {
    const p = await loadOrFail(tx, partnershipId);
    const changed = await tx
      .update(partnerships)
      .set({ publicSummary: text || null, published, version: sql`${partnerships.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(partnerships.id, partnershipId), eq(partnerships.version, expectedVersion)))
      .returning({ id: partnerships.id });
    if (!changed.length) throw new PartnershipError(conflictMessage, 'publicSummary', 409);
    await recordAudit(tx, {
      actor,
      action: published ? 'partnership.publish' : 'partnership.unpublish',
      objectType: 'partnership',
      objectId: partnershipId,
      organisationId: p.leadOrganisationId,
      details: { published, summaryChanged: (p.publicSummary ?? '') !== text, wasPublished: p.published },
    });
  });
}

export type PartnershipListing = { id: string; name: string; stage: PartnershipStage; leadName: string; published: boolean; member: boolean };

/**
 * The partnerships a viewer takes part in (through any of their organisations) and the published ones, which
 * anyone may see. A site admin sees them all.
 */
export async function partnershipsFor(db: Db, viewer: Viewer): Promise<PartnershipListing[]> {
  const mine = viewer.organisationIds.length
    ? sql`exists (select 1 from partnership_organisations po where po.partnership_id = p.id and po.organisation_id in (${sql.join(viewer.organisationIds.map((id) => sql`${id}::uuid`), sql`, `)}))`
    : sql`false`;
  const everything = viewer.user?.isSiteAdmin ? sql`true` : sql`false`;
  const rows = await queryRows<{ id: string; name: string; stage: PartnershipStage; lead_name: string; published: boolean; member: boolean }>(
    db,
    sql`select p.id, p.name, p.stage, o.name as lead_name, p.published, ${mine} as member
        from partnerships p join organisations o on o.id = p.lead_organisation_id
        where p.published or ${mine} or ${everything}
        order by p.name`,
  );
  return rows.map((r) => ({ id: r.id, name: r.name, stage: r.stage, leadName: r.lead_name, published: r.published, member: r.member }));
}

/** What residents see: null unless the partnership has published its summary. */
export async function publicView(db: Db, id: string) {
  const p = await getPartnership(db, id);
  if (!p || !p.published) return null;
  const [counts] = await db
    .select({ total: sql<number>`count(*)::int`, done: sql<number>`count(*) filter (where ${actions.status} = 'done')::int` })
    .from(actions)
    .where(and(eq(actions.partnershipId, id), eq(actions.public, true)));
  return {
    id: p.id,
    name: p.name,
    publicSummary: p.publicSummary ?? '',
    stage: p.stage,
    wards: p.wards,
    // Only neighbourhoods their owners share publicly are named to residents.
    neighbourhoods: p.neighbourhoods.filter((n) => n.sharing === 'public'),
    organisations: p.organisations.map((o) => ({ name: o.name })),
    publicActions: counts?.total ?? 0,
    publicActionsDone: counts?.done ?? 0,
    updatedAt: p.updatedAt,
  };
}

/** The people of every organisation taking part, for others who need to know who is a member (e.g. the plan's leads). */
export async function partnershipMemberIds(db: Tx, partnershipId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ userId: memberships.userId })
    .from(memberships)
    .innerJoin(partnershipOrganisations, eq(partnershipOrganisations.organisationId, memberships.organisationId))
    .where(eq(partnershipOrganisations.partnershipId, partnershipId));
  return rows.map((r) => r.userId);
}
