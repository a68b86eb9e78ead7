import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access } from '../../platform/auth/permissions.ts';
import { fieldError, type FormErrors } from '../../platform/web/forms.ts';
import { auditCaseloadRead, caseloadOfTeam, type CaseloadRow } from './caseload.ts';
import { supportTeamRoles, type SupportTeam } from './schema.ts';
import { addTeamMember, createTeam, membersOfOrganisation, membersOfTeam, removeTeamMember, TeamError, teamById, teamOfOrganisation, teamsOfOrganisation } from './teams.ts';
import { formBody, longDate, orgParams, personPath, teamParams, teamsAdminPath, text, type Form } from './web.ts';

/**
 * Support teams. An organisation's admins set teams up and choose who is in them, seeing only counts of the people
 * supported; a team's leads see its whole caseload, by coordinator.
 */

const adminTeamParams = z.object({ slug: z.string().max(100), teamId: z.string().max(100) });
const memberParams = z.object({ slug: z.string().max(100), teamId: z.string().max(100), userId: z.string().max(100) });

const roleNames: Record<string, string> = { coordinator: 'Coordinator', lead: 'Lead' };

/** A caseload row as the tables show it. */
export function caseloadLine(row: CaseloadRow) {
  return {
    href: personPath(row.id),
    name: row.name,
    sample: row.sample,
    area: row.wardName ?? '',
    lastContact: longDate(row.lastContactOn),
    nextStepDue: longDate(row.nextStepDueOn),
    status: row.status === 'open' ? 'Open' : 'Closed',
  };
}

