import { and, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, canSee, roleAtLeast, viewerOf, type OrganisationContext, type Sharing } from '../../platform/auth/permissions.ts';
import { memberships } from '../../platform/auth/schema.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { fieldError, formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { findPostcode } from '../geography/postcodes.ts';
import { findEdition, levelOf, vintageFor } from '../indicators/service.ts';
import { directoryServices } from './schema.ts';
import { formText, formValuesOf, keepUnshown, otherLocations, parseServiceForm, serviceFormView, kindText, statusText, contactKindText, type Form, type FormValues } from './service-form.ts';
import {
  addTerm,
  AssetError,
  createService,
  findDuplicates,
  getService,
  groupTerms,
  markChecked,
  mergeServices,
  neighbourhoodsAt,
  publicContacts,
  servicesOf,
  staleAfterDays,
  taxonomyFor,
  updateService,
  type Duplicate,
  type ServiceInput,
  type ServiceRecord,
} from './service.ts';
import { acceptAsCorrection, acceptAsNewRecord, decide, pendingCount, suggestionResultingIn, SuggestionError, type Suggestion } from './suggestions.ts';

/**
 * A record's public page (/directory/services/{id}), and the pages partners keep their records with, under
 * /organisations/{slug}/directory: their list (stale records first), adding (with likely duplicates shown
 * before saving), editing, "still correct", merging duplicates and their own categories.
 */

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => uuidPattern.test(value);
const slugParams = z.object({ slug: z.string().max(100) });
const recordParams = z.object({ slug: z.string().max(100), serviceId: z.string().max(100) });
const formBody = z.record(z.string(), z.unknown());

export const publicPath = (id: string) => `/directory/services/${id}`;
export const directoryPath = (slug: string) => `/organisations/${encodeURIComponent(slug)}/directory`;
export const editPath = (slug: string, id: string) => `${directoryPath(slug)}/services/${id}/edit`;

/** May this person change the organisation's records (members and above), from a page that is not under its address? */
async function keepsRecordsOf(db: Db, user: FastifyRequest['user'], organisationId: string): Promise<boolean> {
  if (!user) return false;
  if (user.isSiteAdmin) return true;
  const [row] = await db.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.userId, user.id), eq(memberships.organisationId, organisationId)));
  return roleAtLeast(row?.role, 'member');
}

const isCoordinator = (request: FastifyRequest) => Boolean(request.user?.isSiteAdmin) || roleAtLeast(request.organisation?.role, 'coordinator');

/** The organisation's own record, live (not merged away), or null: another's records are as if absent. */
async function ownRecord(db: Db, org: OrganisationContext, serviceId: string): Promise<ServiceRecord | null> {
  if (!isUuid(serviceId)) return null;
  const record = await getService(db, serviceId);
  return record && record.ownerOrganisationId === org.id && !record.mergedIntoId ? record : null;
}

// ---- The add and edit form, shared with accepting residents' suggestions ----------------------------------

export type FormPage = {
  org: OrganisationContext;
  mode: 'new' | 'edit';
  /** Where the form posts. */
  action: string;
  record?: ServiceRecord | null;
  /** A resident's suggestion being accepted (or that led here), shown above the form. */
  suggestion?: Suggestion | null;
  /** Likely duplicates found before saving a new record. */
  duplicates?: (Duplicate & { ours: boolean })[] | null;
  values: FormValues;
  errors?: FormErrors;
  canMerge?: boolean;
};

export async function renderServiceForm(db: Db, reply: FastifyReply, page: FormPage) {
  const terms = await taxonomyFor(db, page.org.id);
  const record = page.record ?? null;
  const title = page.mode === 'new' ? (page.suggestion ? 'Add a suggested asset to the directory' : 'Add to the directory') : `Edit ${record?.name ?? 'record'}`;
  return reply.page(
    'community-assets/views/record-form.njk',
    {
      pageTitle: title,
      title,
      org: page.org,
      mode: page.mode,
      action: page.action,
      record,
      otherLocations: record ? otherLocations(record) : [],
      suggestion: page.suggestion ?? null,
      suggestionCategory: page.suggestion?.proposed.category ? (terms.find((t) => t.id === page.suggestion!.proposed.category)?.name ?? null) : null,
      duplicates: page.duplicates ?? null,
      canMerge: page.canMerge ?? false,
      directoryHref: directoryPath(page.org.slug),
      categoriesHref: `${directoryPath(page.org.slug)}/categories`,
      staleAfterDays,
      ...serviceFormView(page.values, terms, page.errors),
    },
    page.errors?.summary.length ? 400 : 200,
  );
}

