import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, roleAtLeast } from '../../platform/auth/permissions.ts';
import { organisationKinds, roles } from '../../platform/auth/schema.ts';
import { fieldError, formErrors, type FormErrors } from '../../platform/web/forms.ts';
import {
  addMember,
  changeRole,
  createOrganisation,
  findOrganisation,
  kindLabels,
  listMembers,
  listOrganisations,
  removeMember,
  updateOrganisation,
} from './service.ts';

const organisationForm = z.object({
  name: z.string().trim().min(1, 'Enter the organisation’s name').max(200, 'Name must be 200 characters or fewer'),
  kind: z.enum(organisationKinds, { message: 'Select what kind of organisation it is' }),
  description: z.string().trim().max(2000, 'Description must be 2000 characters or fewer').default(''),
  website: z
    .string()
    .trim()
    .max(500, 'Website must be 500 characters or fewer')
    .refine((v) => v === '' || /^https?:\/\/[^\s]+\.[^\s]+$/.test(v), 'Enter a website address starting with https://, like https://example.org')
    .transform((v) => v || undefined)
    .optional(),
});

const memberForm = z.object({
  email: z
    .string()
    .trim()
    .min(1, 'Enter the person’s email address')
    .max(320, 'Email address must be 320 characters or fewer')
    .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'Enter an email address in the correct format, like name@example.org'),
  name: z.string().trim().max(200, 'Name must be 200 characters or fewer').default(''),
  role: z.enum(roles, { message: 'Select a role' }),
});

/** Helpers that render take any reply: they only need its page method. */
type Pager = Pick<FastifyReply, 'page'>;

const slugParams = z.object({ slug: z.string().max(100) });
const memberParams = z.object({ slug: z.string().max(100), userId: z.string().uuid('Not a member') });

const kindItems = (selected?: string) =>
  organisationKinds.map((kind) => ({ value: kind, text: kindLabels[kind], checked: kind === selected }));
const roleItems = (selected?: string) =>
  roles.map((role) => ({ value: role, text: role[0]!.toUpperCase() + role.slice(1), selected: role === selected }));

const apiOrganisation = z.object({
  slug: z.string(),
  name: z.string(),
  kind: z.enum(organisationKinds),
  description: z.string(),
  website: z.string().nullable(),
  members: z.number().int(),
});

