import { and, eq, ne } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, roleAtLeast } from '../../platform/auth/permissions.ts';
import type { Role } from '../../platform/auth/schema.ts';
import { fieldError, type FormErrors } from '../../platform/web/forms.ts';
import {
  addReport,
  awardRound,
  dateFromBoxes,
  GrantError,
  grantRows,
  longDate,
  publicRecipientName,
  recipientKindLabels,
  recipientKindOf,
  recipientKinds,
  recordGrant,
  reportsOf,
  roundsReadyToAward,
  type GrantRow,
} from './grants.ts';
import { formatPence } from './money.ts';
import { fundRounds, funds } from './schema.ts';
import { threeSixtyGivingCsv, threeSixtyGivingPackage } from './threesixtygiving.ts';
import { formBody, isUuid, orgParams, publicRoundParams, publicRoundPath, roundOfOrganisation, roundParams, roundPath, text, type Form } from './web.ts';

/**
 * The grants register: an organisation's grants (recorded by hand, or awarded at once from a round's funded
 * proposals), each grant's progress reports and spend, the public register with its 360Giving exports, and the
 * public delivery page of a round. Who may use each page is decided by permissions.ts; a grant of another
 * organisation is simply not there. An individual's name appears only on the organisation's own pages.
 */

const grantParams = z.object({ slug: z.string().max(100), grantId: z.string().max(100) });
const registerQuery = z.object({ organisation: z.string().max(100).optional() });

const statusWords: Record<string, string> = { awarded: 'Awarded', 'in-delivery': 'In delivery', completed: 'Completed', withdrawn: 'Withdrawn' };
/** Where a field's error summary link goes: a date input's first box, otherwise the field itself. */
const dateFields = new Set(['awardDate', 'plannedStart', 'plannedEnd', 'reportedOn']);
const errorsOf = (error: GrantError): FormErrors => {
  const errors = fieldError(error.field, error.message);
  if (dateFields.has(error.field)) errors.summary[0]!.href = `#${error.field}-day`;
  return errors;
};
const dateOf = (form: Form, name: string) => dateFromBoxes(text(form, `${name}-day`), text(form, `${name}-month`), text(form, `${name}-year`));

const grantsPath = (slug: string, rest = '') => `/organisations/${slug}/grants${rest}`;

/** A grant as the register tables show it; `publicView` hides an individual's name. */
function grantLine(g: GrantRow, publicView: boolean) {
  return {
    id: g.id,
    identifier: g.identifier,
    title: g.title,
    sample: g.sample && !g.title.includes('(sample data)'),
    recipient: publicView ? publicRecipientName(g) : g.recipientName,
    individual: g.recipientIsIndividual,
    amount: formatPence(g.amountPence),
    spent: formatPence(g.spentPence),
    left: formatPence(g.amountPence - g.spentPence),
    date: longDate(g.awardDate),
    ward: g.wardName ? `${g.wardName} (${g.beneficiaryWard25})` : (g.beneficiaryWard25 ?? ''),
    lsoa: g.lsoaName ? `${g.lsoaName} (${g.beneficiaryLsoa21})` : (g.beneficiaryLsoa21 ?? ''),
    fund: g.fundName,
    round: g.roundName,
    organisation: g.organisationName,
    status: statusWords[g.status] ?? g.status,
  };
}