/** The point a form's postcode places the record at, or the postcode's problem as a form error. */
async function placeOfForm(db: Db, input: ServiceInput): Promise<{ ok: true; longitude: number | null; latitude: number | null; postcode: string | null } | { ok: false; errors: FormErrors }> {
  const location = input.locations[0];
  if (!location?.postcode) return { ok: true, longitude: null, latitude: null, postcode: null };
  const found = await findPostcode(db, location.postcode);
  if (!found.postcode) return { ok: false, errors: fieldError('postcode', found.message ?? `${location.postcode} is not a postcode Patchwork knows`) };
  if (found.postcode.longitude === null || found.postcode.latitude === null) return { ok: false, errors: fieldError('postcode', found.message ?? `${found.postcode.postcode} cannot be placed on a map`) };
  return { ok: true, longitude: found.postcode.longitude, latitude: found.postcode.latitude, postcode: found.postcode.postcode };
}

const problemFrom = (error: unknown, fieldOf: (e: AssetError) => string): FormErrors | null => {
  if (error instanceof AssetError) return fieldError(fieldOf(error), error.message);
  if (error instanceof SuggestionError) return fieldError(error.field === 'form' ? 'name' : error.field, error.message);
  return null;
};

/**
 * Saves a new record from the add form. Likely duplicates are shown first, unless the person has said it is
 * new; or they may choose one of their own records to merge it into, which saves it and merges it at once,
 * so the existing record gains what the form adds (categories, times, contacts, place, empty details) and the
 * new one becomes a pointer to it.
 */
export async function saveNewRecord(db: Db, request: FastifyRequest, reply: FastifyReply, page: Omit<FormPage, 'mode' | 'values' | 'errors'>) {
  const org = page.org;
  const form = (request.body ?? {}) as Form;
  const values = form as FormValues;
  const again = (errors: FormErrors) => renderServiceForm(db, reply, { ...page, mode: 'new', values, errors });
  const parsed = parseServiceForm(form);
  if (!parsed.ok) return again(parsed.errors);
  const place = await placeOfForm(db, parsed.input);
  if (!place.ok) return again(place.errors);
  const owner = { organisationId: org.id, userId: request.user?.id ?? null };
  const actor = actorOf(request);
  const suggestion = page.suggestion ?? null;

  const mergeInto = formText(form, 'mergeInto');
  if (mergeInto) {
    const keep = isUuid(mergeInto) ? await getService(db, mergeInto) : null;
    if (!keep || keep.ownerOrganisationId !== org.id || keep.mergedIntoId) return again(fieldError('name', 'Only a record your organisation keeps can be merged into: open the other record instead'));
    try {
      await db.transaction(async (tx) => {
        const id = await createService(tx, parsed.input, owner, actor);
        await mergeServices(tx, id, keep.id, org.id, actor);
        if (suggestion) await decide(tx, suggestion.id, { status: 'merged', resultServiceId: keep.id }, actor);
      });
    } catch (error) {
      const errors = problemFrom(error, parsed.fieldOf);
      if (!errors) throw error;
      return again(errors);
    }
    return reply.flash(`What you entered has been added to ${keep.name}. Check its details below and save any changes.`).redirect(editPath(org.slug, keep.id), 303);
  }

  if (formText(form, 'confirm') !== 'new') {
    const phones = [...parsed.input.contacts.map((c) => c.phone), parsed.input.organisation.phone].filter((p): p is string => Boolean(p));
    const duplicates = await findDuplicates(db, { name: parsed.input.name, postcode: place.postcode, phones, longitude: place.longitude, latitude: place.latitude });
    if (duplicates.length) {
      const owners = await db.select({ id: directoryServices.id, owner: directoryServices.ownerOrganisationId }).from(directoryServices).where(inArray(directoryServices.id, duplicates.map((d) => d.id)));
      const ours = new Set(owners.filter((o) => o.owner === org.id).map((o) => o.id));
      return renderServiceForm(db, reply, { ...page, mode: 'new', values, duplicates: duplicates.map((d) => ({ ...d, ours: ours.has(d.id) })), canMerge: true });
    }
  }

  let id: string;
  try {
    id = suggestion ? await acceptAsNewRecord(db, suggestion.id, parsed.input, owner, actor) : await createService(db, parsed.input, owner, actor);
  } catch (error) {
    const errors = problemFrom(error, parsed.fieldOf);
    if (!errors) throw error;
    return again(errors);
  }
  return reply.flash(suggestion ? `${parsed.input.name} has been added to the directory, and the suggestion marked as accepted.` : `${parsed.input.name} has been added to the directory.`).redirect(publicPath(id), 303);
}

