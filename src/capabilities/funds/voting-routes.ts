import { eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access } from '../../platform/auth/permissions.ts';
import { resolveSecretKey } from '../../platform/config/secret-key.ts';
import { queryRows } from '../../platform/db/database.ts';
import { formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { logMailer, type Mailer } from '../partnerships/mailer.ts';
import { count, methodInWords, selectionInWords, tieRuleInWords } from './count.ts';
import { formatPence } from './money.ts';
import { fundRounds, funds } from './schema.ts';
import {
  ballotProposals,
  ballotsCsv,
  ballotsJsonOf,
  batchCounts,
  castBallot,
  channelCounts,
  checkEligibility,
  codeAlphabet,
  codeLength,
  countAndPublish,
  countRoundOf,
  emailTokenUsable,
  fundAreaNames,
  generateCodes,
  groupCode,
  hashCode,
  isEmail,
  maxBatch,
  normaliseCode,
  requestEmailVote,
  usedCodeMessage,
  usedEmailLinkMessage,
  votingOpen,
  withdrawBatch,
  type BallotProposal,
  type Credential,
} from './voting.ts';
import { formBody, isUuid, publicRoundParams, publicRoundPath, roundOfOrganisation, roundParams, roundPath, text, texts, type Form, type Fund, type Round } from './web.ts';

/**
 * Participatory budgeting votes on the web: coordinators make and withdraw batches of voting codes and count the
 * vote; members type in paper ballots; residents check their postcode, give a code (or use an emailed link) and
 * vote; anyone sees the results and downloads the anonymous ballots to re-run the count (docs/PB-COUNT.md).
 */

// Guessing codes is the attack a vote faces; 20 tries an hour from one address makes it hopeless (49 bits).
const rateLimit = { max: 20, timeWindow: '1 hour', errorResponseBuilder: () => ({ statusCode: 429, message: 'Too many tries from your connection. Try again in an hour.' }) };

/**
 * How the voting pages send email. The log mailer writes to the app log; tests replace it to read the link.
 * Kept on an object so a test can swap it without the route plugin taking options (index.ts registers it bare).
 */
export const votingMail: { mailer: ((request: FastifyRequest) => Mailer) } = { mailer: (request) => logMailer(request.log) };

const tokenParams = z.object({ roundId: z.string().max(100), token: z.string().max(100) });

/** The choices on a submitted ballot: checkbox values (approval) or the 1st, 2nd, … selects (ranked), in order. */
export function choicesOf(form: Form, round: Round): number[] | null {
  const raw = round.votingMethod === 'ranked' ? Array.from({ length: round.projectLimit ?? 0 }, (_, i) => text(form, `rank-${i + 1}`)).filter((v) => v !== '') : texts(form, 'choices');
  const numbers = raw.map((v) => (/^\d{1,6}$/.test(v) ? Number(v) : NaN));
  return numbers.some((n) => Number.isNaN(n)) ? null : numbers;
}

const methodLabel = { 'approval-budget': 'Choose projects within the budget', 'approval-limit': 'Choose up to a number of projects', ranked: 'Rank projects in order of preference' } as const;

export const votingRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const secret = await resolveSecretKey(app.config);

  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    if (error.statusCode !== 429 || request.routeOptions.config.rateLimit !== rateLimit) throw error;
    return reply.page('error.njk', { pageTitle: 'Too many tries', paragraphs: ['So many tries have come from your connection in the last hour that we cannot take more for now.', 'If you share a connection with others, for example at a library, try again in an hour.'], linkHref: '/budgets', linkText: 'Community budgets' }, 429);
  });

  /** A round residents can see the voting pages of: one that has a vote and is past its draft. */
  const publicRound = async (roundId: string): Promise<{ round: Round; fund: Fund } | null> => {
    if (!isUuid(roundId)) return null;
    const [row] = await db().select({ round: fundRounds, fund: funds }).from(fundRounds).innerJoin(funds, eq(funds.id, fundRounds.fundId)).where(eq(fundRounds.id, roundId));
    return row && row.round.votingMethod && row.round.phase !== 'draft' ? row : null;
  };

  const proposalItems = (list: BallotProposal[]) => list.map((p) => ({ ...p, cost: formatPence(p.amountPence) }));

  const ruleText = (round: Round) =>
    round.votingMethod === 'approval-budget'
      ? `Choose the projects you want, as many as you like as long as their costs add up to no more than the budget of ${formatPence(round.budgetPence)}.`
      : round.votingMethod === 'approval-limit'
        ? `Choose up to ${round.projectLimit} project${round.projectLimit === 1 ? '' : 's'}.`
        : `Rank up to ${round.projectLimit} project${round.projectLimit === 1 ? '' : 's'}: your first choice gets ${round.projectLimit} points, your second one fewer, and so on.`;

  const ballotContext = (round: Round, list: BallotProposal[], values: Form) => {
    const chosen = new Set(texts(values, 'choices'));
    const k = round.projectLimit ?? 0;
    return {
      ruleText: ruleText(round),
      ranked: round.votingMethod === 'ranked',
      budget: formatPence(round.budgetPence),
      checkboxItems: list.map((p) => ({
        value: String(p.number),
        text: `${p.number}. ${p.title} (${formatPence(p.amountPence)})`,
        hint: { text: `${p.summary}${p.groupName ? ` By ${p.groupName}.` : ''}` },
        checked: chosen.has(String(p.number)),
      })),
      rankSelects: Array.from({ length: k }, (_, i) => {
        const name = `rank-${i + 1}`;
        const current = text(values, name);
        return {
          name,
          label: `${ordinal(i + 1)} choice${i === 0 ? '' : ' (optional)'}`,
          items: [{ value: '', text: 'No choice', selected: current === '' }, ...list.map((p) => ({ value: String(p.number), text: `${p.number}. ${p.title} (${formatPence(p.amountPence)})`, selected: current === String(p.number) }))],
        };
      }),
      proposals: proposalItems(list),
    };
  };

  // ---- Residents: voting -----------------------------------------------------------------------------------------

  type Stage = { postcode: string; code: string; token: string };
  const stageOf = (form: Form): Stage => ({ postcode: text(form, 'postcode').trim().slice(0, 20), code: text(form, 'code').trim().slice(0, 40), token: text(form, 'token').trim().slice(0, 100) });

  const renderStart = async (reply: FastifyReply, round: Round, fund: Fund, stage: Partial<Stage>, errors?: FormErrors, status = errors ? 400 : 200, emailSent = false) =>
    reply.page(
      'funds/views/vote-start.njk',
      {
        pageTitle: `Vote: ${round.name}`,
        round,
        fund,
        action: publicRoundPath(round.id, '/vote'),
        areaNames: await fundAreaNames(db(), fund.id),
        stage,
        errors,
        emailSent,
        methodText: methodLabel[round.votingMethod!],
        budget: formatPence(round.budgetPence),
      },
      status,
    );

  const renderBallot = async (reply: FastifyReply, round: Round, fund: Fund, stage: Stage, values: Form, errors?: FormErrors) =>
    reply.page(
      'funds/views/vote-ballot.njk',
      { pageTitle: `Your ballot: ${round.name}`, round, fund, action: publicRoundPath(round.id, '/vote'), stage, errors, ...ballotContext(round, await ballotProposals(db(), round.id), values) },
      errors ? 400 : 200,
    );

  const renderClosed = (reply: FastifyReply, round: Round, status: number) =>
    reply.page('funds/views/vote-closed.njk', { pageTitle: `${round.name}: voting is not open`, round, resultsHref: round.countedAt ? publicRoundPath(round.id, '/results') : null }, status);

  /** The postcode and the code (or emailed link) checked; problems against their fields. */
  const checkStage = async (fund: Fund, round: Round, stage: Stage): Promise<FormErrors | null> => {
    const { errors, fail } = formProblems();
    const hasAreas = (await fundAreaNames(db(), fund.id)).length > 0;
    if (hasAreas) {
      if (!stage.postcode) fail('postcode', 'Enter your postcode, like WN5 9BS');
      else {
        const eligible = await checkEligibility(db(), fund.id, stage.postcode);
        if (!eligible.ok) fail('postcode', eligible.message);
      }
    }
    if (stage.token) {
      if (!(await emailTokenUsable(db(), round.id, stage.token))) fail('code', usedEmailLinkMessage);
    } else if (!stage.code) fail('code', 'Enter the voting code from your card');
    else {
      const normal = normaliseCode(stage.code);
      if (normal.length !== codeLength || [...normal].some((c) => !codeAlphabet.includes(c))) fail('code', `A voting code is ${codeLength} letters and numbers, like ABCD-EFGH-JK: check what you typed`);
      else {
        const rows = await queryRows(db(), sql`select 1 from voting_codes where code_hash = ${hashCode(normal)} and round_id = ${round.id} and not used and not withdrawn`);
        if (rows.length === 0) fail('code', usedCodeMessage);
      }
    }
    return errors.summary.length ? errors : null;
  };

  app.get('/budgets/:roundId/vote', { config: { access: access.public }, schema: { params: publicRoundParams } }, async (request, reply) => {
    const found = await publicRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    if (!votingOpen(found.round)) return renderClosed(reply, found.round, 200);
    return renderStart(reply, found.round, found.fund, {});
  });

  app.post('/budgets/:roundId/vote', { config: { access: access.public, rateLimit }, schema: { params: publicRoundParams, body: formBody } }, async (request, reply) => {
    const found = await publicRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    const { round, fund } = found;
    if (!votingOpen(round)) return renderClosed(reply, round, 409);
    const form = request.body as Form;
    const stage = stageOf(form);
    const step = text(form, 'step');

    if (step === 'email') {
      if (!round.emailVoting) return renderStart(reply, round, fund, {}, undefined, 400);
      const email = text(form, 'email').trim();
      if (!isEmail(email)) {
        const { errors, fail } = formProblems();
        fail('email', email ? 'Enter an email address in the correct format, like name@example.com' : 'Enter your email address');
        return renderStart(reply, round, fund, { ...stage, email } as Partial<Stage>, errors);
      }
      await requestEmailVote(db(), votingMail.mailer(request), secret, round, email, `${request.protocol}://${request.host}${publicRoundPath(round.id, '/vote')}`);
      return renderStart(reply, round, fund, {}, undefined, 200, true);
    }

    const problems = await checkStage(fund, round, stage);
    if (problems) return renderStart(reply, round, fund, stage, problems);
    if (step !== 'ballot') return renderBallot(reply, round, fund, stage, {});

    const choices = choicesOf(form, round);
    const credential: Credential = stage.token ? { kind: 'email', token: stage.token } : { kind: 'code', code: stage.code };
    const outcome = choices ? await castBallot(db(), round, credential, choices, 'online') : { ok: false as const, field: 'choices' as const, message: 'Choose projects from the list' };
    if (!outcome.ok) {
      const { errors, fail } = formProblems();
      fail(outcome.field === 'choices' ? (round.votingMethod === 'ranked' ? 'rank-1' : 'choices') : outcome.field, outcome.message);
      if (outcome.field === 'choices') return renderBallot(reply, round, fund, stage, form, errors);
      return renderStart(reply, round, fund, stage, errors, outcome.field === 'round' ? 409 : 400);
    }
    return reply.redirect(publicRoundPath(round.id, '/vote/done'), 303);
  });

  app.get('/budgets/:roundId/vote/email/:token', { config: { access: access.public }, schema: { params: tokenParams } }, async (request, reply) => {
    const found = await publicRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    if (!votingOpen(found.round)) return renderClosed(reply, found.round, 200);
    const token = request.params.token;
    if (!(await emailTokenUsable(db(), found.round.id, token))) {
      const { errors, fail } = formProblems();
      fail('code', usedEmailLinkMessage);
      return renderStart(reply, found.round, found.fund, {}, errors, 410);
    }
    return renderStart(reply, found.round, found.fund, { token });
  });

  app.get('/budgets/:roundId/vote/done', { config: { access: access.public }, schema: { params: publicRoundParams } }, async (request, reply) => {
    const found = await publicRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    return reply.page('funds/views/vote-done.njk', { pageTitle: 'Your vote has been counted', round: found.round, roundHref: publicRoundPath(found.round.id) });
  });

  // ---- Results and the published ballots ---------------------------------------------------------------------------

  const countedRound = async (roundId: string) => {
    const found = await publicRound(roundId);
    return found?.round.countedAt ? found : null;
  };

  app.get('/budgets/:roundId/results', { config: { access: access.public }, schema: { params: publicRoundParams } }, async (request, reply) => {
    const found = await countedRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    const { round, fund } = found;
    const data = await ballotsJsonOf(db(), round);
    // Re-run from the ballots every time: the page shows exactly what anyone re-running ballots.json gets.
    const result = count(countRoundOf(round), data.proposals, data.ballots);
    const channels = await channelCounts(db(), round.id);
    return reply.page('funds/views/results-show.njk', {
      pageTitle: `Results: ${round.name}`,
      round,
      fund,
      result,
      rows: result.proposals.map((p) => ({ ...p, cost: formatPence(p.amountPence) })),
      totalFunded: formatPence(result.totalFundedPence),
      left: formatPence(result.leftPence),
      budget: formatPence(round.budgetPence),
      channels,
      votesLabel: round.votingMethod === 'ranked' ? 'Points' : 'Votes',
      methodText: methodInWords[result.method],
      selectionText: selectionInWords,
      tieRuleText: tieRuleInWords,
      limitText: round.votingMethod === 'approval-budget' ? null : `The most a voter could ${round.votingMethod === 'ranked' ? 'rank' : 'choose'} was ${round.projectLimit}.`,
      jsonHref: publicRoundPath(round.id, '/ballots.json'),
      csvHref: publicRoundPath(round.id, '/ballots.csv'),
    });
  });

  app.get('/budgets/:roundId/ballots.json', { config: { access: access.public }, schema: { params: publicRoundParams } }, async (request, reply) => {
    const found = await countedRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    return reply.type('application/json; charset=utf-8').header('content-disposition', `attachment; filename="ballots-${found.round.id}.json"`).send(JSON.stringify(await ballotsJsonOf(db(), found.round), null, 1));
  });

  app.get('/budgets/:roundId/ballots.csv', { config: { access: access.public }, schema: { params: publicRoundParams } }, async (request, reply) => {
    const found = await countedRound(request.params.roundId);
    if (!found) return reply.callNotFound();
    // Only numbers and semicolons: nothing a spreadsheet could take for a formula.
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="ballots-${found.round.id}.csv"`).send(ballotsCsv(await ballotsJsonOf(db(), found.round)));
  });

  // ---- Staff: codes, paper ballots, the count ----------------------------------------------------------------------

  const renderCodes = async (request: FastifyRequest, reply: FastifyReply, fund: Fund, round: Round, errors?: FormErrors, status = errors ? 400 : 200, values: Form = {}) => {
    const { slug } = request.params as { slug: string };
    const batches = await batchCounts(db(), round.id);
    const channels = await channelCounts(db(), round.id);
    return reply.page(
      'funds/views/codes-index.njk',
      {
        pageTitle: `Voting: ${round.name}`,
        fund,
        round,
        batches,
        totals: batches.reduce((t, b) => ({ issued: t.issued + b.issued, used: t.used + b.used, withdrawn: t.withdrawn + b.withdrawn }), { issued: 0, used: 0, withdrawn: 0 }),
        channels,
        hasVote: Boolean(round.votingMethod),
        counted: Boolean(round.countedAt),
        canCount: round.phase === 'voting' && !round.countedAt && Boolean(round.votingMethod),
        maxBatch,
        action: roundPath(slug, fund.id, round.id, '/codes'),
        withdrawAction: roundPath(slug, fund.id, round.id, '/codes/withdraw'),
        countAction: roundPath(slug, fund.id, round.id, '/count'),
        paperHref: roundPath(slug, fund.id, round.id, '/paper-ballot'),
        roundHref: roundPath(slug, fund.id, round.id),
        resultsHref: publicRoundPath(round.id, '/results'),
        voteUrl: `${request.protocol}://${request.host}${publicRoundPath(round.id, '/vote')}`,
        values,
        errors,
      },
      status,
    );
  };

  app.get('/organisations/:slug/funds/:fundId/rounds/:roundId/codes', { config: { access: access.organisation('coordinator') }, schema: { params: roundParams } }, async (request, reply) => {
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    return renderCodes(request, reply, found.fund, found.round);
  });

  app.post('/organisations/:slug/funds/:fundId/rounds/:roundId/codes', { config: { access: access.organisation('coordinator') }, schema: { params: roundParams, body: formBody } }, async (request, reply) => {
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    const { fund, round } = found;
    const form = request.body as Form;
    const { errors, fail } = formProblems();
    if (!round.votingMethod) fail('howMany', 'This round has no vote, so it needs no voting codes');
    else if (round.countedAt) fail('howMany', 'The votes have been counted, so no more codes can be made');
    const typed = text(form, 'howMany').trim().replace(/,/g, '');
    const howMany = /^\d{1,6}$/.test(typed) ? Number(typed) : NaN;
    if (!typed) fail('howMany', 'Enter how many codes to make');
    else if (!Number.isInteger(howMany) || howMany < 1 || howMany > maxBatch) fail('howMany', `Enter a whole number of codes from 1 to ${maxBatch.toLocaleString('en-GB')}`);
    if (errors.summary.length) return renderCodes(request, reply, fund, round, errors, 400, form);
    const { batch, codes } = await generateCodes(db(), round, howMany, request.organisation!.id, actorOf(request));
    // Shown this once: only the hashes are kept, so nobody (not even a coordinator) can see these codes again.
    return reply.page('funds/views/codes-sheet.njk', {
      pageTitle: `Voting codes, batch ${batch}: ${round.name}`,
      fund,
      round,
      batch,
      codes: codes.map(groupCode),
      voteUrl: `${request.protocol}://${request.host}${publicRoundPath(round.id, '/vote')}`,
      backHref: roundPath((request.params as { slug: string }).slug, fund.id, round.id, '/codes'),
    });
  });

  app.post('/organisations/:slug/funds/:fundId/rounds/:roundId/codes/withdraw', { config: { access: access.organisation('coordinator') }, schema: { params: roundParams, body: formBody } }, async (request, reply) => {
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    const { fund, round } = found;
    const typed = text(request.body as Form, 'batch');
    const batch = /^\d{1,6}$/.test(typed) ? Number(typed) : NaN;
    const batches = await batchCounts(db(), round.id);
    if (!batches.some((b) => b.batch === batch)) return renderCodes(request, reply, fund, round, { summary: [{ text: 'Choose a batch of codes to withdraw', href: '#batches' }], fields: {} });
    const withdrawn = await withdrawBatch(db(), round, batch, request.organisation!.id, actorOf(request));
    return reply.flash(`Batch ${batch}: ${withdrawn} unused code${withdrawn === 1 ? '' : 's'} withdrawn. They can no longer be used to vote.`).redirect(roundPath((request.params as { slug: string }).slug, fund.id, round.id, '/codes'), 303);
  });

  app.post('/organisations/:slug/funds/:fundId/rounds/:roundId/count', { config: { access: access.organisation('coordinator') }, schema: { params: roundParams, body: formBody } }, async (request, reply) => {
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    const { fund, round } = found;
    const outcome = await countAndPublish(db(), round, request.organisation!.id, actorOf(request));
    if (!outcome.ok) return renderCodes(request, reply, fund, round, { summary: [{ text: outcome.message, href: '#count' }], fields: {} }, 409);
    return reply.flash(`The votes have been counted: ${outcome.result.ballotCount} ballots, ${formatPence(outcome.result.totalFundedPence)} funded. The results are published.`).redirect(publicRoundPath(round.id, '/results'), 303);
  });

  const renderPaper = async (request: FastifyRequest, reply: FastifyReply, fund: Fund, round: Round, values: Form, errors?: FormErrors, status = errors ? 400 : 200) => {
    const { slug } = request.params as { slug: string };
    const open = votingOpen(round);
    return reply.page(
      'funds/views/vote-paper.njk',
      {
        pageTitle: `Type in a paper ballot: ${round.name}`,
        fund,
        round,
        open,
        hasAreas: (await fundAreaNames(db(), fund.id)).length > 0,
        action: roundPath(slug, fund.id, round.id, '/paper-ballot'),
        backHref: roundPath(slug, fund.id, round.id),
        values,
        errors,
        ...(open ? ballotContext(round, await ballotProposals(db(), round.id), values) : {}),
      },
      status,
    );
  };

  app.get('/organisations/:slug/funds/:fundId/rounds/:roundId/paper-ballot', { config: { access: access.organisation('member') }, schema: { params: roundParams } }, async (request, reply) => {
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    return renderPaper(request, reply, found.fund, found.round, {});
  });

  app.post('/organisations/:slug/funds/:fundId/rounds/:roundId/paper-ballot', { config: { access: access.organisation('member') }, schema: { params: roundParams, body: formBody } }, async (request, reply) => {
    const found = await roundOfOrganisation(request);
    if (!found) return reply.callNotFound();
    const { fund, round } = found;
    const form = request.body as Form;
    if (!votingOpen(round)) return renderPaper(request, reply, fund, round, form, undefined, 409);
    const stage = { ...stageOf(form), token: '' };
    const problems = await checkStage(fund, round, stage);
    const choices = choicesOf(form, round);
    if (problems) return renderPaper(request, reply, fund, round, form, problems);
    const outcome = choices ? await castBallot(db(), round, { kind: 'code', code: stage.code }, choices, 'paper') : { ok: false as const, field: 'choices' as const, message: 'Choose projects from the list' };
    if (!outcome.ok) {
      const { errors, fail } = formProblems();
      fail(outcome.field === 'choices' ? (round.votingMethod === 'ranked' ? 'rank-1' : 'choices') : outcome.field, outcome.message);
      return renderPaper(request, reply, fund, round, form, errors, outcome.field === 'round' ? 409 : 400);
    }
    return reply.flash('Paper ballot counted. Type in the next one.').redirect(roundPath((request.params as { slug: string }).slug, fund.id, round.id, '/paper-ballot'), 303);
  });
};

function ordinal(n: number): string {
  const words = ['First', 'Second', 'Third', 'Fourth', 'Fifth', 'Sixth', 'Seventh', 'Eighth', 'Ninth', 'Tenth'];
  return words[n - 1] ?? `${n}th`;
}
