import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../../platform/audit/audit.ts';
import { AccessDenied, access } from '../../platform/auth/permissions.ts';
import { fieldError, type FormErrors } from '../../platform/web/forms.ts';
import { accessLog, accessLogCount, accessLogPageSize } from './access-log.ts';
import { erasePerson, rowCountsOf } from './erasure.ts';
import { decryptPerson } from './people.ts';
import { flaggedInTeam, keepFlagged, keepReasons, keepMonths, type KeepReason } from './retention.ts';
import { closureReasonNames, supportTeams, type ClosureReason } from './schema.ts';
import { createShare, purposeMaxLength, revokeShare, sharesOf, shareStatusNames, yearAfter } from './sharing.ts';
import { subjectAccessData, subjectAccessTables } from './subject-access.ts';
import { formBody, isUuid, longDate, personOf, personParams, personPath, supportPath, teamParams, teamPath, text, today, type Form } from './web.ts';

/**
 * Sharing and privacy: sharing a record with consent, who has looked at it, the person's subject access copy,
 * erasure on request, and the leads' retention list. The permission check (access.supportPerson) has already
 * decided who may be here and written every GET to the audit log.
 */

const shareParams = z.object({ personId: z.string().max(100), shareId: z.string().max(100) });
const pageQuery = z.object({ page: z.string().max(10).optional() });
const keepParams = z.object({ teamId: z.string().max(100), personId: z.string().max(100) });

const shareDateFields = new Set(['consentOn', 'startsOn', 'endsOn']);

/** Only the person's coordinator and their team's leads see who has looked, export, or erase: not a shared colleague. */
const holdsRecord = (request: FastifyRequest) => request.support?.basis === 'coordinator' || request.support?.basis === 'team-lead';
const requireHolder = (request: FastifyRequest) => {
  if (!holdsRecord(request)) throw new AccessDenied(403, 'Only the person’s coordinator and their team’s leads can do this');
};