/** Saves an edited record, keeping what the form does not show; with a correction being accepted, marks it accepted too. */
export async function saveEditedRecord(db: Db, request: FastifyRequest, reply: FastifyReply, page: Omit<FormPage, 'mode' | 'values' | 'errors'> & { record: ServiceRecord }) {
  const form = (request.body ?? {}) as Form;
  const values = form as FormValues;
  const again = (errors: FormErrors) => renderServiceForm(db, reply, { ...page, mode: 'edit', values, errors });
  const parsed = parseServiceForm(form);
  if (!parsed.ok) return again(parsed.errors);
  const place = await placeOfForm(db, parsed.input);
  if (!place.ok) return again(place.errors);
  const input = keepUnshown(parsed.input, page.record);
  const owner = { organisationId: page.record.ownerOrganisationId, userId: request.user?.id ?? null };
  const suggestion = page.suggestion?.status === 'pending' ? page.suggestion : null;
  try {
    if (suggestion) await acceptAsCorrection(db, suggestion.id, page.record.id, input, owner, actorOf(request));
    else await updateService(db, page.record.id, input, owner, actorOf(request));
  } catch (error) {
    const errors = problemFrom(error, parsed.fieldOf);
    if (!errors) throw error;
    return again(errors);
  }
  return reply.flash(suggestion ? `${input.name} has been corrected, and the suggestion marked as accepted.` : `${input.name} has been saved.`).redirect(publicPath(page.record.id), 303);
}

// ---- The public page ------------------------------------------------------------------------------------

/** "Same name nearby, same phone". */
export const reasonsText = (reasons: string[]) => {
  const text = reasons.join(', ');
  return text.charAt(0).toUpperCase() + text.slice(1);
};

const yesNoText = (v: boolean | null, yes: string, no: string) => (v === null ? 'Not known' : v ? yes : no);

function agesText(min: number | null, max: number | null): string | null {
  if (min !== null && max !== null) return min === max ? `Age ${min} only` : `Ages ${min} to ${max}`;
  if (min !== null) return `Age ${min} and over`;
  if (max !== null) return `Up to age ${max}`;
  return null;
}

/** Links to area profiles that exist in the latest edition Patchwork has (a 2025 ward may be new since it). */
async function areaLinks(db: Db, codes: string[]): Promise<Set<string>> {
  const edition = await findEdition(db, undefined);
  const wanted = [...new Set(codes)].flatMap((code) => {
    const level = levelOf(code);
    return edition && level ? [sql`(vintage = ${vintageFor(edition, level)} and code = ${code})`] : [];
  });
  if (!wanted.length) return new Set();
  const rows = await queryRows<{ code: string }>(db, sql`select code from areas where ${sql.join(wanted, sql` or `)}`);
  return new Set(rows.map((r) => r.code));
}