export const organisationRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get('/organisations', { config: { access: access.public } }, async (_request, reply) => {
    return reply.page('organisations/views/index.njk', { pageTitle: 'Organisations', organisations: await listOrganisations(db()), kindLabels });
  });

  const renderNew = (reply: Pager, values: Record<string, unknown>, errors?: FormErrors) =>
    reply.page('organisations/views/form.njk', { pageTitle: 'Add an organisation', action: '/organisations', values, kinds: kindItems(values.kind as string), errors }, errors ? 400 : 200);

  app.get('/organisations/new', { config: { access: access.siteAdmin } }, async (_request, reply) => renderNew(reply, {}));

  app.post('/organisations', { config: { access: access.siteAdmin }, schema: { body: organisationForm }, attachValidation: true }, async (request, reply) => {
    if (request.validationError) return renderNew(reply, request.body as Record<string, unknown>, formErrors(request.validationError));
    const org = await createOrganisation(db(), request.body, actorOf(request));
    return reply.flash(`${request.body.name} has been added. Add its first admin below.`).redirect(`/organisations/${org.slug}/members`, 303);
  });

  app.get('/organisations/:slug', { config: { access: access.public }, schema: { params: slugParams } }, async (request, reply) => {
    const org = await findOrganisation(db(), request.params.slug);
    if (!org) return reply.callNotFound();
    const isMember = request.user !== null && (request.user.isSiteAdmin || (await listMembers(db(), org.id)).some((m) => m.userId === request.user!.id));
    return reply.page('organisations/views/show.njk', { pageTitle: org.name, org, kindLabel: kindLabels[org.kind], isMember });
  });

  const renderEdit = (reply: Pager, slug: string, values: Record<string, unknown>, errors?: FormErrors) =>
    reply.page('organisations/views/form.njk', { pageTitle: 'Edit organisation details', action: `/organisations/${slug}`, values, kinds: kindItems(values.kind as string), errors }, errors ? 400 : 200);

  app.get('/organisations/:slug/edit', { config: { access: access.organisation('admin') }, schema: { params: slugParams } }, async (request, reply) => {
    const org = (await findOrganisation(db(), request.params.slug))!;
    return renderEdit(reply, org.slug, org);
  });

  app.post(
    '/organisations/:slug',
    { config: { access: access.organisation('admin') }, schema: { params: slugParams, body: organisationForm }, attachValidation: true },
    async (request, reply) => {
      const org = request.organisation!;
      if (request.validationError) return renderEdit(reply, org.slug, request.body as Record<string, unknown>, formErrors(request.validationError));
      await updateOrganisation(db(), org.id, request.body, actorOf(request));
      return reply.flash('Organisation details saved').redirect(`/organisations/${org.slug}`, 303);
    },
  );

  const renderMembers = async (
    request: FastifyRequest,
    reply: Pager,
    extra: { values?: Record<string, unknown>; errors?: FormErrors; invitationLink?: string; invitedName?: string } = {},
    status = 200,
  ) => {
    const org = request.organisation!;
    const canManage = request.user!.isSiteAdmin || roleAtLeast(org.role, 'admin');
    return reply.page(
      'organisations/views/members.njk',
      {
        pageTitle: `Members of ${org.name}`,
        org,
        members: await listMembers(db(), org.id),
        canManage,
        roles: roleItems((extra.values?.role as string) ?? 'member'),
        roleItems,
        values: extra.values ?? {},
        ...extra,
      },
      status,
    );
  };

  app.get('/organisations/:slug/members', { config: { access: access.organisation('viewer') }, schema: { params: slugParams } }, (request, reply) =>
    renderMembers(request, reply),
  );

  app.post(
    '/organisations/:slug/members',
    { config: { access: access.organisation('admin') }, schema: { params: slugParams, body: memberForm }, attachValidation: true },
    async (request, reply) => {
      const values = request.body as Record<string, unknown>;
      if (request.validationError) return renderMembers(request, reply, { values, errors: formErrors(request.validationError) }, 400);
      const result = await addMember(db(), request.organisation!.id, request.body, actorOf(request));
      if (!result.ok) return renderMembers(request, reply, { values, errors: fieldError(result.field, result.message) }, 400);
      if (result.value.invitationToken) {
        const link = `${request.protocol}://${request.host}/invitations/${result.value.invitationToken}`;
        return renderMembers(request, reply, { invitationLink: link, invitedName: request.body.name });
      }
      return reply.flash(`${request.body.email} has been added as ${request.body.role}`).redirect(`/organisations/${request.organisation!.slug}/members`, 303);
    },
  );

  app.post(
    '/organisations/:slug/members/:userId/role',
    { config: { access: access.organisation('admin') }, schema: { params: memberParams, body: z.object({ role: z.enum(roles, { message: 'Select a role' }) }) } },
    async (request, reply) => {
      const result = await changeRole(db(), request.organisation!.id, request.params.userId, request.body.role, actorOf(request));
      if (!result.ok) return renderMembers(request, reply, { errors: fieldError('members', result.message) }, 400);
      return reply.flash('Role changed').redirect(`/organisations/${request.organisation!.slug}/members`, 303);
    },
  );

  app.post(
    '/organisations/:slug/members/:userId/remove',
    { config: { access: access.organisation('admin') }, schema: { params: memberParams } },
    async (request, reply) => {
      const result = await removeMember(db(), request.organisation!.id, request.params.userId, actorOf(request));
      if (!result.ok) return renderMembers(request, reply, { errors: fieldError('members', result.message) }, 400);
      return reply.flash('Member removed').redirect(`/organisations/${request.organisation!.slug}/members`, 303);
    },
  );

  app.get(
    '/api/v1/organisations',
    {
      config: { access: access.public },
      schema: { tags: ['organisations'], summary: 'Every organisation taking part', response: { 200: z.object({ organisations: z.array(apiOrganisation) }) } },
    },
    async () => ({ organisations: await listOrganisations(db()) }),
  );

  app.get(
    '/api/v1/organisations/:slug',
    {
      config: { access: access.public },
      schema: { tags: ['organisations'], summary: 'One organisation', params: slugParams, response: { 200: apiOrganisation } },
    },
    async (request, reply) => {
      const [org] = await listOrganisations(db(), request.params.slug);
      if (!org) return reply.callNotFound();
      return org;
    },
  );
};
