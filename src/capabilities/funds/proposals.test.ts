import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { createNeighbourhood } from '../neighbourhoods/service.ts';
import { cleanRegisteredNumber, createFund, createRound, decideProposal, getFund, FundsError, getRound, setPhase, submitProposal, type ProposalInput } from './rounds.ts';
import { proposalDecisions, proposals } from './schema.ts';
import { insidePostcode, outsidePostcode, sampleFund, wardOfPostcode , fundsHarness } from './testing.ts';

describe('registered numbers', () => {
  it('reads charity and company numbers lightly, padding company numbers to 8 characters', () => {
    expect(cleanRegisteredNumber('registered-charity', ' 1123456 ')).toBe('1123456');
    expect(cleanRegisteredNumber('registered-charity', 'SC012345')).toBe('SC012345');
    expect(cleanRegisteredNumber('registered-charity', '12')).toBeNull();
    expect(cleanRegisteredNumber('registered-company', '1234567')).toBe('01234567');
    expect(cleanRegisteredNumber('registered-company', 'sc123456')).toBe('SC123456');
    expect(cleanRegisteredNumber('registered-company', 'ABC')).toBeNull();
  });
});

describe.each(engines)('proposals and the panel on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  const { places, signedIn } = fundsHarness(h);
  const proposalsOfRound = (roundId: string) => db().select().from(proposals).where(eq(proposals.roundId, roundId)).orderBy(proposals.number);
  const audits = (action: string, objectId: string) => queryRows<{ details: Record<string, unknown>; actor_label: string }>(db(), sql`select details, actor_label from audit_events where action = ${action} and object_id = ${objectId}`);
  const input = (ward: string, over: Partial<ProposalInput> = {}): ProposalInput => ({
    title: 'Planters for Wallgate (sample data)',
    summary: 'Six planters with bulbs, looked after by the residents’ group',
    description: 'Bought in March, planted in April.',
    amount: '1,250.50',
    applicantKind: 'community-group',
    groupName: 'Wallgate Growers',
    registeredNumber: '',
    area: `ward25:${ward}`,
    postcode: '',
    contactName: 'Pat Example',
    contactEmail: 'pat.private@example.org',
    ...over,
  });
  const form = (ward: string, over: Record<string, string> = {}) => ({ ...input(ward), ...over }) as unknown as Record<string, string>;

  // The public form is limited to 5 posts an hour from one connection: this file's posts stay within that.
  it('takes a proposal on the public form only while the round takes proposals, with a postcode in the fund’s areas', async () => {
    await places();
    const ward = await wardOfPostcode(db(), insidePostcode);
    const draft = await sampleFund(db(), h.seed.organisationId);
    expect((await new Client(h.app).get(`/budgets/${draft.round.id}/propose`)).statusCode).toBe(404);
    expect((await new Client(h.app).get(`/budgets/${draft.round.id}`)).statusCode).toBe(404);
    const review = await sampleFund(db(), h.seed.organisationId, { phase: 'review' });
    const closed = await new Client(h.app).get(`/budgets/${review.round.id}/propose`);
    expect(closed.statusCode).toBe(200);
    expect(closed.body).toContain('is not taking proposals');
    expect(closed.body).not.toContain('name="_csrf"');

    const { round } = await sampleFund(db(), h.seed.organisationId, { phase: 'proposals' });
    const client = new Client(h.app);
    const page = await client.get(`/budgets/${round.id}/propose`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('They are never published, and they are deleted when the round closes');
    expect(page.body).toContain(`value="ward25:${ward}"`);
    expect(page.body).toContain('name="website"');

    // 1: a postcode outside the fund's ward (Leigh) is refused, with every other problem, and nothing is kept.
    const outside = await client.post(`/budgets/${round.id}/propose`, form(ward, { postcode: outsidePostcode, summary: 'x'.repeat(301), amount: '10,000.01', contactEmail: 'not an email' }));
    expect(outside.statusCode).toBe(400);
    expect(outside.body).toContain('WN7 1AA is not in the areas this fund covers');
    expect(outside.body).toContain('The summary must be 300 characters or fewer: it has 301');
    expect(outside.body).toContain('The amount must be no more than £10,000');
    expect(outside.body).toContain('Enter an email address like name@example.com');
    expect(outside.body).toContain('href="#postcode"');
    // What was typed is kept, escaped.
    expect(outside.body).toContain('value="Wallgate Growers"');
    expect(await proposalsOfRound(round.id)).toHaveLength(0);

    // 2: the honeypot: thanked, nothing kept.
    const robot = await client.post(`/budgets/${round.id}/propose`, form(ward, { website: 'http://spam.example' }));
    expect(robot.statusCode).toBe(303);
    expect(robot.headers.location).toBe(`/budgets/${round.id}/proposed`);
    expect(await proposalsOfRound(round.id)).toHaveLength(0);

    // 3: without a CSRF token: refused.
    const forged = await new Client(h.app).post(`/budgets/${round.id}/propose`, form(ward), { csrf: false });
    expect(forged.statusCode).toBe(403);
    expect(await proposalsOfRound(round.id)).toHaveLength(0);

    // 4: a registered charity with a postcode inside the ward.
    const sent = await client.post(`/budgets/${round.id}/propose`, form(ward, { postcode: 'wn1 1aa', applicantKind: 'registered-charity', registeredNumber: '1123456' }));
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe(`/budgets/${round.id}/proposed?number=1`);
    const [p] = await proposalsOfRound(round.id);
    expect(p).toMatchObject({ number: 1, amountPence: 125_050, applicantKind: 'registered-charity', registeredNumber: '1123456', ward25: ward, lsoa21: 'E01006369', neighbourhoodId: null, status: 'submitted', contactEmail: 'pat.private@example.org' });
    const thanks = await client.get(sent.headers.location as string);
    expect(thanks.body).toContain('Your proposal’s number is');
    const [audit] = await audits('proposal.submit', p!.id);
    expect(audit!.details).toEqual({ roundId: round.id, number: 1, amountPence: 125_050 });
    expect(JSON.stringify(audit)).not.toContain('pat.private');

    // 5: a charity without a sensible number.
    const badNumber = await client.post(`/budgets/${round.id}/propose`, form(ward, { applicantKind: 'registered-charity', registeredNumber: 'twelve' }));
    expect(badNumber.statusCode).toBe(400);
    expect(badNumber.body).toContain('Enter a charity number like 1234567');
    // 6: over the limit of 5 an hour from one connection.
    const sixth = await client.post(`/budgets/${round.id}/propose`, form(ward));
    expect(sixth.statusCode).toBe(429);
    expect(sixth.body).toContain('Too many proposals');
    expect(await proposalsOfRound(round.id)).toHaveLength(1);
  });

  it('numbers proposals in the order received and keeps amounts within the round’s limits', async () => {
    await places();
    const ward = await wardOfPostcode(db(), insidePostcode);
    const { round } = await sampleFund(db(), h.seed.organisationId, { phase: 'proposals' });
    const numbers: number[] = [];
    for (const title of ['A', 'B', 'C']) {
      const made = await submitProposal(db(), round, input(ward, { title }), cliActor);
      if ('problems' in made) throw new Error(JSON.stringify(made.problems));
      numbers.push(made.number);
    }
    expect(numbers).toEqual([1, 2, 3]);
    const tooMuch = await submitProposal(db(), round, input(ward, { amount: '10000.01' }), cliActor);
    expect('problems' in tooMuch && tooMuch.problems).toEqual([{ field: 'amount', message: 'The amount must be no more than £10,000' }]);
    const noArea = await submitProposal(db(), round, input(ward, { area: 'ward25:E05000001' }), cliActor);
    expect('problems' in noArea && noArea.problems.map((p) => p.field)).toEqual(['area']);
    await setPhase(db(), round, 'review', cliActor);
    const late = await submitProposal(db(), (await getRound(db(), round.id))!, input(ward), cliActor);
    expect('problems' in late && late.problems).toEqual([{ field: 'form', message: 'This round is not taking proposals' }]);
    expect((await proposalsOfRound(round.id)).map((p) => p.number)).toEqual([1, 2, 3]);
  });

  it('records decisions only with a reason, totals the shortlist, and shows contact details only to the panel', async () => {
    await places();
    const ward = await wardOfPostcode(db(), insidePostcode);
    const { fund, round } = await sampleFund(db(), h.seed.organisationId, { phase: 'proposals' });
    const ids: string[] = [];
    for (const [title, amount] of [
      ['Benches (sample data)', '4,000'],
      ['Lights (sample data)', '3,500.25'],
      ['Mural (sample data)', '2,000'],
    ] as const) {
      const made = await submitProposal(db(), round, input(ward, { title, amount, contactEmail: `${title.split(' ')[0]!.toLowerCase()}.private@example.org` }), cliActor);
      if ('problems' in made) throw new Error(JSON.stringify(made.problems));
      ids.push(made.id);
    }
    await setPhase(db(), round, 'review', cliActor);
    const roundHref = `/organisations/test-org/funds/${fund.id}/rounds/${round.id}`;
    const coordinator = await signedIn('coordinator');
    await coordinator.get(`${roundHref}/proposals/${ids[0]}`);
    const noReason = await coordinator.post(`${roundHref}/proposals/${ids[0]}/decision`, { decision: 'shortlisted', reason: '  ' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Enter the reason for the decision');
    expect(noReason.body).toContain('href="#reason"');
    // A panel-decided outcome is not offered in a voted round.
    const funded = await coordinator.post(`${roundHref}/proposals/${ids[0]}/decision`, { decision: 'funded', reason: 'Good' });
    expect(funded.statusCode).toBe(400);
    expect(await db().select().from(proposalDecisions).where(eq(proposalDecisions.proposalId, ids[0]!))).toHaveLength(0);

    for (const [i, decision, reason] of [
      [0, 'shortlisted', 'Meets the criteria <b>well</b>'],
      [1, 'shortlisted', 'Meets the criteria'],
      [2, 'rejected', 'Already funded by the town council'],
    ] as const) {
      const done = await coordinator.post(`${roundHref}/proposals/${ids[i]}/decision`, { decision, reason });
      expect(done.statusCode).toBe(303);
    }
    const [decision] = await db().select().from(proposalDecisions).where(eq(proposalDecisions.proposalId, ids[2]!));
    expect(decision).toMatchObject({ fromStatus: 'submitted', toStatus: 'rejected', reason: 'Already funded by the town council', decidedBy: h.seed.userIds.coordinator });
    expect((await audits('proposal.decide', ids[2]!))[0]!.details).toMatchObject({ from: 'submitted', to: 'rejected', reason: 'Already funded by the town council' });

    // The running total: £4,000 + £3,500.25 shortlisted against £10,000.
    const staff = await coordinator.get(roundHref);
    expect(staff.body).toContain('Shortlisted: <strong>£7,500.25</strong> against a budget of £10,000');
    const history = await coordinator.get(`${roundHref}/proposals/${ids[0]}`);
    expect(history.body).toContain('benches.private@example.org');
    expect(history.body).toContain('Meets the criteria &lt;b&gt;well&lt;/b&gt;');
    expect((await audits('proposal.contact-read', ids[0]!)).length).toBeGreaterThanOrEqual(2);

    // Members read the panel's page; viewers do not; nobody outside sees contact details.
    const member = await signedIn('member');
    const asMember = await member.get(`${roundHref}/proposals/${ids[1]}`);
    expect(asMember.statusCode).toBe(200);
    expect(asMember.body).toContain('lights.private@example.org');
    expect(asMember.body).not.toContain('Record a decision');
    expect((await member.post(`${roundHref}/proposals/${ids[1]}/decision`, { decision: 'rejected', reason: 'No' })).statusCode).toBe(403);
    const viewer = await signedIn('viewer');
    expect((await viewer.get(`${roundHref}/proposals/${ids[1]}`)).statusCode).toBe(403);
    const asViewer = await viewer.get(roundHref);
    expect(asViewer.statusCode).toBe(200);
    expect(asViewer.body).not.toContain('private@example.org');

    const publicPage = await new Client(h.app).get(`/budgets/${round.id}`);
    expect(publicPage.statusCode).toBe(200);
    expect(publicPage.body).toContain('Benches (sample data)');
    expect(publicPage.body).toContain('£3,500.25');
    expect(publicPage.body).toContain('Wallgate Growers');
    expect(publicPage.body).not.toContain('Mural (sample data)'); // rejected: not shortlisted
    expect(publicPage.body).not.toContain('private@example.org');
    expect(publicPage.body).not.toContain('Pat Example');
    const list = await new Client(h.app).get('/budgets');
    expect(list.body).toContain(`/budgets/${round.id}`);
    expect(list.body).not.toContain('private@example.org');

    // Once voting starts the ballot is fixed: no more decisions.
    await setPhase(db(), round, 'voting', cliActor);
    const late = await decideProposal(db(), (await getRound(db(), round.id))!, h.seed.organisationId, ids[2]!, 'shortlisted', 'Second thoughts', cliActor).catch((e: unknown) => e);
    expect((late as FundsError).message).toContain('Decisions are made while the round takes proposals or is in review');
    expect((await new Client(h.app).get(`/budgets/${round.id}`)).body).toContain(`href="/budgets/${round.id}/vote"`);
  });

  it('never funds more than the budget of a round the panel decides', async () => {
    await places();
    const ward = await wardOfPostcode(db(), insidePostcode);
    const { round } = await sampleFund(db(), h.seed.organisationId, { phase: 'proposals', votingMethod: null });
    const ids: string[] = [];
    for (const amount of ['6,000', '4,000', '0.01']) {
      const made = await submitProposal(db(), round, input(ward, { amount }), cliActor);
      if ('problems' in made) throw new Error(JSON.stringify(made.problems));
      ids.push(made.id);
    }
    await setPhase(db(), round, 'review', cliActor);
    const current = (await getRound(db(), round.id))!;
    await decideProposal(db(), current, h.seed.organisationId, ids[0]!, 'funded', 'Strong', cliActor);
    await decideProposal(db(), current, h.seed.organisationId, ids[1]!, 'funded', 'Strong too', cliActor);
    // £6,000 + £4,000 = £10,000, the whole budget: even 1p more is refused.
    const over = await decideProposal(db(), current, h.seed.organisationId, ids[2]!, 'funded', 'Tiny', cliActor).catch((e: unknown) => e);
    expect((over as FundsError).message).toBe('Funding this (£0.01) would go over the round’s budget: £10,000 of £10,000 is already funded, leaving £0');
    await decideProposal(db(), current, h.seed.organisationId, ids[2]!, 'not-funded', 'No budget left', cliActor);
    expect((await proposalsOfRound(round.id)).map((p) => p.status)).toEqual(['funded', 'funded', 'not-funded']);
  });
  it('places a proposal for a neighbourhood by the 2021 LSOAs of its current version, and offers only neighbourhoods the organisation may use', async () => {
    await places();
    const ward = await wardOfPostcode(db(), insidePostcode);
    const shape = { method: 'wards' as const, geography: 'ward25' as const, codes: [ward] };
    const patch = await createNeighbourhood(db(), { name: 'Town Centre Patch (sample data)', purpose: 'locality', sharing: 'organisation', description: null }, shape, { organisationId: h.seed.organisationId, userId: null }, cliActor);
    const [other] = await db().insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'vcse' }).returning({ id: organisations.id });
    const theirs = await createNeighbourhood(db(), { name: 'Their Patch (sample data)', purpose: 'locality', sharing: 'organisation', description: null }, shape, { organisationId: other!.id, userId: null }, cliActor);
    const base = { organisationId: h.seed.organisationId, name: 'Patch Fund (sample data)', description: null, budgetPence: 100_000, grantIdPrefix: null, wardCodes: [] };
    const refused = await createFund(db(), { ...base, neighbourhoodIds: [theirs] }, cliActor).catch((e: unknown) => e);
    expect((refused as FundsError).field).toBe('neighbourhoods');
    const fundId = await createFund(db(), { ...base, neighbourhoodIds: [patch] }, cliActor);
    const roundId = await createRound(
      db(),
      (await getFund(db(), fundId))!,
      { name: 'Patch round (sample data)', description: null, budgetPence: 100_000, votingMethod: null, projectLimit: null, minAmountPence: 10_000, maxAmountPence: 50_000, proposalsCloseOn: null, votingOpensOn: null, votingClosesOn: null, emailVoting: false },
      cliActor,
    );
    await setPhase(db(), { id: roundId }, 'proposals', cliActor);
    const round = (await getRound(db(), roundId))!;
    const area = `neighbourhood:${patch}`;
    const outside = await submitProposal(db(), round, input(ward, { area, amount: '200', postcode: outsidePostcode }), cliActor);
    expect('problems' in outside && outside.problems.map((p) => p.message)).toEqual(['WN7 1AA is not in the areas this fund covers: Town Centre Patch (sample data)']);
    const small = await submitProposal(db(), round, input(ward, { area, amount: '99.99' }), cliActor);
    expect('problems' in small && small.problems).toEqual([{ field: 'amount', message: 'The amount must be at least £100' }]);
    const made = await submitProposal(db(), round, input(ward, { area, amount: '200', postcode: insidePostcode }), cliActor);
    if ('problems' in made) throw new Error(JSON.stringify(made.problems));
    const [p] = await proposalsOfRound(roundId);
    expect(p).toMatchObject({ number: 1, neighbourhoodId: patch, ward25: ward, lsoa21: 'E01006369', amountPence: 20_000 });
  });
});