export const assetRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get('/directory/services/:serviceId', { config: { access: access.public }, schema: { params: z.object({ serviceId: z.string().max(100) }) } }, async (request, reply) => {
    const record = isUuid(request.params.serviceId) ? await getService(db(), request.params.serviceId) : null;
    if (!record) return reply.callNotFound();
    if (record.mergedIntoId) return reply.redirect(publicPath(record.mergedIntoId), 301);
    const viewer = await viewerOf(db(), request.user);
    const areaCodes = record.locations.flatMap((l) => [l.lsoa21, l.ward25, l.lad25].filter((a) => a !== null).map((a) => a.code));
    const linked = await areaLinks(db(), areaCodes);
    const neighbourhoods = new Map<string, { id: string; name: string }>();
    for (const l of record.locations) {
      if (l.longitude === null || l.latitude === null) continue;
      const rows = await queryRows<{ id: string; name: string; sharing: Sharing; owner_organisation_id: string }>(db(), neighbourhoodsAt(l.longitude, l.latitude));
      for (const n of rows) if (canSee(viewer, n.sharing, n.owner_organisation_id)) neighbourhoods.set(n.id, { id: n.id, name: n.name });
    }
    const canEdit = await keepsRecordsOf(db(), request.user, record.ownerOrganisationId);
    const area = (a: { code: string; name: string } | null) => (a ? { ...a, href: linked.has(a.code) ? `/areas/${a.code}` : null } : null);
    return reply.page('community-assets/views/record-show.njk', {
      pageTitle: record.name,
      record,
      kindText: record.kind === 'place' ? 'Place' : 'Group, club or activity',
      statusText: statusText[record.status],
      statusWarning: { active: null, 'temporarily closed': 'It is temporarily closed. Check with them before you go.', inactive: 'It is not running at the moment.', defunct: 'It has closed for good.' }[record.status],
      costText: record.free === null ? (record.fees ? null : 'Not known') : record.free ? 'Free' : 'There is a charge',
      agesText: agesText(record.minimumAge, record.maximumAge),
      wheelchairText: yesNoText(record.wheelchairAccessible, 'Yes, a wheelchair user can get in and use it', 'No, not for a wheelchair user'),
      contacts: publicContacts(record).map((c) => ({ ...c, kindText: contactKindText[c.kind] })),
      locations: record.locations.map((l) => ({
        ...l,
        lsoa: area(l.lsoa21),
        ward: area(l.ward25),
        district: area(l.lad25),
        mapHref: l.postcode ? `/directory?where=${encodeURIComponent(l.postcode)}` : null,
        osmHref: l.latitude !== null && l.longitude !== null ? `https://www.openstreetmap.org/?mlat=${l.latitude.toFixed(5)}&mlon=${l.longitude.toFixed(5)}#map=17/${l.latitude.toFixed(5)}/${l.longitude.toFixed(5)}` : null,
      })),
      neighbourhoods: [...neighbourhoods.values()],
      descriptionParagraphs: (record.description ?? '').split(/\n\s*\n|\r\n\s*\r\n/).map((p) => p.trim()).filter(Boolean),
      // Imported records may carry any text as a web address: only http(s) ones become links.
      websiteHref: record.url && /^https?:\/\//i.test(record.url) ? record.url : null,
      organisationHref: record.organisation.url && /^https?:\/\//i.test(record.organisation.url) ? record.organisation.url : null,
      suggestHref: `${publicPath(record.id)}/suggest`,
      editHref: canEdit ? editPath(record.ownerSlug, record.id) : null,
      staleAfterDays,
    });
  });

  // ---- The organisation's records -----------------------------------------------------------------------

  app.get('/organisations/:slug/directory', { config: { access: access.organisation('member') }, schema: { params: slugParams } }, async (request, reply) => {
    const org = request.organisation!;
    const records = await servicesOf(db(), org.id);
    const coordinator = isCoordinator(request);
    return reply.page('community-assets/views/record-list.njk', {
      pageTitle: `${org.name}: directory records`,
      org,
      records: records.map((r) => ({ ...r, kindText: kindText[r.kind], statusText: statusText[r.status] })),
      staleCount: records.filter((r) => r.stale).length,
      staleAfterDays,
      coordinator,
      pending: coordinator ? await pendingCount(db(), org.id, Boolean(request.user?.isSiteAdmin)) : 0,
      directoryHref: directoryPath(org.slug),
    });
  });

  app.get('/organisations/:slug/directory/services/new', { config: { access: access.organisation('member') }, schema: { params: slugParams } }, async (request, reply) => {
    const org = request.organisation!;
    return renderServiceForm(db(), reply, { org, mode: 'new', action: `${directoryPath(org.slug)}/services/new`, values: { organisationName: org.name } });
  });

  app.post('/organisations/:slug/directory/services/new', { config: { access: access.organisation('member') }, schema: { params: slugParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    return saveNewRecord(db(), request, reply, { org, action: `${directoryPath(org.slug)}/services/new` });
  });

  const editQuery = z.object({ suggestion: z.string().max(100).optional() });

  app.get('/organisations/:slug/directory/services/:serviceId/edit', { config: { access: access.organisation('member') }, schema: { params: recordParams, querystring: editQuery } }, async (request, reply) => {
    const org = request.organisation!;
    const record = await ownRecord(db(), org, request.params.serviceId);
    if (!record) return reply.callNotFound();
    // After a resident's suggestion was merged into this record, what they wrote is shown beside the form.
    const suggestion = request.query.suggestion && isUuid(request.query.suggestion) ? await suggestionResultingIn(db(), request.query.suggestion, record.id) : null;
    return renderServiceForm(db(), reply, { org, mode: 'edit', action: editPath(org.slug, record.id), record, suggestion, values: formValuesOf(record) });
  });

  app.post('/organisations/:slug/directory/services/:serviceId/edit', { config: { access: access.organisation('member') }, schema: { params: recordParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    const record = await ownRecord(db(), org, request.params.serviceId);
    if (!record) return reply.callNotFound();
    return saveEditedRecord(db(), request, reply, { org, action: editPath(org.slug, record.id), record });
  });

  app.post('/organisations/:slug/directory/services/:serviceId/checked', { config: { access: access.organisation('member') }, schema: { params: recordParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    const record = await ownRecord(db(), org, request.params.serviceId);
    if (!record) return reply.callNotFound();
    await markChecked(db(), record.id, actorOf(request));
    return reply.flash(`${record.name} has been marked as checked today.`).redirect(directoryPath(org.slug), 303);
  });

  // ---- Merging two of the organisation's records --------------------------------------------------------

  /** Likely duplicates of a record among the organisation's own records (only those can be merged). */
  const ownDuplicates = async (orgId: string, record: ServiceRecord) => {
    const [first] = record.locations;
    const duplicates = await findDuplicates(
      db(),
      { name: record.name, postcode: first?.postcode ?? null, phones: record.contacts.map((c) => c.phone).filter((p): p is string => Boolean(p)), longitude: first?.longitude ?? null, latitude: first?.latitude ?? null },
      record.id,
    );
    if (!duplicates.length) return [];
    const own = await db().select({ id: directoryServices.id }).from(directoryServices).where(and(inArray(directoryServices.id, duplicates.map((d) => d.id)), eq(directoryServices.ownerOrganisationId, orgId)));
    const ids = new Set(own.map((o) => o.id));
    return duplicates.filter((d) => ids.has(d.id));
  };

  const renderMerge = async (reply: FastifyReply, org: OrganisationContext, record: ServiceRecord, values: Form = {}, errors?: FormErrors) => {
    const duplicates = await ownDuplicates(org.id, record);
    return reply.page(
      'community-assets/views/record-merge.njk',
      {
        pageTitle: `Merge duplicates of ${record.name}`,
        org,
        record,
        duplicates,
        errors,
        otherItems: duplicates.map((d) => ({
          value: d.id,
          text: d.name,
          hint: { text: [reasonsText(d.reasons), d.postcode, d.metres !== null ? `${d.metres.toLocaleString('en-GB')} metres away` : null].filter(Boolean).join(' · ') },
          checked: formText(values, 'other') === d.id,
        })),
        keepItems: [
          { value: 'this', text: `Keep this record, ${record.name}`, hint: { text: 'The other one’s details are added to it' }, checked: formText(values, 'keep') === 'this' },
          { value: 'other', text: 'Keep the record chosen above', hint: { text: 'This record’s details are added to it' }, checked: formText(values, 'keep') === 'other' },
        ],
        action: `${directoryPath(org.slug)}/services/${record.id}/merge`,
        directoryHref: directoryPath(org.slug),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/directory/services/:serviceId/merge', { config: { access: access.organisation('coordinator') }, schema: { params: recordParams } }, async (request, reply) => {
    const record = await ownRecord(db(), request.organisation!, request.params.serviceId);
    if (!record) return reply.callNotFound();
    return renderMerge(reply, request.organisation!, record);
  });

  app.post('/organisations/:slug/directory/services/:serviceId/merge', { config: { access: access.organisation('coordinator') }, schema: { params: recordParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    const record = await ownRecord(db(), org, request.params.serviceId);
    if (!record) return reply.callNotFound();
    const form = request.body as Form;
    const other = formText(form, 'other');
    const keep = formText(form, 'keep');
    const { errors, fail } = formProblems();
    const candidates = await ownDuplicates(org.id, record);
    const chosen = candidates.find((d) => d.id === other);
    if (!chosen) fail('other', 'Choose the record that is the same as this one');
    if (keep !== 'this' && keep !== 'other') fail('keep', 'Choose which record to keep');
    if (errors.summary.length || !chosen) return renderMerge(reply, org, record, form, errors);
    const [duplicateId, keepId, keptName] = keep === 'this' ? [chosen.id, record.id, record.name] : [record.id, chosen.id, chosen.name];
    try {
      await mergeServices(db(), duplicateId, keepId, org.id, actorOf(request));
    } catch (error) {
      if (!(error instanceof AssetError)) throw error;
      return renderMerge(reply, org, record, form, fieldError('other', error.message));
    }
    return reply.flash(`The two records are now one: ${keptName}. The other’s address now leads here.`).redirect(publicPath(keepId), 303);
  });

  // ---- Categories -----------------------------------------------------------------------------------------

  const renderCategories = async (reply: FastifyReply, org: OrganisationContext, values: Form = {}, errors?: FormErrors) => {
    const terms = await taxonomyFor(db(), org.id);
    const parent = formText(values, 'parentId');
    return reply.page(
      'community-assets/views/record-categories.njk',
      {
        pageTitle: `${org.name}: categories`,
        org,
        groups: groupTerms(terms).map((g) => ({
          term: g.term,
          children: g.children.map((c) => ({ ...c, parentName: c.parentId !== g.term.id ? terms.find((t) => t.id === c.parentId)?.name ?? null : null })),
        })),
        parentItems: [{ value: '', text: 'None: a new top-level category of your own', selected: !parent }, ...groupTerms(terms).flatMap((g) => [g.term, ...g.children]).map((t) => ({ value: t.id, text: t.parentId ? `${terms.find((p) => p.id === t.parentId)?.name ?? ''} › ${t.name}` : t.name, selected: parent === t.id }))],
        values,
        errors,
        action: `${directoryPath(org.slug)}/categories`,
        directoryHref: directoryPath(org.slug),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/directory/categories', { config: { access: access.organisation('coordinator') }, schema: { params: slugParams } }, async (request, reply) =>
    renderCategories(reply, request.organisation!),
  );

  app.post('/organisations/:slug/directory/categories', { config: { access: access.organisation('coordinator') }, schema: { params: slugParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    const form = request.body as Form;
    const description = formText(form, 'description');
    if (description.length > 1000) return renderCategories(reply, org, form, fieldError('description', 'The description must be 1,000 characters or fewer'));
    try {
      await addTerm(db(), org, { name: formText(form, 'name'), parentId: formText(form, 'parentId') || null, description: description || null }, actorOf(request));
    } catch (error) {
      if (!(error instanceof AssetError)) throw error;
      return renderCategories(reply, org, form, fieldError(error.field, error.message));
    }
    return reply.flash(`${formText(form, 'name')} has been added to your categories. It can now be chosen for your records.`).redirect(`${directoryPath(org.slug)}/categories`, 303);
  });
};

