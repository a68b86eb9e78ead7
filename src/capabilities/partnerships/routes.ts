import { and, asc, eq, inArray } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, viewerOf, visibleTo, type OrganisationContext } from '../../platform/auth/permissions.ts';
import { memberships, organisations } from '../../platform/auth/schema.ts';
import { fieldError, type FormErrors } from '../../platform/web/forms.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import { partnershipRoles, partnershipStages } from './schema.ts';
import {
  addOrganisation,
  changeStage,
  checklistOf,
  createPartnership,
  getPartnership,
  PartnershipError,
  partnershipsFor,
  publicView,
  removeOrganisation,
  setChecklistItem,
  setPerson,
  setPublicSummary,
  wardVintages,
  type By,
  type PartnershipDetails,
  type PartnershipRole,
} from './service.ts';
import { stageChecklists, stageHint, stageText } from './stages.ts';
import { impactPath } from '../impact/web.ts';

/**
 * Partnerships: the list, making one (under the lead organisation's address), its overview with places,
 * organisations, people, stage and checklist, and the plain-English public page residents see once published.
 */

type Form = Record<string, unknown>;
const text = (form: Form, field: string) => (typeof form[field] === 'string' ? (form[field] as string).trim() : '');
const list = (form: Form, field: string) => [form[field]].flat().filter((v): v is string => typeof v === 'string');
const formBody = z.record(z.string(), z.unknown());
const partnershipParams = z.object({ partnershipId: z.string().max(100) });
const slugParams = z.object({ slug: z.string().max(100) });

export const partnershipPath = (id: string) => `/partnerships/${id}`;
export const roleText: Record<PartnershipRole, string> = { lead: 'Lead', member: 'Member', 'resident-representative': 'Resident representative', councillor: 'Ward councillor' };
const vintageText: Record<(typeof wardVintages)[number], string> = { ward25: '2025 wards', ward24: '2024 wards', ward19: '2019 wards' };

const byOf = (request: FastifyRequest): By => ({ userId: request.user?.id ?? null, isSiteAdmin: Boolean(request.user?.isSiteAdmin) });