export const privacyRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  // ---- The privacy page: shares, and the way to sharing, the access log, export and erasure ---------------------

  const renderPrivacy = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors, organisationChoices: { id: string; name: string }[] | null = null) => {
    const { person, record } = await personOf(request, 'privacy');
    const on = today();
    const shares = await sharesOf(db(), person.id, on);
    const holder = holdsRecord(request);
    const chosenOrganisation = text(values, 'organisationId');
    return reply.page(
      'supporting-people/views/privacy.njk',
      {
        pageTitle: `Sharing and privacy: ${person.name}`,
        record,
        values,
        errors,
        consentGiven: person.consentStatus === 'given',
        shares: shares.map((s) => ({
          ...s,
          period: `${longDate(s.startsOn)} to ${longDate(s.endsOn)}`,
          consent: `${longDate(s.consentOn)}, ${s.consentHow}`,
          statusText: shareStatusNames[s.status],
          canRevoke: record.canEdit && (s.status === 'active' || s.status === 'not-started'),
          revokeAction: personPath(person.id, `/shares/${s.id}/revoke`),
        })),
        shareAction: personPath(person.id, '/shares'),
        purposeMaxLength,
        latestEnd: longDate(yearAfter(on)),
        organisationItems: organisationChoices ? [{ value: '', text: 'Choose an organisation' }, ...organisationChoices.map((o) => ({ value: o.id, text: o.name, selected: o.id === chosenOrganisation }))] : null,
        holder,
        accessHref: holder ? personPath(person.id, '/access') : null,
        exportHref: holder ? personPath(person.id, '/export') : null,
        exportJsonHref: holder ? personPath(person.id, '/export.json') : null,
        eraseHref: holder ? personPath(person.id, '/erase') : null,
      },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/:personId/privacy', { config: { access: access.supportPerson('read') }, schema: { params: personParams } }, async (request, reply) => renderPrivacy(request, reply, {}));

  app.post('/support/people/:personId/shares', { config: { access: access.supportPerson('manage') }, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const support = request.support!;
    const { person } = await personOf(request, 'privacy');
    const outcome = await db().transaction((tx) => createShare(tx, form, { personId: person.id, organisationId: support.organisationId, consentStatus: person.consentStatus, today: today() }, actorOf(request)));
    if (!outcome.ok) {
      for (const item of outcome.errors.summary) {
        const field = item.href.slice(1);
        if (shareDateFields.has(field)) item.href = `#${field}-day`;
      }
      return renderPrivacy(request, reply, form, outcome.errors, outcome.organisationChoices);
    }
    return reply.flash(`Shared with ${outcome.userName} until ${longDate(outcome.endsOn)}`).redirect(personPath(person.id, '/privacy'), 303);
  });

  app.post('/support/people/:personId/shares/:shareId/revoke', { config: { access: access.supportPerson('manage') }, schema: { params: shareParams, body: formBody } }, async (request, reply) => {
    const { personId, shareId } = request.params;
    if (!isUuid(shareId)) return reply.callNotFound();
    const support = request.support!;
    const revoked = await db().transaction((tx) => revokeShare(tx, personId, shareId, support.organisationId, actorOf(request)));
    if (!revoked) return reply.callNotFound();
    return reply.flash('Sharing ended: they can no longer read this record').redirect(personPath(personId, '/privacy'), 303);
  });

  // ---- Who has looked at this record ------------------------------------------------------------------------------

  // 'manage' rather than 'read': a shared colleague is refused (403) before the permission check writes their
  // attempt to the log as a read of the record, which it was not.
  app.get('/support/people/:personId/access', { config: { access: access.supportPerson('manage') }, schema: { params: personParams, querystring: pageQuery } }, async (request, reply) => {
    requireHolder(request);
    const { person, record } = await personOf(request, 'privacy');
    const total = await accessLogCount(db(), person.id);
    const pages = Math.max(1, Math.ceil(total / accessLogPageSize));
    const asked = Number.parseInt(request.query.page ?? '1', 10);
    const page = Number.isInteger(asked) && asked >= 1 ? Math.min(asked, pages) : 1;
    const lines = await accessLog(db(), person.id, page, accessLogPageSize);
    const href = (n: number) => personPath(person.id, `/access?page=${n}`);
    return reply.page('supporting-people/views/privacy-access.njk', {
      pageTitle: `Who has looked at this record: ${person.name}`,
      record,
      lines,
      total,
      page,
      pages,
      backHref: personPath(person.id, '/privacy'),
      pagination:
        pages > 1
          ? {
              previous: page > 1 ? { href: href(page - 1) } : undefined,
              next: page < pages ? { href: href(page + 1) } : undefined,
              items: Array.from({ length: pages }, (_, i) => ({ number: i + 1, href: href(i + 1), current: i + 1 === page })),
            }
          : null,
    });
  });

  // ---- Subject access -------------------------------------------------------------------------------------------

  const exportFor = async (request: FastifyRequest) => {
    requireHolder(request);
    const support = request.support!;
    const on = today();
    return db().transaction(async (tx) => {
      await recordAudit(tx, { actor: actorOf(request), action: 'support.person.export', objectType: 'support-person', objectId: support.personId, organisationId: support.organisationId, details: { format: request.routeOptions.url?.endsWith('.json') ? 'json' : 'html' } });
      const data = await subjectAccessData(tx, app.keyring, support.personId, on);
      if (!data) throw new Error(`Person ${support.personId} passed the permission check but could not be read`);
      return data;
    });
  };

  app.get('/support/people/:personId/export.json', { config: { access: access.supportPerson('manage') }, schema: { params: personParams } }, async (request, reply) => {
    const data = await exportFor(request);
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="subject-access-${data.person.id.slice(0, 8)}-${data.exportedOn}.json"`)
      .send(JSON.stringify(data, null, 2));
  });

  app.get('/support/people/:personId/export', { config: { access: access.supportPerson('manage') }, schema: { params: personParams } }, async (request, reply) => {
    const data = await exportFor(request);
    return reply.page('supporting-people/views/privacy-export.njk', {
      pageTitle: `Everything held about ${data.person.name}`,
      data,
      tables: subjectAccessTables(data, longDate),
      longDate,
      backHref: personPath(data.person.id, '/privacy'),
      jsonHref: personPath(data.person.id, '/export.json'),
    });
  });

  // ---- Erasure on request -----------------------------------------------------------------------------------------

  const renderErase = async (request: FastifyRequest, reply: FastifyReply, errors?: FormErrors) => {
    requireHolder(request);
    const { person, record } = await personOf(request, 'privacy');
    const counts = await rowCountsOf(db(), person.id);
    return reply.page(
      'supporting-people/views/erase.njk',
      { pageTitle: `Erase the record of ${person.name}`, record, counts, errors, action: personPath(person.id, '/erase'), backHref: personPath(person.id, '/privacy'), exportHref: personPath(person.id, '/export') },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/:personId/erase', { config: { access: access.supportPerson('manage') }, schema: { params: personParams } }, async (request, reply) => renderErase(request, reply));

  app.post('/support/people/:personId/erase', { config: { access: access.supportPerson('manage') }, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    requireHolder(request);
    const form = request.body as Form;
    if (text(form, 'confirm').trim() !== 'ERASE') return renderErase(request, reply, fieldError('confirm', 'Type ERASE in capital letters to confirm that everything about this person is to be deleted'));
    const support = request.support!;
    const counts = await db().transaction((tx) => erasePerson(tx, support.personId, support.organisationId, actorOf(request)));
    if (!counts) return reply.callNotFound();
    return reply.flash('The record and everything in it has been erased').redirect(supportPath(), 303);
  });

  // ---- Retention: a team's records flagged for erasure ----------------------------------------------------------

  const teamOf = async (teamId: string) => {
    const [team] = await db().select().from(supportTeams).where(eq(supportTeams.id, teamId));
    return team ?? null;
  };

  const renderRetention = async (request: FastifyRequest, reply: FastifyReply, teamId: string, errors?: FormErrors, values: Form = {}) => {
    const team = await teamOf(teamId);
    if (!team) return reply.callNotFound();
    const rows = await flaggedInTeam(db(), teamId);
    const people = rows.flatMap((row) => {
      if (!row.wrappedKey) return [];
      const p = decryptPerson(app.keyring, row);
      return [
        {
          id: p.id,
          name: p.name,
          sample: p.sample,
          closedOn: longDate(p.closedOn),
          closure: p.closureReason ? closureReasonNames[p.closureReason as ClosureReason] : '',
          flaggedOn: longDate(p.retentionFlaggedAt?.toISOString() ?? null),
          keepAction: teamPath(teamId, `/retention/${p.id}/keep`),
        },
      ];
    });
    // The names shown are personal data: this list's reading is audited like a record's.
    if (people.length) {
      await recordAudit(db(), { actor: actorOf(request), action: 'support.retention.read', objectType: 'support-team', objectId: teamId, organisationId: team.organisationId, details: { ids: people.map((p) => p.id) } });
    }
    return reply.page(
      'supporting-people/views/retention.njk',
      {
        pageTitle: `Records due for erasure: ${team.name}`,
        team,
        people,
        errors,
        values,
        keepMonths,
        reasonItems: Object.entries(keepReasons).map(([value, label]) => ({ value, text: label })),
        backHref: teamPath(teamId),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/support/teams/:teamId/retention', { config: { access: access.supportTeamLead }, schema: { params: teamParams } }, async (request, reply) => renderRetention(request, reply, request.params.teamId));

  app.post('/support/teams/:teamId/retention/:personId/keep', { config: { access: access.supportTeamLead }, schema: { params: keepParams, body: formBody } }, async (request, reply) => {
    const { teamId, personId } = request.params;
    if (!isUuid(personId)) return reply.callNotFound();
    const form = request.body as Form;
    const reason = text(form, 'reason');
    if (!(reason in keepReasons)) return renderRetention(request, reply, teamId, fieldError(`reason-${personId}`, 'Choose why the record is to be kept for another 12 months'), form);
    const team = await teamOf(teamId);
    if (!team) return reply.callNotFound();
    const kept = await db().transaction((tx) => keepFlagged(tx, teamId, personId, reason as KeepReason, team.organisationId, actorOf(request)));
    if (!kept) return reply.callNotFound();
    return reply.flash(`The record will be kept for another ${keepMonths} months`).redirect(teamPath(teamId, '/retention'), 303);
  });
};
