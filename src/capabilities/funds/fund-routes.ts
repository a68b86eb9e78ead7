import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, roleAtLeast } from '../../platform/auth/permissions.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { dateFrom } from '../community-voice/campaign-routes.ts';
import { formatPence, parsePounds } from './money.ts';
import {
  allocatedPence,
  areaLabel,
  areasOfFund,
  createFund,
  createRound,
  FundsError,
  listFunds,
  neighbourhoodChoices,
  phaseChoices,
  phasesOf,
  phaseWords,
  proposalsOf,
  roundsOf,
  setPhase,
  statusWords,
  totalWithStatus,
  votingMethodWords,
} from './rounds.ts';
import { roundPhases, votingMethods, type RoundPhase, type VotingMethod } from './schema.ts';
import { formBody, fundOfOrganisation, fundParams, fundPath, orgParams, publicRoundPath, roundOfOrganisation, roundParams, roundPath, text, texts, type Form, type Fund, type Round } from './web.ts';

/**
 * An organisation's funds: the list, making a fund with its eligible areas, a fund's page (its budget, what its
 * rounds have been given and what is left), making a round, and a round's page for staff (its proposals, the
 * running total of those shortlisted against the budget, and the form moving it to its next phase).
 */

const dateFields = new Set(['proposalsCloseOn', 'votingOpensOn', 'votingClosesOn']);
export function errorsOf(error: FundsError): FormErrors {
  const href = `#${dateFields.has(error.field) ? `${error.field}-day` : error.field === 'votingMethod' ? 'votingMethod' : error.field}`;
  return { summary: [{ text: error.message, href }], fields: { [error.field]: { text: error.message } } };
}

const listPath = (slug: string) => `/organisations/${slug}/funds`;
const sampleLabel = (item: { sample: boolean; name: string }) => item.sample && !item.name.includes('(sample data)');
/** A round's dates in words, for lists. */
/** The amounts a project may ask for, in words. */
export const amountsText = (round: Pick<Round, 'minAmountPence' | 'maxAmountPence' | 'budgetPence'>) =>
  `${round.minAmountPence !== null ? `From ${formatPence(round.minAmountPence)}` : 'Any amount'} up to ${formatPence(Math.min(round.maxAmountPence ?? round.budgetPence, round.budgetPence))}`;