export const partnershipRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get('/partnerships', { config: { access: access.public } }, async (request, reply) => {
    const viewer = await viewerOf(db(), request.user);
    const all = await partnershipsFor(db(), viewer);
    // Where the person could set one up: the link is a convenience; the new-partnership route checks for itself.
    const creatable = request.user
      ? await db()
          .select({ slug: organisations.slug, name: organisations.name })
          .from(organisations)
          .innerJoin(memberships, and(eq(memberships.organisationId, organisations.id), eq(memberships.userId, request.user.id), inArray(memberships.role, ['coordinator', 'admin'])))
          .orderBy(asc(organisations.name))
      : [];
    return reply.page('partnerships/views/partnership-list.njk', {
      pageTitle: 'Partnerships',
      mine: all.filter((p) => p.member),
      published: all.filter((p) => !p.member),
      stageText,
      signedIn: Boolean(request.user),
      creatable,
    });
  });

  // ---- Making a partnership ---------------------------------------------------------------------------------

  const renderNew = async (request: FastifyRequest, reply: FastifyReply, org: OrganisationContext, values: Form, errors?: FormErrors) => {
    const viewer = await viewerOf(db(), request.user);
    const visible = await db()
      .select({ id: neighbourhoods.id, name: neighbourhoods.name })
      .from(neighbourhoods)
      .where(visibleTo({ user: viewer.user, organisationIds: [org.id] }, neighbourhoods.sharing, neighbourhoods.ownerOrganisationId))
      .orderBy(asc(neighbourhoods.name))
      .limit(500);
    const others = await db().select({ slug: organisations.slug, name: organisations.name, id: organisations.id }).from(organisations).orderBy(asc(organisations.name));
    const chosenNeighbourhoods = new Set(list(values, 'neighbourhoods'));
    const chosenOrgs = new Set(list(values, 'organisations'));
    const vintage = text(values, 'wardVintage') || 'ward25';
    return reply.page(
      'partnerships/views/partnership-new.njk',
      {
        pageTitle: 'Set up a partnership',
        org,
        values,
        errors,
        vintageItems: wardVintages.map((v) => ({ value: v, text: vintageText[v], checked: vintage === v })),
        neighbourhoodItems: visible.map((n) => ({ value: n.id, text: n.name, checked: chosenNeighbourhoods.has(n.id) })),
        organisationItems: others.filter((o) => o.id !== org.id).map((o) => ({ value: o.slug, text: o.name, checked: chosenOrgs.has(o.slug) })),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/partnerships/new', { config: { access: access.organisation('coordinator') }, schema: { params: slugParams } }, async (request, reply) =>
    renderNew(request, reply, request.organisation!, {}),
  );

  app.post(
    '/organisations/:slug/partnerships/new',
    { config: { access: access.organisation('coordinator') }, schema: { params: slugParams, body: formBody } },
    async (request, reply) => {
      const org = request.organisation!;
      const form = (request.body ?? {}) as Form;
      const vintage = text(form, 'wardVintage') || 'ward25';
      if (!(wardVintages as readonly string[]).includes(vintage)) return renderNew(request, reply, org, form, fieldError('wardVintage', 'Choose which wards the codes are'));
      try {
        const id = await createPartnership(
          db(),
          {
            name: text(form, 'name'),
            description: text(form, 'description') || null,
            wardVintage: vintage as (typeof wardVintages)[number],
            wardCodes: text(form, 'wards').split(/[\s,]+/).filter(Boolean),
            neighbourhoodIds: list(form, 'neighbourhoods'),
            organisationSlugs: list(form, 'organisations'),
          },
          { organisationId: org.id, userId: request.user?.id ?? null },
          await viewerOf(db(), request.user).then((v) => ({ ...v, organisationIds: [org.id] })),
          actorOf(request),
        );
        return reply.flash(`The partnership ${text(form, 'name')} has been set up.`).redirect(partnershipPath(id), 303);
      } catch (error) {
        if (!(error instanceof PartnershipError)) throw error;
        return renderNew(request, reply, org, form, fieldError(error.field, error.message));
      }
    },
  );

  // ---- The overview -----------------------------------------------------------------------------------------

  const renderOverview = async (request: FastifyRequest, reply: FastifyReply, problem?: { errors: FormErrors; status: number; values?: Form }) => {
    const p = (await getPartnership(db(), request.partnership!.id))!;
    const mine = request.partnership!.memberOrganisations;
    const isAdminOf = (orgId: string) => Boolean(request.user?.isSiteAdmin) || mine.some((m) => m.id === orgId && m.role === 'admin');
    const leadCoordinator = Boolean(request.user?.isSiteAdmin) || mine.some((m) => m.id === p.leadOrganisationId && (m.role === 'coordinator' || m.role === 'admin'));
    const isMember = Boolean(request.user?.isSiteAdmin) || mine.some((m) => m.role !== 'viewer');
    const allOrgs = leadCoordinator ? await db().select({ slug: organisations.slug, name: organisations.name, id: organisations.id }).from(organisations).orderBy(asc(organisations.name)) : [];
    const index = partnershipStages.indexOf(p.stage);
    const values = problem?.values ?? {};
    return reply.page(
      'partnerships/views/partnership-show.njk',
      {
        pageTitle: p.name,
        p,
        values,
        errors: problem?.errors,
        stageText,
        stageHint,
        roleText,
        checklist: checklistOf(p),
        stages: partnershipStages.map((s, i) => ({ stage: s, text: stageText[s], current: i === index, done: i < index })),
        stageItems: partnershipStages.filter((_, i) => Math.abs(i - index) === 1).map((s) => ({ value: s, text: `${stageIndex(s) > index ? 'Move on to' : 'Move back to'} ${stageText[s]}`, hint: { text: stageHint[s] }, checked: text(values, 'stage') === s })),
        isMember,
        leadCoordinator,
        addableOrganisations: allOrgs.filter((o) => !p.organisations.some((t) => t.id === o.id)).map((o) => ({ value: o.slug, text: o.name })),
        adminOrganisations: p.organisations.filter((o) => isAdminOf(o.id)).map((o) => ({ value: o.id, text: o.name, selected: text(values, 'organisationId') === o.id })),
        roleItems: partnershipRoles.map((r) => ({ value: r, text: roleText[r], checked: text(values, 'role') === r })),
        canNamePeopleOf: (orgId: string) => isAdminOf(orgId),
        links: [
          { href: `${partnershipPath(p.id)}/plan`, text: 'Plan: priorities and actions' },
          { href: `${partnershipPath(p.id)}/meetings`, text: 'Meetings' },
          { href: `${partnershipPath(p.id)}/report`, text: 'Board report' },
          { href: `${partnershipPath(p.id)}/support`, text: 'People supported: introductions, connections and wellbeing (counts only)' },
          { href: impactPath(p.id), text: 'Impact: outcomes, stories and social return' },
        ],
      },
      problem?.status ?? 200,
    );
  };
  const stageIndex = (s: (typeof partnershipStages)[number]) => partnershipStages.indexOf(s);

  /** Runs a change; a refusal re-renders the overview with its message and status (400, 403, 409). */
  const attempt = async (request: FastifyRequest, reply: FastifyReply, change: () => Promise<string>) => {
    try {
      const message = await change();
      return reply.flash(message).redirect(partnershipPath(request.partnership!.id), 303);
    } catch (error) {
      if (!(error instanceof PartnershipError)) throw error;
      if (error.status === 404) return reply.callNotFound();
      return renderOverview(request, reply, { errors: fieldError(error.field, error.message), status: error.status, values: (request.body ?? {}) as Form });
    }
  };

  app.get('/partnerships/:partnershipId', { config: { access: access.partnership('viewer') }, schema: { params: partnershipParams } }, async (request, reply) => renderOverview(request, reply));

  app.post('/partnerships/:partnershipId/checklist', { config: { access: access.partnership('member') }, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const done = text(form, 'done') === 'true';
    return attempt(request, reply, async () => {
      const item = await setChecklistItem(db(), request.partnership!.id, text(form, 'item'), done, byOf(request), actorOf(request));
      return done ? `Ticked: ${item.text}` : `No longer ticked: ${item.text}`;
    });
  });

  app.post('/partnerships/:partnershipId/stage', { config: { access: access.partnership('member') }, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const version = Number(text(form, 'version'));
    return attempt(request, reply, async () => {
      if (!Number.isInteger(version) || version < 1) throw new PartnershipError('The form is out of date: reload the page and try again', 'stage');
      const moved = await changeStage(db(), request.partnership!.id, text(form, 'stage'), text(form, 'note') || null, version, byOf(request), actorOf(request));
      return `The partnership has moved from ${stageText[moved.from]} to ${stageText[moved.to]}.`;
    });
  });

  app.post('/partnerships/:partnershipId/organisations', { config: { access: access.partnershipLead('coordinator') }, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    return attempt(request, reply, async () => {
      const remove = text(form, 'remove');
      if (remove) return `${(await removeOrganisation(db(), request.partnership!.id, remove, actorOf(request))).name} no longer takes part.`;
      return `${(await addOrganisation(db(), request.partnership!.id, text(form, 'organisation'), actorOf(request))).name} now takes part.`;
    });
  });

  app.post('/partnerships/:partnershipId/people', { config: { access: access.partnership('member') }, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    return attempt(request, reply, async () => {
      const removing = text(form, 'remove') === 'true';
      const role = text(form, 'role');
      if (!removing && !(partnershipRoles as readonly string[]).includes(role)) throw new PartnershipError('Choose the part the person plays', 'role');
      const person = await setPerson(db(), request.partnership!.id, { email: text(form, 'email'), organisationId: text(form, 'organisationId'), role: removing ? null : (role as PartnershipRole) }, byOf(request), actorOf(request));
      return removing ? `${person.name} is no longer named in the partnership.` : `${person.name} is named as ${roleText[role as PartnershipRole].toLowerCase()}.`;
    });
  });

  // ---- The public summary -----------------------------------------------------------------------------------

  const renderSummary = async (reply: FastifyReply, p: PartnershipDetails, values: Form, errors?: FormErrors, status = 200) =>
    reply.page('partnerships/views/partnership-summary.njk', { pageTitle: `Public summary: ${p.name}`, p, values, errors }, errors ? status : 200);

  app.get('/partnerships/:partnershipId/public-summary', { config: { access: access.partnership('member') }, schema: { params: partnershipParams } }, async (request, reply) => {
    const p = (await getPartnership(db(), request.partnership!.id))!;
    return renderSummary(reply, p, { publicSummary: p.publicSummary ?? '', version: String(p.version) });
  });

  app.post('/partnerships/:partnershipId/public-summary', { config: { access: access.partnership('member') }, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const publish = text(form, 'publish') === 'true';
    const version = Number(text(form, 'version'));
    try {
      if (!Number.isInteger(version) || version < 1) throw new PartnershipError('The form is out of date: reload the page and try again', 'publicSummary');
      await setPublicSummary(db(), request.partnership!.id, typeof form.publicSummary === 'string' ? form.publicSummary : '', publish, version, actorOf(request));
    } catch (error) {
      if (!(error instanceof PartnershipError)) throw error;
      const p = (await getPartnership(db(), request.partnership!.id))!;
      // On a conflict, show what it says now, with the person's text kept beside it to copy from.
      const values = error.status === 409 ? { publicSummary: p.publicSummary ?? '', version: String(p.version), yours: form.publicSummary } : { ...form };
      return renderSummary(reply, p, values, fieldError(error.field, error.message), error.status);
    }
    return reply.flash(publish ? 'The summary is published: anyone can read it on the partnership’s public page.' : 'The summary is saved and not published.').redirect(partnershipPath(request.partnership!.id), 303);
  });

  app.get('/partnerships/:partnershipId/public', { config: { access: access.public }, schema: { params: partnershipParams } }, async (request, reply) => {
    const view = await publicView(db(), request.params.partnershipId);
    if (!view) return reply.callNotFound();
    return reply.page('partnerships/views/partnership-public.njk', { pageTitle: view.name, view, stageText, stageHint, checklistSize: stageChecklists[view.stage].length });
  });

};
