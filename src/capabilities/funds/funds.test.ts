import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { FundsError, getRound, nextPhase, phaseChoices, setPhase, shortlisted, submitProposal, type ProposalInput } from './rounds.ts';
import { fundRounds, funds, proposals } from './schema.ts';
import { insidePostcode, sampleFund, wardOfPostcode , fundsHarness } from './testing.ts';

describe('the phases a round goes through', () => {
  it('skips voting when the panel decides, and offers only the next phase (or back from review)', () => {
    expect(nextPhase({ phase: 'review', votingMethod: null })).toBe('results');
    expect(nextPhase({ phase: 'review', votingMethod: 'ranked' })).toBe('voting');
    expect(nextPhase({ phase: 'closed', votingMethod: null })).toBeNull();
    expect(phaseChoices({ phase: 'review', votingMethod: 'approval-budget' })).toEqual(['voting', 'proposals']);
    // The results of a vote come from the count, never from the form.
    expect(phaseChoices({ phase: 'voting', votingMethod: 'approval-budget' })).toEqual([]);
    expect(phaseChoices({ phase: 'review', votingMethod: null })).toEqual(['results', 'proposals']);
  });
});

describe.each(engines)('funds and rounds on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  const { places, signedIn } = fundsHarness(h);
  const audits = (action: string, objectId: string) => queryRows<{ details: Record<string, unknown> }>(db(), sql`select details from audit_events where action = ${action} and object_id = ${objectId} order by occurred_at`);
  const fundsNamed = (name: string) => db().select().from(funds).where(eq(funds.name, name));
  const proposal = (over: Partial<ProposalInput> = {}): ProposalInput => ({
    title: 'Planters (sample data)',
    summary: 'Planters on Wallgate',
    description: '',
    amount: '1000',
    applicantKind: 'resident',
    groupName: '',
    registeredNumber: '',
    area: '',
    postcode: insidePostcode,
    contactName: 'A Resident',
    contactEmail: 'resident@example.org',
    ...over,
  });

  it('sets up a fund from the form, refusing a bad 360Giving prefix, an unknown ward and no areas', async () => {
    const client = await signedIn('coordinator');
    const ward = await wardOfPostcode(db(), insidePostcode);
    const form = await client.get('/organisations/test-org/funds/new');
    expect(form.statusCode).toBe(200);
    const base = { name: 'Town Centre Fund (sample data)', description: 'For the town centre', budget: '£50,000', grantIdPrefix: '360G-wigan', wards: ward };

    const badPrefix = await client.post('/organisations/test-org/funds/new', { ...base, grantIdPrefix: 'wigan' });
    expect(badPrefix.statusCode).toBe(400);
    expect(badPrefix.body).toContain('must start 360G-');
    expect(badPrefix.body).toContain('href="#grantIdPrefix"');
    const unknown = await client.post('/organisations/test-org/funds/new', { ...base, wards: `${ward}\nE05999999` });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('Not a 2025 ward code: E05999999');
    const none = await client.post('/organisations/test-org/funds/new', { ...base, wards: '' });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('Give at least one eligible area');
    const badBudget = await client.post('/organisations/test-org/funds/new', { ...base, budget: 'lots' });
    expect(badBudget.statusCode).toBe(400);
    expect(badBudget.body).toContain('is not an amount in pounds');
    expect(await fundsNamed(base.name)).toHaveLength(0);

    const made = await client.post('/organisations/test-org/funds/new', base);
    expect(made.statusCode).toBe(303);
    const [fund] = await fundsNamed(base.name);
    expect(fund).toMatchObject({ budgetPence: 5_000_000, grantIdPrefix: '360G-wigan', organisationId: h.seed.organisationId });
    expect(made.headers.location).toBe(`/organisations/test-org/funds/${fund!.id}`);
    expect(await audits('fund.create', fund!.id)).toHaveLength(1);
    const page = await client.get(made.headers.location as string);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('£50,000');
    expect(page.body).toContain(`(ward, ${ward})`);
    expect((await client.get('/organisations/test-org/funds')).body).toContain('Town Centre Fund (sample data)');
  });

  it('never lets a fund’s rounds together budget more than the fund', async () => {
    const client = await signedIn('coordinator');
    const ward = await wardOfPostcode(db(), insidePostcode);
    await client.get('/organisations/test-org/funds/new');
    const made = await client.post('/organisations/test-org/funds/new', { name: 'Rounds Fund (sample data)', budget: '50000', wards: ward });
    const fundHref = made.headers.location as string;
    await client.get(`${fundHref}/rounds/new`);
    const round = (name: string, budget: string, more: Record<string, string> = {}) => client.post(`${fundHref}/rounds/new`, { name, budget, votingMethod: 'approval-budget', ...more });

    expect((await round('First (sample data)', '30,000')).statusCode).toBe(303);
    // £30,000 given, £20,000 left: £25,000 is refused, with the sums that show why.
    const over = await round('Second (sample data)', '25,000');
    expect(over.statusCode).toBe(409);
    expect(over.body).toContain('more than is left of the fund: £20,000 of £50,000 (£30,000 is already given to rounds)');
    // Other refusals name their field, and nothing is made.
    const noLimit = await round('Second (sample data)', '20,000', { votingMethod: 'ranked' });
    expect(noLimit.statusCode).toBe(400);
    expect(noLimit.body).toContain('Enter how many projects a voter may rank');
    const badDate = await round('Second (sample data)', '20,000', { 'proposalsCloseOn-day': '31', 'proposalsCloseOn-month': '2', 'proposalsCloseOn-year': '2026' });
    expect(badDate.statusCode).toBe(400);
    expect(badDate.body).toContain('href="#proposalsCloseOn-day"');
    const minOverMax = await round('Second (sample data)', '20,000', { minAmount: '500', maxAmount: '100' });
    expect(minOverMax.body).toContain('The largest amount cannot be less than the smallest');
    const emailNoVote = await round('Second (sample data)', '20,000', { votingMethod: 'none', emailVoting: 'yes' });
    expect(emailNoVote.body).toContain('Voting by email needs a voting method');

    const second = await round('Second (sample data)', '20,000', { votingMethod: 'approval-limit', projectLimit: '3', minAmount: '250', maxAmount: '5,000', 'proposalsCloseOn-day': '31', 'proposalsCloseOn-month': '3', 'proposalsCloseOn-year': '2026' });
    expect(second.statusCode).toBe(303);
    const fundId = fundHref.split('/').pop()!;
    const rounds = await db().select().from(fundRounds).where(eq(fundRounds.fundId, fundId));
    expect(rounds.map((r) => r.budgetPence).sort()).toEqual([2_000_000, 3_000_000]);
    expect(rounds.find((r) => r.name === 'Second (sample data)')).toMatchObject({ votingMethod: 'approval-limit', projectLimit: 3, minAmountPence: 25_000, maxAmountPence: 500_000, proposalsCloseOn: '2026-03-31', phase: 'draft' });
    const page = await client.get(fundHref);
    expect(page.body).toMatch(/Left to give to rounds\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*£0/);
    expect(page.body).not.toContain('Add a round');
    // Even £1 more is refused.
    expect((await round('Third (sample data)', '1')).statusCode).toBe(409);
  });

  it('moves a round through its phases one at a time, refusing skips, going back, and voting on fewer than 2 shortlisted', async () => {
    await places();
    const { round } = await sampleFund(db(), h.seed.organisationId);
    const refused = async (to: Parameters<typeof setPhase>[2], message: string) => {
      const error = await setPhase(db(), round, to, cliActor).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FundsError);
      expect((error as FundsError).message).toContain(message);
    };
    await refused('review', 'phases cannot be skipped');
    await setPhase(db(), round, 'proposals', cliActor);
    await setPhase(db(), round, 'review', cliActor);
    await setPhase(db(), round, 'proposals', cliActor); // back, to take more
    await refused('draft', 'cannot go back a phase');
    const ward = await wardOfPostcode(db(), insidePostcode);
    const current = (await getRound(db(), round.id))!;
    const ids: string[] = [];
    for (const title of ['One', 'Two']) {
      const made = await submitProposal(db(), current, proposal({ title, area: `ward25:${ward}` }), cliActor);
      if ('problems' in made) throw new Error(JSON.stringify(made.problems));
      ids.push(made.id);
    }
    await setPhase(db(), round, 'review', cliActor);
    await db().update(proposals).set({ status: 'shortlisted' }).where(eq(proposals.id, ids[0]!));
    await refused('voting', 'Voting needs at least 2 shortlisted proposals');
    await db().update(proposals).set({ status: 'shortlisted' }).where(eq(proposals.id, ids[1]!));
    expect((await shortlisted(db(), round.id)).map((p) => p.number)).toEqual([1, 2]);
    await setPhase(db(), round, 'voting', cliActor);
    await refused('review', 'cannot go back a phase');
    await setPhase(db(), round, 'results', cliActor); // as H2's count does
    await setPhase(db(), round, 'delivery', cliActor);
    await setPhase(db(), round, 'closed', cliActor);
    const trail = await audits('fund-round.phase', round.id);
    expect(trail.map((a) => `${a.details.from}→${a.details.to}`)).toEqual(['draft→proposals', 'proposals→review', 'review→proposals', 'proposals→review', 'review→voting', 'voting→results', 'results→delivery', 'delivery→closed']);
    // Closing keeps the promise on the form: applicants' contact details are deleted.
    expect(trail.at(-1)!.details.contactDetailsErased).toBe(2);
    const left = await db().select({ name: proposals.contactName, email: proposals.contactEmail }).from(proposals).where(eq(proposals.roundId, round.id));
    expect(left).toEqual([
      { name: null, email: null },
      { name: null, email: null },
    ]);
  });

  it('skips voting for a round the panel decides, and the phase form refuses results for a voted round', async () => {
    const client = await signedIn('coordinator');
    const panel = await sampleFund(db(), h.seed.organisationId, { votingMethod: null, phase: 'review' });
    const error = await setPhase(db(), panel.round, 'voting', cliActor).catch((e: unknown) => e);
    expect((error as FundsError).message).toBe('A round the panel decides has no voting phase');
    const panelPath = `/organisations/test-org/funds/${panel.fund.id}/rounds/${panel.round.id}`;
    const page = await client.get(panelPath);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('value="results"');
    expect(page.body).not.toContain('value="voting"');
    expect((await client.post(`${panelPath}/phase`, { phase: 'results' })).statusCode).toBe(303);
    expect((await getRound(db(), panel.round.id))!.phase).toBe('results');

    const voted = await sampleFund(db(), h.seed.organisationId, { phase: 'voting' });
    const votedPath = `/organisations/test-org/funds/${voted.fund.id}/rounds/${voted.round.id}`;
    await client.get(votedPath);
    const results = await client.post(`${votedPath}/phase`, { phase: 'results' });
    expect(results.statusCode).toBe(409);
    expect(results.body).toContain('Results are published by counting the votes');
    const empty = await client.post(`${votedPath}/phase`, {});
    expect(empty.statusCode).toBe(400);
    expect((await getRound(db(), voted.round.id))!.phase).toBe('voting');
  });

  it('lets viewers look, and only coordinators set up funds and rounds and change phases', async () => {
    await places();
    const { fund, round } = await sampleFund(db(), h.seed.organisationId);
    const roundHref = `/organisations/test-org/funds/${fund.id}/rounds/${round.id}`;
    const viewer = await signedIn('viewer');
    expect((await viewer.get('/organisations/test-org/funds')).statusCode).toBe(200);
    expect((await viewer.get(`/organisations/test-org/funds/${fund.id}`)).statusCode).toBe(200);
    const viewed = await viewer.get(roundHref);
    expect(viewed.statusCode).toBe(200);
    expect(viewed.body).not.toContain('Change the phase');
    expect((await viewer.get('/organisations/test-org/funds/new')).statusCode).toBe(403);
    const member = await signedIn('member');
    await member.get(roundHref);
    expect((await member.post(`${roundHref}/phase`, { phase: 'proposals' })).statusCode).toBe(403);
    expect((await member.post(`/organisations/test-org/funds/${fund.id}/rounds/new`, { name: 'x', budget: '1' })).statusCode).toBe(403);
    const outsider = await signedIn('outsider');
    expect((await outsider.get(`/organisations/test-org/funds/${fund.id}`)).statusCode).toBe(403);
    const anonymous = await new Client(h.app).get('/organisations/test-org/funds');
    expect([302, 303]).toContain(anonymous.statusCode);
    // Well-formed ids that are not there (or not this organisation's) are simply not found.
    const coordinator = await signedIn('coordinator');
    expect((await coordinator.get('/organisations/test-org/funds/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await coordinator.get(`/organisations/test-org/funds/${fund.id}/rounds/00000000-0000-4000-8000-000000000000`)).statusCode).toBe(404);
    expect((await coordinator.get(`/organisations/test-org/funds/not-a-uuid`)).statusCode).toBe(404);
    expect((await getRound(db(), round.id))!.phase).toBe('draft');
  });
});
