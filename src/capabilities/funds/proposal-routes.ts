import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../../platform/audit/audit.ts';
import { access, roleAtLeast } from '../../platform/auth/permissions.ts';
import { queryRows } from '../../platform/db/database.ts';
import { formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { amountsText, day, errorsOf } from './fund-routes.ts';
import { formatPence } from './money.ts';
import {
  applicantKindWords,
  areaLabel,
  areasOfFund,
  decideProposal,
  decisionChoices,
  decisionPhases,
  decisionsOf,
  FundsError,
  getFund,
  getProposal,
  getRound,
  maxSummary,
  phaseWords,
  statusWords,
  submitProposal,
  type Problem,
} from './rounds.ts';
import { applicantKinds, proposals, roundPhases, type RoundPhase } from './schema.ts';
import { formBody, publicRoundParams, publicRoundPath, roundOfOrganisation, roundPath, text, type Form, type Fund, type Round } from './web.ts';

/**
 * Proposals: the public form residents and groups propose projects on (no account; a rate limit and a honeypot keep
 * machines out), the public pages of a round, and the panel's view of a proposal with its recorded decisions.
 * Contact details are only ever on the panel's page (member and above), and each reading of them is audited.
 */

// Proposals come without an account, so nothing but this limit (kept in memory) stops floods. Only posts to a round
// taking proposals count: the others keep nothing, and a typo'd link should not use up someone's five.
const rateLimit = {
  max: 5,
  timeWindow: '1 hour',
  allowList: async (request: FastifyRequest) => (await getRound(request.server.database.db, (request.params as { roundId?: string }).roundId ?? ''))?.phase !== 'proposals',
  errorResponseBuilder: () => ({ statusCode: 429, message: 'Too many proposals from your connection. Try again in an hour.' }),
};

/** The field a spam robot fills in and a person (told to leave it empty, and never shown it) does not. */
export const honeypotField = 'website';

const proposalParams = z.object({ slug: z.string().max(100), fundId: z.string().max(100), roundId: z.string().max(100), proposalId: z.string().max(100) });
const thanksQuery = z.object({ number: z.string().max(10).optional() });

/** Phases at or after `phase`, for deciding which links a public round page shows. */
const atLeast = (round: Round, phase: RoundPhase) => roundPhases.indexOf(round.phase) >= roundPhases.indexOf(phase);

const proposalFields = ['title', 'summary', 'description', 'amount', 'applicantKind', 'groupName', 'registeredNumber', 'area', 'postcode', 'contactName', 'contactEmail'] as const;

function errorsOfProblems(problems: Problem[]): FormErrors {
  const { errors, fail } = formProblems();
  for (const p of problems) fail(p.field === 'form' ? 'title' : p.field === 'applicantKind' ? 'applicantKind' : p.field, p.message);
  return errors;
}

export const proposalRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const holds = (request: FastifyRequest, role: 'member' | 'coordinator') => Boolean(request.user?.isSiteAdmin) || roleAtLeast(request.organisation?.role, role);

  // The platform's page for too many requests speaks of sign-in attempts; a proposer over the limit gets words of
  // their own. Every other error goes on to the platform's handler.
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    if (error.statusCode !== 429 || request.routeOptions.config.rateLimit !== rateLimit) throw error;
    return reply.page(
      'error.njk',
      { pageTitle: 'Too many proposals', paragraphs: ['So many proposals have come from your connection in the last hour that we cannot take more for now.', 'If you share a connection with others, for example at a library, try again in an hour.'], linkHref: '/budgets', linkText: 'Participatory budgets' },
      429,
    );
  });

  /** A round on a public link, with its fund and organisation: null (not found) for a draft, which is not ready to be seen. */
  const publicRound = async (roundId: string) => {
    const round = await getRound(db(), roundId);
    if (!round || round.phase === 'draft') return null;
    const fund = (await getFund(db(), round.fundId))!;
    const [org] = await queryRows<{ name: string }>(db(), sql`select name from organisations where id = ${fund.organisationId}`);
    return { round, fund, organisationName: org?.name ?? '' };
  };

  // ---- Public pages --------------------------------------------------------------------------------------------

  app.get('/budgets', { config: { access: access.public } }, async (_request, reply) => {
    const rows = await queryRows<{ id: string; name: string; fund: string; organisation: string; phase: RoundPhase; budget_pence: string; sample: boolean }>(
      db(),
      sql`select r.id, r.name, f.name as fund, o.name as organisation, r.phase, r.budget_pence, f.sample
          from fund_rounds r join funds f on f.id = r.fund_id join organisations o on o.id = f.organisation_id
          where r.phase <> 'draft' order by (r.phase = 'closed'), r.created_at desc limit 500`,
    );
    return reply.page('funds/views/budget-list.njk', {
      pageTitle: 'Participatory budgets',
      rounds: rows.map((r) => ({ name: r.name, fund: r.fund, organisation: r.organisation, href: publicRoundPath(r.id), phase: phaseWords[r.phase], budget: formatPence(Number(r.budget_pence)), sampleLabel: r.sample && !`${r.fund} ${r.name}`.includes('(sample data)') })),
    });
  });

  app.get('/budgets/:roundId', { config: { access: access.public }, schema: { params: publicRoundParams } }, async (request, reply) => {
    const found = await publicRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    const { round, fund, organisationName } = found;
    // Only what the panel has put forward is public; never contact details.
    const listed = await db()
      .select({ number: proposals.number, title: proposals.title, summary: proposals.summary, amountPence: proposals.amountPence, groupName: proposals.groupName, applicantKind: proposals.applicantKind, status: proposals.status })
      .from(proposals)
      .where(sql`${proposals.roundId} = ${round.id} and ${proposals.status} in ('shortlisted', 'funded', 'not-funded')`)
      .orderBy(proposals.number);
    const areas = await areasOfFund(db(), fund.id);
    return reply.page('funds/views/budget-round.njk', {
      pageTitle: `${round.name}: ${fund.name}`,
      round,
      fund,
      organisationName,
      sampleLabel: fund.sample && !`${fund.name} ${round.name}`.includes('(sample data)'),
      phase: phaseWords[round.phase],
      summaryRows: [
        ['Now', phaseWords[round.phase]],
        ['Budget', formatPence(round.budgetPence)],
        ['Projects may ask for', amountsText(round)],
        ['Proposals close', day(round.proposalsCloseOn)],
        ['Voting opens', day(round.votingOpensOn)],
        ['Voting closes', day(round.votingClosesOn)],
      ]
        .filter(([, v]) => v)
        .map(([k, v]) => ({ key: { text: k }, value: { text: v } })),
      areas: areas.map(areaLabel),
      proposals: listed.map((p) => ({ ...p, amount: formatPence(p.amountPence), who: p.groupName ?? 'A resident', status: statusWords[p.status] })),
      showStatus: atLeast(round, 'results'),
      proposeHref: round.phase === 'proposals' ? publicRoundPath(round.id, '/propose') : null,
      voteHref: round.phase === 'voting' && round.votingMethod !== null ? publicRoundPath(round.id, '/vote') : null,
      resultsHref: atLeast(round, 'results') && round.votingMethod !== null ? publicRoundPath(round.id, '/results') : null,
      deliveryHref: atLeast(round, 'delivery') ? publicRoundPath(round.id, '/delivery') : null,
    });
  });

  // ---- Proposing -----------------------------------------------------------------------------------------------

  const renderClosed = (reply: FastifyReply, round: Round, fund: Fund, status: number) =>
    reply.page('funds/views/proposal-closed.njk', { pageTitle: `${round.name}: not taking proposals`, round, fund, phase: phaseWords[round.phase], roundHref: publicRoundPath(round.id) }, status);

  const renderForm = async (reply: FastifyReply, round: Round, fund: Fund, organisationName: string, values: Form, errors?: FormErrors) => {
    const areas = await areasOfFund(db(), fund.id);
    const chosenArea = text(values, 'area');
    const kind = text(values, 'applicantKind');
    return reply.page(
      'funds/views/proposal-form.njk',
      {
        pageTitle: `Propose a project: ${round.name}`,
        round,
        fund,
        organisationName,
        values,
        errors,
        action: publicRoundPath(round.id, '/propose'),
        roundHref: publicRoundPath(round.id),
        honeypotField,
        maxSummary,
        amounts: amountsText(round),
        closes: day(round.proposalsCloseOn),
        kindItems: applicantKinds.map((k) => ({ value: k, text: applicantKindWords[k], checked: k === kind })),
        areaItems: [{ value: '', text: 'Choose where', selected: !chosenArea }, ...areas.map((a) => ({ value: a.key, text: areaLabel(a), selected: a.key === chosenArea }))],
      },
      errors ? 400 : 200,
    );
  };

  app.get('/budgets/:roundId/propose', { config: { access: access.public }, schema: { params: publicRoundParams } }, async (request, reply) => {
    const found = await publicRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    if (found.round.phase !== 'proposals') return renderClosed(reply, found.round, found.fund, 200);
    return renderForm(reply, found.round, found.fund, found.organisationName, {});
  });

  app.post('/budgets/:roundId/propose', { config: { access: access.public, rateLimit }, schema: { params: publicRoundParams, body: formBody } }, async (request, reply) => {
    const found = await publicRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    const { round, fund } = found;
    if (round.phase !== 'proposals') return renderClosed(reply, round, fund, 409);
    const form = request.body as Form;
    // A robot that filled the hidden field is thanked like anyone else, so it learns nothing, and nothing is kept.
    if (text(form, honeypotField).trim()) {
      request.log.info({ round: round.id }, 'funds: honeypot filled, proposal dropped');
      return reply.redirect(publicRoundPath(round.id, '/proposed'), 303);
    }
    const input = Object.fromEntries(proposalFields.map((f) => [f, text(form, f)])) as Record<(typeof proposalFields)[number], string>;
    const result = await submitProposal(db(), round, input, actorOf(request));
    if ('problems' in result) {
      // The round may have moved on while the form was filled in.
      if (result.problems.some((p) => p.field === 'form')) return renderClosed(reply, { ...round, phase: (await getRound(db(), round.id))?.phase ?? round.phase }, fund, 409);
      return renderForm(reply, round, fund, found.organisationName, form, errorsOfProblems(result.problems));
    }
    return reply.redirect(publicRoundPath(round.id, `/proposed?number=${result.number}`), 303);
  });

  app.get('/budgets/:roundId/proposed', { config: { access: access.public }, schema: { params: publicRoundParams, querystring: thanksQuery } }, async (request, reply) => {
    const found = await publicRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    const number = /^\d{1,6}$/.test(request.query.number ?? '') ? Number(request.query.number) : null;
    return reply.page('funds/views/proposal-thanks.njk', { pageTitle: 'Proposal sent', round: found.round, fund: found.fund, organisationName: found.organisationName, number, roundHref: publicRoundPath(found.round.id) });
  });

  // ---- The panel -----------------------------------------------------------------------------------------------

  const renderProposal = async (request: FastifyRequest, reply: FastifyReply, fund: Fund, round: Round, proposalId: string, values: Form = {}, errors?: FormErrors, status?: number) => {
    const org = request.organisation!;
    const proposal = await getProposal(db(), round.id, proposalId);
    if (!proposal) return reply.callNotFound();
    const [decisions, areas] = await Promise.all([decisionsOf(db(), proposal.id), areasOfFund(db(), fund.id)]);
    // Reading someone's contact details is recorded, as for any personal data the panel holds.
    if (proposal.contactName || proposal.contactEmail) {
      await db().transaction((tx) =>
        recordAudit(tx, { actor: actorOf(request), action: 'proposal.contact-read', objectType: 'proposal', objectId: proposal.id, organisationId: org.id, details: { roundId: round.id, number: proposal.number } }),
      );
    }
    const area = areas.find((a) => (a.kind === 'neighbourhood' ? a.id === proposal.neighbourhoodId : a.code === proposal.ward25));
    const [wardName] = proposal.ward25 ? await queryRows<{ name: string }>(db(), sql`select name from areas where vintage = 'ward25' and code = ${proposal.ward25}`) : [];
    const chosen = text(values, 'decision');
    const canDecide = holds(request, 'coordinator') && decisionPhases.includes(round.phase);
    return reply.page(
      'funds/views/proposal-show.njk',
      {
        pageTitle: `${proposal.number}. ${proposal.title}: ${round.name}`,
        org,
        fund,
        round,
        proposal,
        values,
        errors,
        backHref: roundPath(org.slug, fund.id, round.id),
        rows: [
          ['Number', String(proposal.number)],
          ['Status', statusWords[proposal.status]],
          ['Amount', formatPence(proposal.amountPence)],
          ['Summary (on the ballot)', proposal.summary],
          ['Who is asking', applicantKindWords[proposal.applicantKind]],
          ['Group', proposal.groupName],
          ['Registered number', proposal.registeredNumber],
          ['For', area ? areaLabel(area) : null],
          ['Ward of the project postcode', proposal.ward25 && proposal.lsoa21 ? `${wardName?.name ?? proposal.ward25} (${proposal.ward25}), LSOA ${proposal.lsoa21}` : null],
        ]
          .filter(([, v]) => v)
          .map(([k, v]) => ({ key: { text: k }, value: { text: v } })),
        contactRows: [
          ['Name', proposal.contactName ?? 'Deleted after the round'],
          ['Email', proposal.contactEmail ?? 'Deleted after the round'],
        ].map(([k, v]) => ({ key: { text: k }, value: { text: v } })),
        decisions: decisions.map((d) => ({ from: statusWords[d.from_status], to: statusWords[d.to_status], reason: d.reason, at: d.decided_at, by: d.decided_by ?? 'someone since removed' })),
        canDecide,
        decidePhaseNote: holds(request, 'coordinator') && !canDecide ? `Decisions are made while the round takes proposals or is in review; it is now ${phaseWords[round.phase].toLowerCase()}.` : null,
        decisionAction: roundPath(org.slug, fund.id, round.id, `/proposals/${proposal.id}/decision`),
        decisionItems: decisionChoices(round)
          .filter((s) => s !== proposal.status)
          .map((s) => ({ value: s, text: statusWords[s], checked: s === chosen })),
        submittedAt: proposal.submittedAt,
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/organisations/:slug/funds/:fundId/rounds/:roundId/proposals/:proposalId', { config: { access: access.organisation('member') }, schema: { params: proposalParams } }, async (request, reply) => {
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    return renderProposal(request, reply, found.fund, found.round, request.params.proposalId);
  });

  app.post('/organisations/:slug/funds/:fundId/rounds/:roundId/proposals/:proposalId/decision', { config: { access: access.organisation('coordinator') }, schema: { params: proposalParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    const { fund, round } = found;
    const proposal = await getProposal(db(), round.id, request.params.proposalId);
    if (!proposal) return reply.callNotFound();
    const form = request.body as Form;
    try {
      await decideProposal(db(), round, org.id, proposal.id, text(form, 'decision'), text(form, 'reason'), actorOf(request));
      return reply.flash(`Decision recorded: ${statusWords[text(form, 'decision') as keyof typeof statusWords].toLowerCase()}`).redirect(roundPath(org.slug, fund.id, round.id, `/proposals/${proposal.id}`), 303);
    } catch (error) {
      if (error instanceof FundsError) return renderProposal(request, reply, fund, round, proposal.id, form, errorsOf(error), error.status);
      throw error;
    }
  });
};
