import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { queryRows } from '../../src/platform/db/database.ts';
import { loadWiganPlaces } from '../../src/capabilities/community-voice/testing.ts';
import { getRound, setPhase } from '../../src/capabilities/funds/rounds.ts';
import { fundRounds, proposals } from '../../src/capabilities/funds/schema.ts';
import { insidePostcode, sampleFund } from '../../src/capabilities/funds/testing.ts';
import { recount } from '../../src/capabilities/funds/count.ts';
import { emailOf, seedPeople, testPassword } from '../support/app.ts';
import { browserApp, browserSkipReason, checkPage, newPage, signInAs } from '../support/browser.ts';

/**
 * Participatory budgeting in a real browser (issue 9), in a real Wigan ward: a resident proposes a project; the
 * panel shortlists; a coordinator prints voting codes; a resident votes with one (and cannot vote with it twice);
 * the count is published, and the public results agree with a re-count of the published ballots. Axe on every page.
 */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: participatory budgeting', () => {
  let fundId = '';
  let roundId = '';
  const harness = browserApp(async (database) => {
    const { organisationId } = await seedPeople(database);
    await loadWiganPlaces(database.db);
    const made = await sampleFund(database.db, organisationId, { phase: 'proposals', votingMethod: 'approval-budget', budgetPence: 1_000_000 });
    fundId = made.fund.id;
    roundId = made.round.id;
  });
  const db = () => harness.database.db;
  const codes: string[] = [];

  it('takes a resident’s proposal on the public form', async () => {
    const page = await newPage(harness.browser);
    await page.goto(`${harness.base}/budgets`);
    await checkPage(page, 'funds-budgets');
    await page.goto(`${harness.base}/budgets/${roundId}/propose`);
    await page.getByLabel('Title').fill('Planters for Wallgate (sample data)');
    await page.getByLabel('Summary').fill('Six planters of herbs and flowers along Wallgate, looked after by the residents’ group.');
    await page.getByLabel('How much you are asking for').fill('1,200');
    await page.locator('input[name="applicantKind"][value="community-group"]').check();
    await page.getByLabel('Name of your group or organisation').fill('Wallgate Residents (sample data)');
    await page.getByLabel('Which neighbourhood or ward is it for?').selectOption({ index: 1 });
    await page.getByLabel('The project’s postcode (optional)').fill(insidePostcode);
    await page.getByLabel('Your name').fill('Sam Sample');
    await page.getByLabel('Your email address').fill('sam@example.org');
    await checkPage(page, 'funds-propose');
    await page.getByRole('button', { name: 'Send my proposal' }).click();
    await page.waitForURL(/\/proposed(\?|$)/);
    await checkPage(page, 'funds-proposed');
    const [row] = await queryRows<{ title: string; amount_pence: number; number: number }>(db(), sql`select title, amount_pence::int as amount_pence, number from proposals where round_id = ${roundId}`);
    expect(row).toEqual({ title: 'Planters for Wallgate (sample data)', amount_pence: 120000, number: 1 });
    await page.context().close();
  });

  it('lets residents vote with a printed code, once', async () => {
    // The panel's shortlist (sample data): the resident's proposal and three more, then voting opens.
    await db().insert(proposals).values([
      { roundId, number: 2, title: 'Youth football kit (sample data)', summary: 'Kit and balls for the under-14s.', amountPence: 600000, applicantKind: 'community-group', groupName: 'Wigan Juniors (sample data)' },
      { roundId, number: 3, title: 'Lunch club cooker (sample data)', summary: 'A new cooker for the Tuesday lunch club.', amountPence: 450000, applicantKind: 'community-group', groupName: 'Tuesday Club (sample data)' },
      { roundId, number: 4, title: 'Bulb planting day (sample data)', summary: 'Bulbs and tools for a planting day.', amountPence: 80000, applicantKind: 'resident' },
    ]);
    await db().execute(sql`update ${proposals} set status = 'shortlisted' where round_id = ${roundId}`);
    await setPhase(db(), (await getRound(db(), roundId))!, 'review', cliActor);
    await setPhase(db(), (await getRound(db(), roundId))!, 'voting', cliActor);

    const coordinator = await signInAs(harness.browser, harness.base, emailOf('coordinator'), testPassword);
    await coordinator.goto(`${harness.base}/organisations/test-org/funds/${fundId}/rounds/${roundId}/codes`);
    await coordinator.getByLabel('How many codes to make').fill('3');
    await checkPage(coordinator, 'funds-codes');
    await coordinator.getByRole('button', { name: 'Make codes and show them to print' }).click();
    await coordinator.waitForLoadState('load');
    codes.push(...(await coordinator.locator('.pw-code').allTextContents()).map((c) => c.trim()));
    expect(codes).toHaveLength(3);
    await checkPage(coordinator, 'funds-codes-sheet');
    // Shown once: the page again lists counts, never the codes.
    await coordinator.goto(`${harness.base}/organisations/test-org/funds/${fundId}/rounds/${roundId}/codes`);
    expect(await coordinator.locator('main').textContent()).not.toContain(codes[0]!);
    await coordinator.context().close();

    const vote = async (code: string) => {
      const page = await newPage(harness.browser);
      await page.goto(`${harness.base}/budgets/${roundId}/vote`);
      await page.getByLabel('Your postcode').fill(insidePostcode);
      await page.getByLabel('Your voting code').fill(code.toLowerCase());
      await page.getByRole('button', { name: 'Continue to the ballot' }).click();
      await page.waitForLoadState('load');
      return page;
    };
    // £10,000 to spend: planters (£1,200) and football kit (£6,000) fit; the cooker would take it over.
    const first = await vote(codes[0]!);
    await first.locator('input[name="choices"][value="1"]').check();
    await first.locator('input[name="choices"][value="2"]').check();
    await checkPage(first, 'funds-ballot');
    await first.getByRole('button', { name: 'Cast my vote' }).click();
    await first.waitForURL(/\/vote\/done$/);
    await checkPage(first, 'funds-vote-done');
    await first.context().close();

    const second = await vote(codes[1]!);
    await second.locator('input[name="choices"][value="1"]').check();
    await second.locator('input[name="choices"][value="3"]').check();
    await second.getByRole('button', { name: 'Cast my vote' }).click();
    await second.waitForURL(/\/vote\/done$/);
    await second.context().close();

    // The same code again is refused, and no ballot is added.
    const again = await vote(codes[0]!);
    expect(await again.locator('main').textContent()).toContain('already been used');
    await checkPage(again, 'funds-code-refused');
    await again.context().close();
    const [n] = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from ballots where round_id = ${roundId}`);
    expect(n!.n).toBe(2);
  });

  it('publishes results that a re-count of the published ballots reproduces', async () => {
    const coordinator = await signInAs(harness.browser, harness.base, emailOf('coordinator'), testPassword);
    await coordinator.goto(`${harness.base}/organisations/test-org/funds/${fundId}/rounds/${roundId}`);
    await checkPage(coordinator, 'funds-round');
    await coordinator.getByRole('link', { name: /Voting codes, and closing the vote/ }).click();
    await coordinator.getByRole('button', { name: 'Close voting and count the votes' }).click();
    await expect.poll(async () => (await queryRows<{ phase: string }>(db(), sql`select phase from ${fundRounds} where id = ${roundId}`))[0]?.phase).toBe('results');
    await coordinator.context().close();

    const page = await newPage(harness.browser);
    await page.goto(`${harness.base}/budgets/${roundId}/results`);
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain('Planters for Wallgate (sample data)');
    await checkPage(page, 'funds-results');
    const json = await (await page.request.get(`${harness.base}/budgets/${roundId}/ballots.json`)).text();
    const result = recount(json);
    const funded = result.proposals.filter((p) => p.funded).map((p) => p.number).sort();
    // Planters 2 votes, kit 1, cooker 1 (tie: the cheaper cooker first, £4,500, fits; then kit £6,000 does not fit the £4,300 left).
    expect(funded).toEqual([1, 3]);
    const stored = await queryRows<{ number: number }>(db(), sql`select number from proposals where round_id = ${roundId} and status = 'funded' order by number`);
    expect(stored.map((r) => r.number)).toEqual(funded);
    await page.context().close();
  });
});