export const grantRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const holds = (request: FastifyRequest, role: Role) => Boolean(request.user?.isSiteAdmin) || roleAtLeast(request.organisation?.role, role);

  // ---- The organisation's register ------------------------------------------------------------------------------

  app.get('/organisations/:slug/grants', { config: { access: access.organisation('viewer') }, schema: { params: orgParams } }, async (request, reply) => {
    const org = request.organisation!;
    const rows = await grantRows(db(), { organisationId: org.id });
    const ready = holds(request, 'coordinator') ? await roundsReadyToAward(db(), org.id) : [];
    const total = rows.filter((g) => g.status !== 'withdrawn').reduce((sum, g) => sum + g.amountPence, 0);
    const spent = rows.reduce((sum, g) => sum + g.spentPence, 0);
    return reply.page('funds/views/grant-list.njk', {
      pageTitle: `${org.name}: grants register`,
      org,
      canRecord: holds(request, 'coordinator'),
      grants: rows.map((g) => ({ ...grantLine(g, false), href: grantsPath(org.slug, `/${g.id}`) })),
      total: formatPence(total),
      spent: formatPence(spent),
      ready: ready.map((r) => ({
        ...r,
        action: roundPath(org.slug, r.fundId, r.roundId, '/award'),
        total: formatPence(r.totalPence),
        budget: formatPence(r.budgetPence),
        overBudget: r.totalPence > r.budgetPence,
      })),
      jsonHref: `/grants/360giving.json?organisation=${encodeURIComponent(org.slug)}`,
      csvHref: `/grants/360giving.csv?organisation=${encodeURIComponent(org.slug)}`,
    });
  });

  // ---- Recording a grant by hand ----------------------------------------------------------------------------------

  const renderNew = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors, status?: number) => {
    const org = request.organisation!;
    const orgFunds = await db().select({ id: funds.id, name: funds.name }).from(funds).where(eq(funds.organisationId, org.id)).orderBy(funds.name);
    const chosenFund = text(values, 'fundId');
    const kind = text(values, 'recipientKind');
    return reply.page(
      'funds/views/grant-new.njk',
      {
        pageTitle: `Record a grant: ${org.name}`,
        org,
        values,
        errors,
        backHref: grantsPath(org.slug),
        fundItems: orgFunds.length ? [{ value: '', text: 'Not from one of our funds', selected: !chosenFund }, ...orgFunds.map((f) => ({ value: f.id, text: f.name, selected: f.id === chosenFund }))] : null,
        kindItems: recipientKinds.map((k) => ({
          value: k,
          text: recipientKindLabels[k],
          checked: k === kind,
          hint: k === 'individual' ? { text: 'Their name is kept for your records only: the public register and exports say “An individual”' } : undefined,
        })),
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/organisations/:slug/grants/new', { config: { access: access.organisation('coordinator') }, schema: { params: orgParams } }, async (request, reply) => renderNew(request, reply, {}));

  app.post('/organisations/:slug/grants/new', { config: { access: access.organisation('coordinator') }, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const org = request.organisation!;
    let id: string;
    try {
      id = await recordGrant(
        db(),
        org,
        {
          fundId: isUuid(text(form, 'fundId')) ? text(form, 'fundId') : text(form, 'fundId') ? '00000000-0000-0000-0000-000000000000' : '',
          title: text(form, 'title'),
          description: text(form, 'description'),
          recipientName: text(form, 'recipientName'),
          recipientKind: text(form, 'recipientKind'),
          registeredNumber: text(form, 'registeredNumber'),
          amount: text(form, 'amount'),
          awardDate: dateOf(form, 'awardDate'),
          plannedStart: dateOf(form, 'plannedStart'),
          plannedEnd: dateOf(form, 'plannedEnd'),
          postcode: text(form, 'postcode'),
          wardCode: text(form, 'wardCode'),
        },
        actorOf(request),
      );
    } catch (error) {
      if (!(error instanceof GrantError)) throw error;
      return renderNew(request, reply, form, errorsOf(error), error.status);
    }
    return reply.flash(`Grant recorded: ${text(form, 'title').trim()}`).redirect(grantsPath(org.slug, `/${id}`), 303);
  });

  // ---- One grant: its details, reports and spend ----------------------------------------------------------------

  const grantOfOrganisation = async (request: FastifyRequest): Promise<GrantRow | null> => {
    const { grantId } = request.params as { grantId: string };
    if (!isUuid(grantId)) return null;
    const [grant] = await grantRows(db(), { grantId, organisationId: request.organisation!.id });
    return grant ?? null;
  };

  app.get('/organisations/:slug/grants/:grantId', { config: { access: access.organisation('viewer') }, schema: { params: grantParams } }, async (request, reply) => {
    const grant = await grantOfOrganisation(request);
    if (!grant) return reply.callNotFound();
    const org = request.organisation!;
    const reports = await reportsOf(db(), [grant.id]);
    const kind = recipientKindOf(grant);
    return reply.page('funds/views/grant-show.njk', {
      pageTitle: grant.title,
      org,
      grant: grantLine(grant, false),
      kind: recipientKindLabels[kind],
      recipientOrgId: grant.recipientOrgId,
      description: grant.description,
      planned: grant.plannedStart ? `${longDate(grant.plannedStart)}${grant.plannedEnd ? ` to ${longDate(grant.plannedEnd)}` : ''}` : '',
      individual: grant.recipientIsIndividual,
      reports: reports.map((r) => ({ date: longDate(r.reportedOn), progress: r.progress, spend: formatPence(r.spendPence) })),
      canReport: holds(request, 'member'),
      reportHref: grantsPath(org.slug, `/${grant.id}/reports/new`),
      backHref: grantsPath(org.slug),
      deliveryHref: grant.roundId ? publicRoundPath(grant.roundId, '/delivery') : null,
    });
  });

  // ---- Reporting progress and spend -------------------------------------------------------------------------------

  const renderReport = (request: FastifyRequest, reply: FastifyReply, grant: GrantRow, values: Form, errors?: FormErrors, status?: number) =>
    reply.page(
      'funds/views/grant-report-new.njk',
      {
        pageTitle: `Report progress: ${grant.title}`,
        org: request.organisation,
        grant: grantLine(grant, false),
        values,
        errors,
        action: grantsPath(request.organisation!.slug, `/${grant.id}/reports/new`),
        backHref: grantsPath(request.organisation!.slug, `/${grant.id}`),
      },
      status ?? (errors ? 400 : 200),
    );

  app.get('/organisations/:slug/grants/:grantId/reports/new', { config: { access: access.organisation('member') }, schema: { params: grantParams } }, async (request, reply) => {
    const grant = await grantOfOrganisation(request);
    if (!grant) return reply.callNotFound();
    return renderReport(request, reply, grant, {});
  });

  app.post('/organisations/:slug/grants/:grantId/reports/new', { config: { access: access.organisation('member') }, schema: { params: grantParams, body: formBody } }, async (request, reply) => {
    const grant = await grantOfOrganisation(request);
    if (!grant) return reply.callNotFound();
    const form = request.body as Form;
    try {
      await addReport(db(), grant.id, { reportedOn: dateOf(form, 'reportedOn'), progress: text(form, 'progress'), spend: text(form, 'spend') }, actorOf(request));
    } catch (error) {
      if (!(error instanceof GrantError)) throw error;
      if (error.status === 404) return reply.callNotFound();
      return renderReport(request, reply, grant, form, errorsOf(error), error.status);
    }
    return reply.flash('Progress report added').redirect(grantsPath(request.organisation!.slug, `/${grant.id}`), 303);
  });

  // ---- Awarding a round's funded proposals --------------------------------------------------------------------------

  app.post('/organisations/:slug/funds/:fundId/rounds/:roundId/award', { config: { access: access.organisation('coordinator') }, schema: { params: roundParams, body: formBody } }, async (request, reply) => {
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    const org = request.organisation!;
    try {
      const { count, totalPence } = await awardRound(db(), org, found.fund, found.round, actorOf(request));
      return reply.flash(`${count} ${count === 1 ? 'grant' : 'grants'} awarded from ${found.round.name}, totalling ${formatPence(totalPence)}`).redirect(grantsPath(org.slug), 303);
    } catch (error) {
      if (!(error instanceof GrantError)) throw error;
      if (error.status === 404) return reply.callNotFound();
      // The refusal is shown on a page of its own, so it works from any page the button is on.
      return reply.page(
        'funds/views/grant-award-refused.njk',
        { pageTitle: 'The grants were not awarded', message: error.message, roundHref: roundPath(org.slug, found.fund.id, found.round.id), registerHref: grantsPath(org.slug) },
        error.status,
      );
    }
  });

  // ---- Public: the register, its 360Giving exports, a round's delivery ---------------------------------------------

  /** Everyone's grants, or one organisation's when ?organisation=<slug> names it. */
  const publicRows = (organisation: string | undefined): Promise<GrantRow[]> => grantRows(db(), organisation ? { organisationSlug: organisation } : {});

  app.get('/grants', { config: { access: access.public }, schema: { querystring: registerQuery } }, async (request, reply) => {
    const rows = await publicRows(request.query.organisation);
    const total = rows.filter((g) => g.status !== 'withdrawn').reduce((sum, g) => sum + g.amountPence, 0);
    const query = request.query.organisation ? `?organisation=${encodeURIComponent(request.query.organisation)}` : '';
    return reply.page('funds/views/grant-register.njk', {
      pageTitle: 'Grants register',
      grants: rows.map((g) => grantLine(g, true)),
      organisationName: request.query.organisation ? (rows[0]?.organisationName ?? request.query.organisation) : null,
      total: formatPence(total),
      jsonHref: `/grants/360giving.json${query}`,
      csvHref: `/grants/360giving.csv${query}`,
    });
  });

  app.get('/grants/360giving.json', { config: { access: access.public }, schema: { querystring: registerQuery } }, async (request, reply) => {
    const rows = await publicRows(request.query.organisation);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(threeSixtyGivingPackage(rows), null, 2));
  });

  app.get('/grants/360giving.csv', { config: { access: access.public }, schema: { querystring: registerQuery } }, async (request, reply) => {
    const rows = await publicRows(request.query.organisation);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="grants-360giving${request.query.organisation ? `-${request.query.organisation.replace(/[^a-z0-9-]/gi, '')}` : ''}.csv"`)
      .send(threeSixtyGivingCsv(rows));
  });

  app.get('/budgets/:roundId/delivery', { config: { access: access.public }, schema: { params: publicRoundParams } }, async (request, reply) => {
    const { roundId } = request.params;
    if (!isUuid(roundId)) return reply.callNotFound();
    // A draft round is not public yet.
    const [round] = await db()
      .select({ id: fundRounds.id, name: fundRounds.name, budgetPence: fundRounds.budgetPence, fundName: funds.name })
      .from(fundRounds)
      .innerJoin(funds, eq(funds.id, fundRounds.fundId))
      .where(and(eq(fundRounds.id, roundId), ne(fundRounds.phase, 'draft')));
    if (!round) return reply.callNotFound();
    const rows = await grantRows(db(), { roundId: round.id });
    const reports = await reportsOf(db(), rows.map((g) => g.id));
    const awarded = rows.reduce((sum, g) => sum + g.amountPence, 0);
    const spent = rows.reduce((sum, g) => sum + g.spentPence, 0);
    return reply.page('funds/views/delivery-round.njk', {
      pageTitle: `How the projects are going: ${round.name}`,
      round: { name: round.name, fundName: round.fundName, budget: formatPence(round.budgetPence) },
      roundHref: publicRoundPath(round.id),
      projects: rows.map((g) => {
        const latest = reports.find((r) => r.grantId === g.id);
        return { ...grantLine(g, true), latest: latest ? { date: longDate(latest.reportedOn), progress: latest.progress } : null };
      }),
      awarded: formatPence(awarded),
      spent: formatPence(spent),
      left: formatPence(awarded - spent),
    });
  });
};