export const day = (iso: string | null) => (iso ? new Date(`${iso}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }) : null);

/** Pence from a typed amount, or a FundsError naming the field. Empty is null when the field is optional. */
function penceOf(form: Form, field: string, label: string, optional: boolean): number | null {
  const typed = text(form, field).trim();
  if (!typed && optional) return null;
  const parsed = parsePounds(typed);
  if ('error' in parsed) throw new FundsError(`${label}: ${parsed.error}`, field);
  return parsed.pence;
}

export const fundRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const holds = (request: FastifyRequest, role: 'member' | 'coordinator') => Boolean(request.user?.isSiteAdmin) || roleAtLeast(request.organisation?.role, role);

  // ---- The list ------------------------------------------------------------------------------------------------

  app.get('/organisations/:slug/funds', { config: { access: access.organisation('viewer') }, schema: { params: orgParams } }, async (request, reply) => {
    const org = request.organisation!;
    const rows = await listFunds(db(), org.id);
    return reply.page('funds/views/fund-list.njk', {
      pageTitle: `${org.name}: funds`,
      org,
      canCreate: holds(request, 'coordinator'),
      funds: rows.map((f) => ({ ...f, href: fundPath(org.slug, f.id), sampleLabel: sampleLabel(f), budget: formatPence(f.budgetPence), allocated: formatPence(f.allocatedPence), remaining: formatPence(f.budgetPence - f.allocatedPence) })),
    });
  });

  // ---- A new fund ------------------------------------------------------------------------------------------------

  const renderNewFund = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors, status?: number) => {
    const org = request.organisation!;
    const chosen = new Set(texts(values, 'neighbourhoods'));
    const choices = await neighbourhoodChoices(db(), org.id);
    return reply.page(
      'funds/views/fund-new.njk',
      {
        pageTitle: `Set up a fund: ${org.name}`,
        org,
        values,
        errors,
        backHref: listPath(org.slug),
        neighbourhoodItems: choices.map((n) => ({ value: n.id, text: n.name, checked: chosen.has(n.id) })),
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/organisations/:slug/funds/new', { config: { access: access.organisation('coordinator') }, schema: { params: orgParams } }, async (request, reply) => renderNewFund(request, reply, {}));

  app.post('/organisations/:slug/funds/new', { config: { access: access.organisation('coordinator') }, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    const form = request.body as Form;
    try {
      const budgetPence = penceOf(form, 'budget', 'Budget', false)!;
      const id = await createFund(
        db(),
        {
          organisationId: org.id,
          name: text(form, 'name'),
          description: text(form, 'description'),
          budgetPence,
          grantIdPrefix: text(form, 'grantIdPrefix'),
          wardCodes: text(form, 'wards').split(/[\s,]+/),
          neighbourhoodIds: texts(form, 'neighbourhoods'),
        },
        actorOf(request),
      );
      return reply.flash('Fund set up').redirect(fundPath(org.slug, id), 303);
    } catch (error) {
      if (error instanceof FundsError) return renderNewFund(request, reply, form, errorsOf(error), error.status);
      throw error;
    }
  });

  // ---- A fund ----------------------------------------------------------------------------------------------------

  app.get('/organisations/:slug/funds/:fundId', { config: { access: access.organisation('viewer') }, schema: { params: fundParams } }, async (request, reply) => {
    const org = request.organisation!;
    const fund = await fundOfOrganisation(request);
    if (!fund) return reply.callNotFound();
    const [rounds, allocated, areas] = await Promise.all([roundsOf(db(), fund.id), allocatedPence(db(), fund.id), areasOfFund(db(), fund.id)]);
    return reply.page('funds/views/fund-show.njk', {
      pageTitle: `${fund.name}: ${org.name}`,
      org,
      fund,
      sampleLabel: sampleLabel(fund),
      backHref: listPath(org.slug),
      canCreate: holds(request, 'coordinator') && allocated < fund.budgetPence,
      newRoundHref: fundPath(org.slug, fund.id, '/rounds/new'),
      budget: formatPence(fund.budgetPence),
      allocated: formatPence(allocated),
      remaining: formatPence(fund.budgetPence - allocated),
      areas: areas.map(areaLabel),
      rounds: rounds.map((r) => ({ name: r.name, href: roundPath(org.slug, fund.id, r.id), phase: phaseWords[r.phase], budget: formatPence(r.budgetPence), method: votingMethodWords[r.votingMethod ?? 'none'] })),
    });
  });

  // ---- A new round -------------------------------------------------------------------------------------------

  const renderNewRound = async (request: FastifyRequest, reply: FastifyReply, fund: Fund, values: Form, errors?: FormErrors, status?: number) => {
    const org = request.organisation!;
    const allocated = await allocatedPence(db(), fund.id);
    const method = text(values, 'votingMethod') || 'none';
    return reply.page(
      'funds/views/round-new.njk',
      {
        pageTitle: `Add a round: ${fund.name}`,
        org,
        fund,
        values,
        errors,
        action: fundPath(org.slug, fund.id, '/rounds/new'),
        backHref: fundPath(org.slug, fund.id),
        remaining: formatPence(fund.budgetPence - allocated),
        methodItems: (['none', ...votingMethods] as const).map((m) => ({ value: m, text: votingMethodWords[m], checked: m === method })),
        emailVotingChecked: text(values, 'emailVoting') === 'yes',
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/organisations/:slug/funds/:fundId/rounds/new', { config: { access: access.organisation('coordinator') }, schema: { params: fundParams } }, async (request, reply) => {
    const fund = await fundOfOrganisation(request);
    if (!fund) return reply.callNotFound();
    return renderNewRound(request, reply, fund, {});
  });

  app.post('/organisations/:slug/funds/:fundId/rounds/new', { config: { access: access.organisation('coordinator') }, schema: { params: fundParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    const fund = await fundOfOrganisation(request);
    if (!fund) return reply.callNotFound();
    const form = request.body as Form;
    try {
      const methodTyped = text(form, 'votingMethod');
      if (methodTyped !== 'none' && !(votingMethods as readonly string[]).includes(methodTyped)) throw new FundsError('Choose how the round decides which projects are funded', 'votingMethod');
      const votingMethod = methodTyped === 'none' ? null : (methodTyped as VotingMethod);
      const limitTyped = text(form, 'projectLimit').trim();
      if (limitTyped && !/^\d{1,3}$/.test(limitTyped)) throw new FundsError('The number of projects must be a whole number, like 3', 'projectLimit');
      const dates: Record<string, string | null> = {};
      for (const [field, label] of [
        ['proposalsCloseOn', 'The date proposals close'],
        ['votingOpensOn', 'The date voting opens'],
        ['votingClosesOn', 'The date voting closes'],
      ] as const) {
        const d = dateFrom(form, field);
        if (d === 'invalid') throw new FundsError(`${label} must be a real date, like 30 6 2026`, field);
        dates[field] = d;
      }
      const id = await createRound(
        db(),
        fund,
        {
          name: text(form, 'name'),
          description: text(form, 'description'),
          budgetPence: penceOf(form, 'budget', 'Budget', false)!,
          votingMethod,
          projectLimit: limitTyped ? Number(limitTyped) : null,
          minAmountPence: penceOf(form, 'minAmount', 'Smallest amount', true),
          maxAmountPence: penceOf(form, 'maxAmount', 'Largest amount', true),
          proposalsCloseOn: dates.proposalsCloseOn ?? null,
          votingOpensOn: dates.votingOpensOn ?? null,
          votingClosesOn: dates.votingClosesOn ?? null,
          emailVoting: text(form, 'emailVoting') === 'yes',
        },
        actorOf(request),
      );
      return reply.flash('Round added: it is a draft until you open it for proposals').redirect(roundPath(org.slug, fund.id, id), 303);
    } catch (error) {
      if (error instanceof FundsError) return renderNewRound(request, reply, fund, form, errorsOf(error), error.status);
      throw error;
    }
  });

  // ---- A round, for staff ------------------------------------------------------------------------------------

  const renderRound = async (request: FastifyRequest, reply: FastifyReply, fund: Fund, round: Round, errors?: FormErrors, status?: number) => {
    const org = request.organisation!;
    const [list, shortlistedTotal, fundedTotal, areas] = await Promise.all([
      proposalsOf(db(), round.id),
      totalWithStatus(db(), round.id, 'shortlisted'),
      totalWithStatus(db(), round.id, 'funded'),
      areasOfFund(db(), fund.id),
    ]);
    const choices = phaseChoices(round);
    const phases = phasesOf(round);
    return reply.page(
      'funds/views/round-show.njk',
      {
        pageTitle: `${round.name}: ${fund.name}`,
        org,
        fund,
        round,
        errors,
        backHref: fundPath(org.slug, fund.id),
        phase: phaseWords[round.phase],
        phaseSteps: phases.map((p) => ({ text: phaseWords[p], current: p === round.phase })),
        method: votingMethodWords[round.votingMethod ?? 'none'],
        budget: formatPence(round.budgetPence),
        summaryRows: [
          ['Phase', phaseWords[round.phase]],
          ['How projects are chosen', `${votingMethodWords[round.votingMethod ?? 'none']}${round.projectLimit ? ` (${round.projectLimit} projects)` : ''}`],
          ['Budget', formatPence(round.budgetPence)],
          ['Amounts', amountsText(round)],
          ['Voting by email', round.votingMethod === null ? null : round.emailVoting ? 'Allowed' : 'Not allowed'],
          ['Proposals close', day(round.proposalsCloseOn)],
          ['Voting opens', day(round.votingOpensOn)],
          ['Voting closes', day(round.votingClosesOn)],
        ]
          .filter(([, v]) => v)
          .map(([k, v]) => ({ key: { text: k }, value: { text: v } })),
        areas: areas.map(areaLabel),
        publicHref: round.phase === 'draft' ? null : publicRoundPath(round.id),
        proposals: list.map((p) => ({ number: p.number, title: p.title, amount: formatPence(p.amountPence), status: statusWords[p.status], area: p.areaName ?? '–', href: roundPath(org.slug, fund.id, round.id, `/proposals/${p.id}`) })),
        shortlistedTotal: formatPence(shortlistedTotal),
        shortlistedOver: shortlistedTotal > round.budgetPence,
        fundedTotal: round.votingMethod === null ? formatPence(fundedTotal) : null,
        fundedLeft: formatPence(round.budgetPence - fundedTotal),
        canChangePhase: holds(request, 'coordinator'),
        phaseItems: choices.map((p, i) => ({ value: p, text: p === 'proposals' && round.phase === 'review' ? `Back to: ${phaseWords[p]}` : `Next: ${phaseWords[p]}`, checked: i === 0 && choices.length === 1 })),
        phaseAction: roundPath(org.slug, fund.id, round.id, '/phase'),
        countedByVote: round.phase === 'voting',
        // Where the rest of the round's work is done: votes (codes, paper ballots, the count), grants and delivery.
        votingLinks:
          round.votingMethod === null
            ? null
            : {
                codes: holds(request, 'coordinator') ? roundPath(org.slug, fund.id, round.id, '/codes') : null,
                paper: holds(request, 'member') && round.phase === 'voting' ? roundPath(org.slug, fund.id, round.id, '/paper-ballot') : null,
                results: round.countedAt ? publicRoundPath(round.id, '/results') : null,
              },
        grantsHref: ['results', 'delivery', 'closed'].includes(round.phase) ? `/organisations/${org.slug}/grants` : null,
        deliveryHref: ['delivery', 'closed'].includes(round.phase) ? publicRoundPath(round.id, '/delivery') : null,
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/organisations/:slug/funds/:fundId/rounds/:roundId', { config: { access: access.organisation('viewer') }, schema: { params: roundParams } }, async (request, reply) => {
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    return renderRound(request, reply, found.fund, found.round);
  });

  app.post('/organisations/:slug/funds/:fundId/rounds/:roundId/phase', { config: { access: access.organisation('coordinator') }, schema: { params: roundParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    const { fund, round } = found;
    const to = text(request.body as Form, 'phase');
    try {
      if (!(roundPhases as readonly string[]).includes(to)) throw new FundsError('Choose the phase to move the round to', 'phase');
      // The results of a vote are published by the count (…/count), never by this form.
      if (to === 'results' && round.votingMethod !== null) throw new FundsError('Results are published by counting the votes, not from this form', 'phase', 409);
      await setPhase(db(), round, to as RoundPhase, actorOf(request));
      return reply.flash(`The round is now: ${phaseWords[to as RoundPhase].toLowerCase()}`).redirect(roundPath(org.slug, fund.id, round.id), 303);
    } catch (error) {
      if (error instanceof FundsError) return renderRound(request, reply, fund, round, errorsOf(error), error.status);
      throw error;
    }
  });
};
