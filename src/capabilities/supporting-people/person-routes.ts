import { and, asc, eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { access } from '../../platform/auth/permissions.ts';
import { users } from '../../platform/auth/schema.ts';
import type { DataKey } from '../../platform/crypto/envelope.ts';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { auditCaseloadRead, caseloadFilters, caseloadOf, type CaseloadFilter } from './caseload.ts';
import { ageBandNames, demographicQuestions, detailsToForm, readChangedDetails, readClosureForm, readIntroductionForm, readNewPersonForm, type PersonDetails, type TeamChoice } from './person-form.ts';
import { insertIntroduction, insertPerson, seal, type PersonRecord } from './people.ts';
import { closureReasonNames, closureReasons, consentStatuses, introductionRouteNames, introductionRoutes, supportAgeBands, supportIntroductions, supportPeople, supportTeamMembers, supportTeams } from './schema.ts';
import { caseloadLine } from './team-routes.ts';
import { membersOfTeam, teamsOfUser } from './teams.ts';
import { formBody, longDate, personOf, personParams, personPath, supportPath, teamPath, text, today, type Form } from './web.ts';

/**
 * A coordinator's caseload, recording someone new with how they were introduced, and the summary of a person's
 * record with the changes made from it (details, another introduction, closing and reopening, a new coordinator).
 * Who may open a record is decided by access.supportPerson, which also writes every GET to the audit log; each
 * change here is audited in its own transaction, naming fields, never their values.
 */

const caseloadQuery = z.object({ status: z.string().max(20).optional() });
const consentNames: Record<string, string> = { given: 'Given', withdrawn: 'Withdrawn' };

// ---- Writing changes ---------------------------------------------------------------------------------------------

type Changes = Partial<typeof supportPeople.$inferInsert>;

/** The columns a changed form alters, encrypted with the person's key; and the names of the fields that changed. */
function changedColumns(person: PersonRecord, details: PersonDetails, dataKey: DataKey): { set: Changes; fields: string[] } {
  const at = (column: string) => seal('support_people', person.id, column);
  const set: Changes = {};
  const fields: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (details.name !== person.name) (set.nameEnc = dataKey.encrypt(details.name, at('name'))), fields.push('name');
  if (!same(details.contact, person.contact)) (set.contactEnc = dataKey.encryptJson(details.contact, at('contact'))), fields.push('contact');
  if ((details.postcode?.display ?? null) !== person.postcode) {
    set.postcodeEnc = dataKey.encrypt(details.postcode?.display ?? null, at('postcode'));
    Object.assign(set, { lsoa21: details.postcode?.lsoa21 ?? null, ward25: details.postcode?.ward25 ?? null, lad25: details.postcode?.lad25 ?? null });
    fields.push('postcode');
  }
  if (details.dateOfBirth !== person.dateOfBirth) (set.dateOfBirthEnc = dataKey.encrypt(details.dateOfBirth, at('date_of_birth'))), fields.push('dateOfBirth');
  if (details.ageBand !== person.ageBand) (set.ageBand = details.ageBand), fields.push('ageBand');
  if (details.consentStatus !== person.consentStatus) (set.consentStatus = details.consentStatus), fields.push('consentStatus');
  if (details.consentOn !== person.consentOn) (set.consentOn = details.consentOn), fields.push('consentOn');
  if (!same(details.demographics, person.demographics)) (set.demographicsEnc = dataKey.encryptJson(details.demographics, at('demographics'))), fields.push('demographics');
  return { set, fields };
}

async function updatePerson(tx: Tx, personId: string, organisationId: string, set: Changes, action: string, details: Record<string, unknown>, actor: Actor): Promise<void> {
  await tx
    .update(supportPeople)
    .set({ ...set, updatedAt: new Date() })
    .where(eq(supportPeople.id, personId));
  await recordAudit(tx, { actor, action, objectType: 'support-person', objectId: personId, organisationId, details });
}

// ---- Reading for the summary ---------------------------------------------------------------------------------------

async function areaNames(tx: Tx, person: PersonRecord): Promise<{ ward: string | null; lsoa: string | null }> {
  const rows = await queryRows<{ vintage: string; name: string }>(
    tx,
    sql`select vintage, name from areas where (vintage = 'ward25' and code = ${person.ward25}) or (vintage = 'lsoa21' and code = ${person.lsoa21})`,
  );
  return { ward: rows.find((r) => r.vintage === 'ward25')?.name ?? null, lsoa: rows.find((r) => r.vintage === 'lsoa21')?.name ?? null };
}

async function introductionsOf(tx: Tx, personId: string, dataKey: DataKey) {
  const rows = await tx.select().from(supportIntroductions).where(eq(supportIntroductions.personId, personId)).orderBy(asc(supportIntroductions.introducedOn), asc(supportIntroductions.createdAt));
  return rows.map((r) => ({
    date: longDate(r.introducedOn),
    route: introductionRouteNames[r.route],
    introducer: dataKey.decrypt(r.introducerEnc, seal('support_introductions', r.id, 'introducer')) ?? '',
    reason: dataKey.decrypt(r.reasonEnc, seal('support_introductions', r.id, 'reason')) ?? '',
  }));
}

async function teamAndCoordinator(tx: Tx, person: PersonRecord): Promise<{ team: string; coordinator: string | null }> {
  const [team] = await tx.select({ name: supportTeams.name }).from(supportTeams).where(eq(supportTeams.id, person.teamId));
  const [coordinator] = person.coordinatorUserId ? await tx.select({ name: users.name }).from(users).where(eq(users.id, person.coordinatorUserId)) : [];
  return { team: team?.name ?? '', coordinator: coordinator?.name ?? null };
}

function demographicLines(person: PersonRecord): { label: string; value: string }[] {
  const d = person.demographics ?? {};
  return demographicQuestions.flatMap((q) => (d[q.key] ? [{ label: q.label, value: q.labels[d[q.key]!] ?? d[q.key]! }] : []));
}

// ---- Form items ------------------------------------------------------------------------------------------------------

const radioItems = (values: readonly string[], names: Record<string, string>, chosen: string) => values.map((v) => ({ value: v, text: names[v] ?? v, checked: v === chosen }));

function detailsItems(values: Form) {
  return {
    ageBandItems: radioItems(supportAgeBands, ageBandNames, text(values, 'ageBand')),
    consentItems: radioItems(consentStatuses, { given: 'They have given consent', withdrawn: 'They have withdrawn consent' }, text(values, 'consentStatus')),
    demographicFields: demographicQuestions.map((q) => ({ key: q.key, label: q.label, items: radioItems(q.values, q.labels, text(values, q.key)) })),
  };
}

const routeItems = (values: Form) => radioItems(introductionRoutes, introductionRouteNames, text(values, 'route'));

export const personRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  // ---- The caseload ---------------------------------------------------------------------------------------------------

  app.get('/support', { config: { access: access.supportWorker }, schema: { querystring: caseloadQuery } }, async (request, reply) => {
    const filter: CaseloadFilter = (caseloadFilters as readonly string[]).includes(request.query.status ?? '') ? (request.query.status as CaseloadFilter) : 'all';
    const userId = request.user!.id;
    const [rows, teams] = await Promise.all([caseloadOf(db(), app.keyring, userId, filter), teamsOfUser(db(), userId)]);
    await auditCaseloadRead(db(), actorOf(request), rows, { organisationId: teams.length === 1 ? teams[0]!.organisationId : null, filter });
    return reply.page('supporting-people/views/caseload.njk', {
      pageTitle: 'Your caseload',
      filter,
      open: rows.filter((r) => r.status === 'open').map(caseloadLine),
      closed: rows.filter((r) => r.status === 'closed').map(caseloadLine),
      filters: caseloadFilters.map((f) => ({ value: f, text: { open: 'Open', closed: 'Closed', all: 'All' }[f], href: `${supportPath()}?status=${f}`, current: f === filter })),
      ledTeams: teams.filter((t) => t.role === 'lead').map((t) => ({ name: t.name, href: teamPath(t.id) })),
      newHref: supportPath('/people/new'),
    });
  });

  // ---- Recording someone new ------------------------------------------------------------------------------------------

  const teamChoices = async (userId: string): Promise<(TeamChoice & { name: string; members: { userId: string; name: string }[] })[]> => {
    const teams = await teamsOfUser(db(), userId);
    return Promise.all(
      teams.map(async (t) => {
        const members = await membersOfTeam(db(), t.id);
        return { id: t.id, name: t.name, role: t.role, memberIds: members.map((m) => m.userId), members };
      }),
    );
  };

  const renderNew = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const userId = request.user!.id;
    const teams = await teamChoices(userId);
    const chosenTeam = text(values, 'teamId');
    const chosenCoordinator = text(values, 'coordinatorUserId') || userId;
    const led = teams.filter((t) => t.role === 'lead');
    const coordinatorItems = led.length
      ? [
          { value: userId, text: 'Me', selected: chosenCoordinator === userId },
          ...led.flatMap((t) => t.members.filter((m) => m.userId !== userId).map((m) => ({ value: m.userId, text: `${m.name} (${t.name})`, selected: m.userId === chosenCoordinator }))),
        ]
      : null;
    return reply.page(
      'supporting-people/views/person-new.njk',
      {
        pageTitle: 'Record someone new',
        values,
        errors,
        action: supportPath('/people/new'),
        backHref: supportPath(),
        singleTeam: teams.length === 1 ? teams[0] : null,
        teamItems: teams.length > 1 ? [{ value: '', text: 'Choose a team', selected: !chosenTeam }, ...teams.map((t) => ({ value: t.id, text: t.name, selected: t.id === chosenTeam }))] : null,
        coordinatorItems,
        routeItems: routeItems(values),
        ...detailsItems(values),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/new', { config: { access: access.supportWorker } }, async (request, reply) => renderNew(request, reply, { consentStatus: 'given' }));

  app.post('/support/people/new', { config: { access: access.supportWorker }, schema: { body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const teams = await teamChoices(request.user!.id);
    const result = await db().transaction(async (tx) => {
      const read = await readNewPersonForm(tx, form, request.user!.id, teams);
      if (!read.ok) return read;
      return { ok: true as const, id: await insertPerson(tx, app.keyring, read.value.person, read.value.introduction, actorOf(request)) };
    });
    if (!result.ok) return renderNew(request, reply, form, result.errors);
    return reply.flash('Record made').redirect(personPath(result.id), 303);
  });

  // ---- The summary of a record ---------------------------------------------------------------------------------------

  app.get('/support/people/:personId', { config: { access: access.supportPerson('read') }, schema: { params: personParams } }, async (request, reply) => {
    const { person, dataKey, record } = await personOf(request, 'summary');
    const [areas, introductions, team] = await Promise.all([areaNames(db(), person), introductionsOf(db(), person.id, dataKey), teamAndCoordinator(db(), person)]);
    const id = person.id;
    return reply.page('supporting-people/views/person-show.njk', {
      pageTitle: 'Supported person: summary',
      record,
      person,
      areas,
      introductions,
      team,
      dateOfBirth: person.dateOfBirth ? longDate(person.dateOfBirth) : null,
      ageBand: person.ageBand ? ageBandNames[person.ageBand] : null,
      consent: `${consentNames[person.consentStatus]} on ${longDate(person.consentOn)}`,
      withdrawn: person.consentStatus === 'withdrawn',
      demographics: demographicLines(person),
      closed: person.status === 'closed' ? { on: longDate(person.closedOn), reason: person.closureReason ? closureReasonNames[person.closureReason] : '' } : null,
      canReassign: request.support?.basis === 'team-lead',
      links: {
        edit: personPath(id, '/edit'),
        introduce: personPath(id, '/introductions/new'),
        close: personPath(id, '/close'),
        reopen: personPath(id, '/reopen'),
        coordinator: personPath(id, '/coordinator'),
        privacy: personPath(id, '/privacy'),
      },
    });
  });

  // ---- Changing their details ----------------------------------------------------------------------------------------

  const renderEdit = (reply: FastifyReply, record: unknown, personId: string, values: Form, errors?: FormErrors) =>
    reply.page(
      'supporting-people/views/person-edit.njk',
      { pageTitle: 'Change details', record, values, errors, action: personPath(personId, '/edit'), backHref: personPath(personId), ...detailsItems(values) },
      errors ? 400 : 200,
    );

  app.get('/support/people/:personId/edit', { config: { access: access.supportPerson('write') }, schema: { params: personParams } }, async (request, reply) => {
    const { person, record } = await personOf(request, 'summary');
    return renderEdit(reply, record, person.id, detailsToForm(person));
  });

  app.post('/support/people/:personId/edit', { config: { access: access.supportPerson('write') }, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    const { person, dataKey, record } = await personOf(request, 'summary');
    const form = request.body as Form;
    const current = person.postcode ? { display: person.postcode, lsoa21: person.lsoa21, ward25: person.ward25, lad25: person.lad25 } : null;
    const result = await db().transaction(async (tx) => {
      const read = await readChangedDetails(tx, form, current);
      if (!read.ok) return read;
      const { set, fields } = changedColumns(person, read.value, dataKey);
      if (fields.length) await updatePerson(tx, person.id, request.support!.organisationId, set, 'support.person.update', { fields }, actorOf(request));
      return { ok: true as const, fields, withdrawn: read.value.consentStatus === 'withdrawn' };
    });
    if (!result.ok) return renderEdit(reply, record, person.id, form, result.errors);
    const message = result.withdrawn ? 'Details saved. Consent is withdrawn: close the record and erase it' : result.fields.length ? 'Details saved' : 'Nothing was changed';
    return reply.flash(message).redirect(personPath(person.id), 303);
  });

  // ---- Another introduction ------------------------------------------------------------------------------------------

  const renderIntroduction = (reply: FastifyReply, record: unknown, personId: string, values: Form, errors?: FormErrors) =>
    reply.page(
      'supporting-people/views/introduction-new.njk',
      { pageTitle: 'Add an introduction', record, values, errors, action: personPath(personId, '/introductions/new'), backHref: personPath(personId), routeItems: routeItems(values) },
      errors ? 400 : 200,
    );

  app.get('/support/people/:personId/introductions/new', { config: { access: access.supportPerson('write') }, schema: { params: personParams } }, async (request, reply) => {
    const { person, record } = await personOf(request, 'summary');
    return renderIntroduction(reply, record, person.id, {});
  });

  app.post('/support/people/:personId/introductions/new', { config: { access: access.supportPerson('write') }, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    const { person, dataKey, record } = await personOf(request, 'summary');
    const read = readIntroductionForm(request.body as Form);
    if (!read.ok) return renderIntroduction(reply, record, person.id, request.body as Form, read.errors);
    await db().transaction(async (tx) => {
      const introductionId = await insertIntroduction(tx, dataKey, person.id, read.value, request.user!.id);
      await recordAudit(tx, { actor: actorOf(request), action: 'support.introduction.create', objectType: 'support-person', objectId: person.id, organisationId: request.support!.organisationId, details: { introductionId, route: read.value.route } });
    });
    return reply.flash('Introduction added').redirect(personPath(person.id), 303);
  });

  // ---- Closing and reopening -----------------------------------------------------------------------------------------

  const renderClose = (reply: FastifyReply, record: unknown, personId: string, values: Form, errors?: FormErrors) =>
    reply.page(
      'supporting-people/views/person-close.njk',
      { pageTitle: 'Close the record', record, values, errors, action: personPath(personId, '/close'), backHref: personPath(personId), reasonItems: radioItems(closureReasons, closureReasonNames, text(values, 'reason')) },
      errors ? 400 : 200,
    );

  app.get('/support/people/:personId/close', { config: { access: access.supportPerson('write') }, schema: { params: personParams } }, async (request, reply) => {
    const { person, record } = await personOf(request, 'summary');
    if (person.status === 'closed') return reply.flash('This record is already closed').redirect(personPath(person.id), 303);
    const [y, m, d] = today().split('-');
    return renderClose(reply, record, person.id, { 'closedOn-day': String(Number(d)), 'closedOn-month': String(Number(m)), 'closedOn-year': y });
  });

  app.post('/support/people/:personId/close', { config: { access: access.supportPerson('write') }, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    const { person, record } = await personOf(request, 'summary');
    if (person.status === 'closed') return reply.flash('This record is already closed').redirect(personPath(person.id), 303);
    const read = readClosureForm(request.body as Form);
    if (!read.ok) return renderClose(reply, record, person.id, request.body as Form, read.errors);
    await db().transaction((tx) =>
      updatePerson(tx, person.id, request.support!.organisationId, { status: 'closed', closedOn: read.value.closedOn, closureReason: read.value.reason }, 'support.person.close', { fields: ['status', 'closedOn', 'closureReason'] }, actorOf(request)),
    );
    return reply.flash('Record closed').redirect(personPath(person.id), 303);
  });

  app.post('/support/people/:personId/reopen', { config: { access: access.supportPerson('write') }, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    const { person } = await personOf(request, 'summary');
    if (person.status === 'open') return reply.flash('This record is already open').redirect(personPath(person.id), 303);
    await db().transaction((tx) =>
      updatePerson(tx, person.id, request.support!.organisationId, { status: 'open', closedOn: null, closureReason: null }, 'support.person.reopen', { fields: ['status', 'closedOn', 'closureReason'] }, actorOf(request)),
    );
    return reply.flash('Record reopened').redirect(personPath(person.id), 303);
  });

  // ---- A new coordinator, chosen by a lead of the team -----------------------------------------------------------------


  const renderCoordinator = async (reply: FastifyReply, record: unknown, person: PersonRecord, values: Form, errors?: FormErrors) => {
    const members = await membersOfTeam(db(), person.teamId);
    const chosen = text(values, 'coordinatorUserId') || person.coordinatorUserId || '';
    return reply.page(
      'supporting-people/views/person-coordinator.njk',
      {
        pageTitle: 'Change coordinator',
        record,
        errors,
        action: personPath(person.id, '/coordinator'),
        backHref: personPath(person.id),
        items: members.map((m) => ({ value: m.userId, text: m.name, hint: { text: `${m.role === 'lead' ? 'Lead' : 'Coordinator'}, ${m.openPeople} open` }, checked: m.userId === chosen })),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/:personId/coordinator', { config: { access: access.supportPerson('lead') }, schema: { params: personParams } }, async (request, reply) => {
    const { person, record } = await personOf(request, 'summary');
    return renderCoordinator(reply, record, person, {});
  });

  app.post('/support/people/:personId/coordinator', { config: { access: access.supportPerson('lead') }, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    const { person, record } = await personOf(request, 'summary');
    const form = request.body as Form;
    const chosen = text(form, 'coordinatorUserId');
    const isMember = /^[0-9a-f-]{36}$/i.test(chosen)
      ? (await db().select({ userId: supportTeamMembers.userId }).from(supportTeamMembers).where(and(eq(supportTeamMembers.teamId, person.teamId), eq(supportTeamMembers.userId, chosen)))).length > 0
      : false;
    if (!isMember) return renderCoordinator(reply, record, person, form, { summary: [{ text: 'Choose a coordinator who is in the team', href: '#coordinatorUserId' }], fields: { coordinatorUserId: { text: 'Choose a coordinator who is in the team' } } });
    if (chosen === person.coordinatorUserId) return reply.flash('They already coordinate this person: nothing was changed').redirect(personPath(person.id), 303);
    await db().transaction((tx) =>
      updatePerson(tx, person.id, request.support!.organisationId, { coordinatorUserId: chosen }, 'support.person.reassign', { teamId: person.teamId, from: person.coordinatorUserId, to: chosen }, actorOf(request)),
    );
    return reply.flash('Coordinator changed').redirect(personPath(person.id), 303);
  });
};