export const teamRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  // ---- An organisation's teams, for its admins ------------------------------------------------------------------

  const renderTeams = async (request: FastifyRequest, reply: FastifyReply, values: Form = {}, errors?: FormErrors) => {
    const org = request.organisation!;
    const teams = await teamsOfOrganisation(db(), org.id);
    return reply.page(
      'supporting-people/views/team-list.njk',
      { pageTitle: `Support teams: ${org.name}`, org, values, errors, teams: teams.map((t) => ({ ...t, href: teamsAdminPath(org.slug, `/${t.id}`) })), action: teamsAdminPath(org.slug) },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/support-teams', { config: { access: access.organisation('admin') }, schema: { params: orgParams } }, async (request, reply) => renderTeams(request, reply));

  app.post('/organisations/:slug/support-teams', { config: { access: access.organisation('admin') }, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const org = request.organisation!;
    let teamId: string;
    try {
      teamId = await db().transaction((tx) => createTeam(tx, org.id, text(form, 'name'), actorOf(request)));
    } catch (error) {
      if (!(error instanceof TeamError)) throw error;
      return renderTeams(request, reply, form, fieldError(error.field, error.message));
    }
    return reply.flash('Team created: now add its members').redirect(teamsAdminPath(org.slug, `/${teamId}`), 303);
  });

  // ---- One team's members -----------------------------------------------------------------------------------------

  const renderTeam = async (request: FastifyRequest, reply: FastifyReply, team: SupportTeam, values: Form = {}, errors?: FormErrors) => {
    const org = request.organisation!;
    const members = await membersOfTeam(db(), team.id);
    const inTeam = new Set(members.map((m) => m.userId));
    const candidates = (await membersOfOrganisation(db(), org.id)).filter((m) => !inTeam.has(m.userId));
    const chosen = text(values, 'userId');
    return reply.page(
      'supporting-people/views/team-show.njk',
      {
        pageTitle: `${team.name}: ${org.name}`,
        org,
        team,
        values,
        errors,
        backHref: teamsAdminPath(org.slug),
        members: members.map((m) => ({ ...m, role: roleNames[m.role], removeAction: teamsAdminPath(org.slug, `/${team.id}/members/${m.userId}/remove`) })),
        addAction: teamsAdminPath(org.slug, `/${team.id}/members`),
        candidateItems: candidates.length ? [{ value: '', text: 'Choose a member', selected: !chosen }, ...candidates.map((c) => ({ value: c.userId, text: `${c.name} (${c.email})`, selected: c.userId === chosen }))] : null,
        roleItems: supportTeamRoles.map((r) => ({
          value: r,
          text: roleNames[r],
          checked: r === (text(values, 'role') || 'coordinator'),
          hint: { text: r === 'lead' ? 'Sees the whole team’s caseload and can give people a new coordinator' : 'Supports the people in their own caseload' },
        })),
      },
      errors ? 400 : 200,
    );
  };

  const teamOf = (request: FastifyRequest) => teamOfOrganisation(db(), request.organisation!.id, (request.params as { teamId: string }).teamId);

  app.get('/organisations/:slug/support-teams/:teamId', { config: { access: access.organisation('admin') }, schema: { params: adminTeamParams } }, async (request, reply) => {
    const team = await teamOf(request);
    if (!team) return reply.callNotFound();
    return renderTeam(request, reply, team);
  });

  app.post('/organisations/:slug/support-teams/:teamId/members', { config: { access: access.organisation('admin') }, schema: { params: adminTeamParams, body: formBody } }, async (request, reply) => {
    const team = await teamOf(request);
    if (!team) return reply.callNotFound();
    const form = request.body as Form;
    let outcome: 'added' | 'changed';
    try {
      outcome = await db().transaction((tx) => addTeamMember(tx, team, text(form, 'userId'), text(form, 'role'), actorOf(request)));
    } catch (error) {
      if (!(error instanceof TeamError)) throw error;
      return renderTeam(request, reply, team, form, fieldError(error.field, error.message));
    }
    return reply.flash(outcome === 'added' ? 'Member added to the team' : 'Their role in the team has been changed').redirect(teamsAdminPath(request.organisation!.slug, `/${team.id}`), 303);
  });

  app.post('/organisations/:slug/support-teams/:teamId/members/:userId/remove', { config: { access: access.organisation('admin') }, schema: { params: memberParams, body: formBody } }, async (request, reply) => {
    const team = await teamOf(request);
    if (!team) return reply.callNotFound();
    const { userId } = request.params;
    const member = (await membersOfTeam(db(), team.id)).find((m) => m.userId === userId);
    if (!member) return reply.callNotFound();
    const result = await db().transaction((tx) => removeTeamMember(tx, team, userId, actorOf(request)));
    if (!result.removed) {
      const n = result.stillCoordinating;
      const message = `${member.name} still coordinates ${n} ${n === 1 ? 'person' : 'people'} in this team. A lead of the team must give ${n === 1 ? 'them' : 'each of them'} a new coordinator before ${member.name} can be removed.`;
      return renderTeam(request, reply, team, {}, { summary: [{ text: message, href: '#members' }], fields: {} });
    }
    return reply.flash(`${member.name} has been removed from the team`).redirect(teamsAdminPath(request.organisation!.slug, `/${team.id}`), 303);
  });

  // ---- A lead's view of their team's caseload -----------------------------------------------------------------------

  app.get('/support/teams/:teamId', { config: { access: access.supportTeamLead }, schema: { params: teamParams } }, async (request, reply) => {
    const team = (await teamById(db(), request.params.teamId))!;
    const [rows, members] = await Promise.all([caseloadOfTeam(db(), app.keyring, team.id, 'all'), membersOfTeam(db(), team.id)]);
    await auditCaseloadRead(db(), actorOf(request), rows, { teamId: team.id, organisationId: team.organisationId, filter: 'all' });
    const groups = members.map((m) => ({ name: m.name, role: roleNames[m.role], rows: rows.filter((r) => r.coordinatorUserId === m.userId).map(caseloadLine) }));
    const memberIds = new Set(members.map((m) => m.userId));
    const unassigned = rows.filter((r) => !r.coordinatorUserId || !memberIds.has(r.coordinatorUserId)).map(caseloadLine);
    return reply.page('supporting-people/views/team-caseload.njk', { pageTitle: `${team.name}: caseload`, team, groups, unassigned, total: rows.length });
  });
};
