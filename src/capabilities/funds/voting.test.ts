import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../platform/db/database.ts';
import { Client, emailOf, useSeededApp, type Visitor } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { findPostcode } from '../geography/postcodes.ts';
import { locatePoints } from '../geography/locator.ts';
import { loadWiganPlaces } from '../community-voice/testing.ts';
import type { MailMessage } from '../partnerships/mailer.ts';
import { recount, type BallotsJson } from './count.ts';
import { fundAreas, fundRounds, funds, proposals, votingEmails } from './schema.ts';
import { codeAlphabet, hashCode, normaliseCode, usedCodeMessage } from './voting.ts';
import { votingMail } from './voting-routes.ts';

const inside = 'WN1 1AA';
const outside = 'WN7 1AA';
const codePattern = /\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{2}\b/g;

describe('voting codes', () => {
  it('are 10 characters from an alphabet without look-alikes, about 49.5 bits', () => {
    expect(codeAlphabet).not.toMatch(/[01OIL]/);
    expect(codeAlphabet.length).toBe(31);
    expect(10 * Math.log2(codeAlphabet.length)).toBeGreaterThan(49);
    expect(normaliseCode('abcd-efgh jk')).toBe('ABCDEFGHJK');
    expect(hashCode('abcd efgh-jk')).toBe(hashCode('ABCDEFGHJK'));
    expect(hashCode('ABCDEFGHJK')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe.each(engines)('participatory budgeting votes on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  let placesLoaded = false;
  const signedIn = async (who: Exclude<Visitor, 'anonymous'>) => {
    const client = new Client(h.app);
    expect((await client.signIn(emailOf(who))).statusCode).toBe(303);
    return client;
  };
  const sent: MailMessage[] = [];
  const original = votingMail.mailer;
  afterEach(() => {
    votingMail.mailer = original;
  });

  /** A fund for the 2025 ward holding WN1 1AA, and a round in its voting phase with shortlisted proposals. */
  const setUp = async (name: string, opts: { emailVoting?: boolean; costs: number[] }) => {
    if (!placesLoaded) {
      await loadWiganPlaces(db());
      placesLoaded = true;
    }
    const found = await findPostcode(db(), inside);
    const [codes] = await locatePoints(db(), [{ lon: found.postcode!.longitude!, lat: found.postcode!.latitude! }], ['ward25'] as const);
    const [fund] = await db().insert(funds).values({ organisationId: h.seed.organisationId, name: `${name} fund (sample data)`, budgetPence: 5_000_000, sample: true }).returning();
    await db().insert(fundAreas).values({ fundId: fund!.id, areaVintage: 'ward25', areaCode: codes!.ward25! });
    const [round] = await db()
      .insert(fundRounds)
      .values({ fundId: fund!.id, name: `${name} (sample data)`, budgetPence: 10_000, phase: 'voting', votingMethod: 'approval-budget', emailVoting: opts.emailVoting ?? false })
      .returning();
    await db()
      .insert(proposals)
      .values(opts.costs.map((amountPence, i) => ({ roundId: round!.id, number: i + 1, title: `Project ${i + 1}`, summary: `What project ${i + 1} does`, amountPence, applicantKind: 'community-group' as const, groupName: `Group ${i + 1}`, status: 'shortlisted' as const })));
    const base = `/organisations/test-org/funds/${fund!.id}/rounds/${round!.id}`;
    return { fund: fund!, round: round!, base, vote: `/budgets/${round!.id}/vote` };
  };

  it('runs a knapsack vote from codes to published results, and the count re-run from ballots.json matches', async () => {
    // Budget £100; projects #1 £70, #2 £50, #3 £40, #4 £10 (the hand-worked case in count.test.ts).
    const { round, base, vote } = await setUp('Town centre vote', { costs: [7_000, 5_000, 4_000, 1_000] });
    const coordinator = await signedIn('coordinator');

    // Codes: shown once, on the printable sheet.
    expect((await coordinator.get(`${base}/codes`)).statusCode).toBe(200);
    const sheet = await coordinator.post(`${base}/codes`, { howMany: '9' });
    expect(sheet.statusCode).toBe(200);
    expect(sheet.body).toContain('Use once');
    expect(sheet.body).toContain(vote);
    const codes = [...new Set(sheet.body.match(codePattern))];
    expect(codes).toHaveLength(9);
    // Never again: the codes page shows counts only.
    const after = await coordinator.get(`${base}/codes`);
    for (const c of codes) expect(after.body).not.toContain(c);
    // Stored only as hashes: no code in plain text in voting_codes or the audit trail.
    const stored = await queryRows<Record<string, unknown>>(db(), sql`select * from voting_codes where round_id = ${round.id}`);
    expect(stored).toHaveLength(9);
    const dump = JSON.stringify(stored) + JSON.stringify(await queryRows(db(), sql`select details from audit_events`));
    for (const c of codes) {
      expect(dump).not.toContain(c);
      expect(dump).not.toContain(normaliseCode(c));
    }
    expect(new Set(stored.map((r) => r.code_hash))).toEqual(new Set(codes.map(hashCode)));

    const voter = new Client(h.app);
    expect((await voter.get(vote)).statusCode).toBe(200);
    // Step one: postcode and code, then the ballot page, which shows the budget.
    const ballotPage = await voter.post(vote, { step: 'check', postcode: inside, code: codes[0]!.toLowerCase() });
    expect(ballotPage.statusCode).toBe(200);
    expect(ballotPage.body).toContain('Project 4 (£10)');
    expect(ballotPage.body).toContain('The budget is £100');

    // A ballot over the budget is refused, saying by how much, and the code is not used.
    const over = await voter.post(vote, { step: 'ballot', postcode: inside, code: codes[0]!, choices: ['1', '2'] });
    expect(over.statusCode).toBe(400);
    expect(over.body).toContain('The projects chosen cost £120, which is £20 more than the budget of £100');
    // Eligibility: a postcode outside the fund's ward is refused, naming the area.
    const away = await voter.post(vote, { step: 'ballot', postcode: outside, code: codes[0]!, choices: ['4'] });
    expect(away.statusCode).toBe(400);
    expect(away.body).toContain('WN7 1AA is not in the area this vote is for');

    // Seven ballots (votes: #2 4, #1 3, #3 2, #4 1): six online, one on paper.
    const choices = [['2', '3'], ['2', '3'], ['2', '4'], ['2'], ['1'], ['1']];
    for (const [i, c] of choices.entries()) {
      const cast = await voter.post(vote, { step: 'ballot', postcode: inside, code: codes[i]!, choices: c });
      expect(cast.statusCode, cast.body).toBe(303);
      expect(cast.headers.location).toBe(`${vote}/done`);
    }
    expect((await voter.get(`${vote}/done`)).body).toContain('Your vote has been counted');
    const member = await signedIn('member');
    expect((await member.get(`${base}/paper-ballot`)).statusCode).toBe(200);
    const paper = await member.post(`${base}/paper-ballot`, { postcode: inside, code: codes[6]!, choices: '1' });
    expect(paper.statusCode, paper.body).toBe(303);

    // A used code is refused, online and on paper, and so is a forged one.
    const again = await voter.post(vote, { step: 'ballot', postcode: inside, code: codes[0]!, choices: ['4'] });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain(usedCodeMessage);
    expect((await member.post(`${base}/paper-ballot`, { postcode: inside, code: codes[6]!, choices: '4' })).body).toContain(usedCodeMessage);
    const forged = await voter.post(vote, { step: 'ballot', postcode: inside, code: 'ABCD-EFGH-JK', choices: ['4'] });
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toContain(usedCodeMessage);

    // A withdrawn batch cannot vote.
    const second = await coordinator.post(`${base}/codes`, { howMany: '2' });
    const withdrawnCode = second.body.match(codePattern)![0]!;
    await coordinator.get(`${base}/codes`);
    expect((await coordinator.post(`${base}/codes/withdraw`, { batch: '2' })).statusCode).toBe(303);
    expect((await voter.post(vote, { step: 'ballot', postcode: inside, code: withdrawnCode, choices: ['4'] })).body).toContain(usedCodeMessage);
    const counts = await coordinator.get(`${base}/codes`);
    expect(counts.body).toMatch(/<th scope="row" class="govuk-table__header">1<\/th>\s*<td[^>]*>9<\/td>\s*<td[^>]*>7<\/td>\s*<td[^>]*>0<\/td>/);

    // No results before the count.
    expect((await voter.get(`/budgets/${round.id}/results`)).statusCode).toBe(404);
    expect((await voter.get(`/budgets/${round.id}/ballots.json`)).statusCode).toBe(404);

    const counted = await coordinator.post(`${base}/count`, {});
    expect(counted.statusCode).toBe(303);
    expect(counted.headers.location).toBe(`/budgets/${round.id}/results`);
    const [row] = await db().select().from(fundRounds).where(eq(fundRounds.id, round.id));
    expect(row!.phase).toBe('results');
    expect(row!.countedAt).not.toBeNull();
    const statuses = await db().select({ number: proposals.number, status: proposals.status }).from(proposals).where(eq(proposals.roundId, round.id)).orderBy(proposals.number);
    expect(statuses.map((s) => s.status)).toEqual(['not-funded', 'funded', 'funded', 'funded']);
    expect(await queryRows(db(), sql`select 1 from audit_events where action = 'funds.round.counted' and object_id = ${round.id}`)).toHaveLength(1);

    // Frozen: no more ballots, and no second count.
    expect((await voter.post(vote, { step: 'ballot', postcode: inside, code: codes[8]!, choices: ['4'] })).statusCode).toBe(409);
    expect((await coordinator.post(`${base}/count`, {})).statusCode).toBe(409);

    const results = await voter.get(`/budgets/${round.id}/results`);
    expect(results.statusCode).toBe(200);
    expect(results.body).toContain('Did not fit the £50 left');
    expect(results.body).toContain('£100 of the £100 budget goes to 3 projects; £0 is left.');
    expect(results.body).toContain('7 ballots: 6 online and 1 on paper.');
    expect(results.body).toContain('the cheaper project comes first');

    const json = await voter.get(`/budgets/${round.id}/ballots.json`);
    expect(json.statusCode).toBe(200);
    const published = JSON.parse(json.body) as BallotsJson;
    expect(published.round).toEqual({ id: round.id, name: round.name, budgetPence: 10_000, method: 'approval-budget', projectLimit: null });
    expect(published.ballots).toHaveLength(7);
    const again2 = recount(json.body);
    expect(again2.proposals.map((p) => [p.number, p.votes, p.funded, p.reason])).toEqual([
      [2, 4, true, null],
      [1, 3, false, 'Did not fit the £50 left'],
      [3, 2, true, null],
      [4, 1, true, null],
    ]);
    expect(again2.totalFundedPence).toBe(10_000);
    expect(again2.leftPence).toBe(0);
    // The results page shows exactly what the re-run gives, row by row.
    for (const p of again2.proposals) {
      expect(results.body).toMatch(new RegExp(`>${p.rank}</td>\\s*<th scope="row" class="govuk-table__header">${p.number}\\. Project ${p.number}</th>\\s*<td[^>]*>£[\\d,]+</td>\\s*<td[^>]*>${p.votes}</td>`));
    }
    const csv = await voter.get(`/budgets/${round.id}/ballots.csv`);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('ballot,choices');
    expect(lines.slice(1)).toEqual(published.ballots.map((b, i) => `${i + 1},${b.join(';')}`));
  });

  it('takes ranked paper ballots in order of preference and counts Borda points', async () => {
    // k = 2: first choice 2 points, second 1. #1 £40, #2 £40, #3 £30; budget £100.
    const { round, base } = await setUp('Ranked vote', { costs: [4_000, 4_000, 3_000] });
    await db().update(fundRounds).set({ votingMethod: 'ranked', projectLimit: 2 }).where(eq(fundRounds.id, round.id));
    const coordinator = await signedIn('coordinator');
    const codes = [...new Set((await coordinator.post(`${base}/codes`, { howMany: '3' })).body.match(codePattern))];
    const member = await signedIn('member');
    const form = await member.get(`${base}/paper-ballot`);
    expect(form.body).toContain('<select class="govuk-select" id="rank-1" name="rank-1">');
    expect(form.body).toContain('Second choice (optional)');
    // The same project twice is refused.
    expect((await member.post(`${base}/paper-ballot`, { postcode: inside, code: codes[0]!, 'rank-1': '1', 'rank-2': '1' })).body).toContain('Each project can be chosen only once');
    // [3,1]: #3 2, #1 1. [1,3]: #1 2, #3 1. [2]: #2 2. Points #1 3, #3 3, #2 2: #3 (£30) is cheaper, so first.
    for (const [i, ranks] of [['3', '1'], ['1', '3'], ['2', '']].entries()) {
      const cast = await member.post(`${base}/paper-ballot`, { postcode: inside, code: codes[i]!, 'rank-1': ranks[0]!, 'rank-2': ranks[1]! });
      expect(cast.statusCode, cast.body).toBe(303);
    }
    await coordinator.get(`${base}/codes`);
    expect((await coordinator.post(`${base}/count`, {})).statusCode).toBe(303);
    const result = recount((await member.get(`/budgets/${round.id}/ballots.json`)).body);
    expect(result.proposals.map((p) => [p.number, p.votes, p.funded, p.reason])).toEqual([
      [3, 3, true, null],
      [1, 3, true, null],
      [2, 2, false, 'Did not fit the £30 left'],
    ]);
    const page = await member.get(`/budgets/${round.id}/results`);
    expect(page.body).toContain('Points');
    expect(page.body).toContain('3 ballots: 0 online and 3 on paper.');
  });

  it('lets a verified email vote once, with the emailed link', async () => {
    const { round, vote } = await setUp('Email vote', { emailVoting: true, costs: [3_000, 2_000] });
    votingMail.mailer = () => ({ send: async (m) => void sent.push(m) });
    const voter = new Client(h.app);
    expect((await voter.get(vote)).body).toContain('Vote with your email');
    const asked = await voter.post(vote, { step: 'email', email: 'Resident@Example.org' });
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('Check your email');
    const link = /\/budgets\/[0-9a-f-]+\/vote\/email\/([A-Za-z0-9_-]{43})/.exec(sent.at(-1)!.text);
    expect(link).not.toBeNull();
    const token = link![1]!;
    // Kept as a keyed hash of the address and a hash of the token: neither can be read back.
    const [kept] = await db().select().from(votingEmails).where(eq(votingEmails.roundId, round.id));
    expect(JSON.stringify(kept)).not.toContain('example.org');
    expect(JSON.stringify(kept)).not.toContain(token);

    const page = await voter.get(`${vote}/email/${token}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('You are voting with the link we emailed you');
    const cast = await voter.post(vote, { step: 'ballot', postcode: inside, token, choices: ['1', '2'] });
    expect(cast.statusCode, cast.body).toBe(303);
    // Used: the link no longer works, and asking again with the same address (any case) sends no new link.
    expect((await voter.get(`${vote}/email/${token}`)).statusCode).toBe(410);
    await voter.post(vote, { step: 'email', email: 'resident@example.org' });
    expect(sent.at(-1)!.subject).toContain('You have already voted');
    expect(await queryRows(db(), sql`select 1 from ballots where round_id = ${round.id}`)).toHaveLength(1);
  });
});
