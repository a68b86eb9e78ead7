import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { setPublished, type Campaign, type Question } from './campaigns.ts';
import { recordResponse, type ResponseInput } from './responses.ts';
import { campaignResults, parseGroup, resultsCsv } from './results.ts';
import { loadWiganPlaces, sampleCampaign } from './testing.ts';
import { addTheme, saveTagging, tagMany } from './themes.ts';

/*
 * "Getting about" (sample data), 16 responses worked by hand:
 * - choice "How do you usually travel?": Bus 3, Car 6, Walk 7 (total 16). Bus is below 5, and hiding it alone
 *   would let it be worked out from the total, so Car (the next smallest) is hidden too; Walk 7 is 44%.
 * - multiple choice "What do you use?": Parks 10, Shops 4, Library 0: each hidden on its own when below 5.
 * - scale 1–5: answered by 4 people only (1, 2, 3, 4): distribution and mean hidden.
 * - free text: three answers; the first marked publishable as given, the third with trimmed words; the second
 *   never marked, so its words must appear nowhere.
 * - themes: "Buses" on 3 responses (hidden), "Walking" on 8.
 * - responses 10–15 give the postcode WN1 1AA (a Wigan ward); responses 0–4 say they are 25 to 34.
 */
describe.each(engines)('results and public summaries on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  let campaign: Campaign;
  let questions: Question[];
  let ward: string;
  const ids: string[] = [];
  const base = () => `/organisations/test-org/voice/${campaign.id}`;

  const signedIn = async (who: string) => {
    const client = new Client(h.app);
    expect((await client.signIn(`${who}@example.org`)).statusCode).toBe(303);
    return client;
  };
  const cell = (body: string, label: string) => new RegExp(`<th scope="row" class="govuk-table__header">${label}</th>\\s*<td class="govuk-table__cell govuk-table__cell--numeric">([^<]*)</td>`).exec(body)?.[1];

  it('sets up a campaign with 16 responses', { timeout: 120_000 }, async () => {
    await loadWiganPlaces(db());
    ({ campaign, questions } = await sampleCampaign(db(), h.seed.organisationId, {
      title: 'Getting about (sample data)',
      questions: [
        { kind: 'text', prompt: 'What would make getting about easier?' },
        { kind: 'choice', prompt: 'How do you usually travel?', options: ['Bus', 'Car', 'Walk'] },
        { kind: 'multiple-choice', prompt: 'What do you use?', options: ['Parks', 'Shops', 'Library'] },
        { kind: 'scale', prompt: 'How easy is it to get about?', scaleMin: 1, scaleMax: 5, scaleMinLabel: 'Very hard', scaleMaxLabel: 'Very easy' },
      ],
    }));
    const [textQ, choiceQ, multiQ, scaleQ] = questions as [Question, Question, Question, Question];
    const words = ['Quote me <b>please</b>', 'SECRET-UNMARKED words about my neighbour', 'Trimmed quote, said John Smith of 4 Acacia Avenue'];
    for (let i = 0; i < 16; i++) {
      const answers: ResponseInput['answers'] = { [choiceQ.id]: { choices: [i < 3 ? 'Bus' : i < 9 ? 'Car' : 'Walk'] } };
      if (i < 3) answers[textQ.id] = { text: words[i] };
      if (i < 10) answers[multiQ.id] = { choices: ['Parks'] };
      else if (i < 14) answers[multiQ.id] = { choices: ['Shops'] };
      if (i < 4) answers[scaleQ.id] = { scale: i + 1 };
      const result = await recordResponse(
        db(),
        campaign,
        questions,
        { answers, postcode: i >= 10 ? 'WN1 1AA' : null, demographicsConsent: i < 5, demographics: i < 5 ? { ageBand: '25-34' } : {} },
        { channel: 'volunteer' },
        cliActor,
      );
      expect(result.status).toBe('recorded');
      ids.push((result as { id: string }).id);
    }
    const [placed] = await queryRows<{ ward25: string }>(db(), sql`select ward25 from voice_responses where id = ${ids[10]}`);
    expect(placed!.ward25).toMatch(/^E05/);
    ward = placed!.ward25;

    await saveTagging(db(), campaign, ids[0]!, { themeIds: [], publish: { [textQ.id]: { publishable: true, quote: null } } }, cliActor);
    await saveTagging(db(), campaign, ids[2]!, { themeIds: [], publish: { [textQ.id]: { publishable: true, quote: 'Trimmed <i>quote</i>' } } }, cliActor);
    const buses = await addTheme(db(), h.seed.organisationId, { name: 'Buses' }, cliActor);
    const walking = await addTheme(db(), h.seed.organisationId, { name: 'Walking' }, cliActor);
    await tagMany(db(), campaign, buses.id, ids.slice(0, 3), 'test', cliActor);
    await tagMany(db(), campaign, walking.id, ids.slice(0, 8), 'test', cliActor);
  });

  it('suppresses small counts, the next smallest beside a total, and a mean from too few answers', async () => {
    const r = await campaignResults(db(), campaign, questions, {}, 5);
    expect(r.total).toEqual({ value: 16, text: '16', share: null });
    const [text, choice, multi, scale] = r.questions;
    expect(choice!.answered.value).toBe(16);
    expect(choice!.rows.map((x) => [x.label, x.text])).toEqual([
      ['Bus', 'fewer than 5'],
      ['Car', 'hidden'],
      ['Walk', '7'],
    ]);
    expect(choice!.rows[2]!.share).toBeCloseTo(7 / 16);
    expect(choice!.rows[0]!.share).toBeNull();
    expect(multi!.answered.value).toBe(14);
    expect(multi!.rows.map((x) => x.text)).toEqual(['10', 'fewer than 5', 'fewer than 5']);
    expect(multi!.rows[0]!.share).toBeCloseTo(10 / 14);
    expect(scale!.answered.text).toBe('fewer than 5');
    expect(scale!.mean).toBeNull();
    expect(scale!.rows.every((x) => x.value === null)).toBe(true);
    expect(text!.answered.text).toBe('fewer than 5');
    expect(text!.quotes).toEqual(['Quote me <b>please</b>', 'Trimmed <i>quote</i>']);
    expect(r.themes.map((t) => [t.label, t.text])).toEqual([
      ['Walking', '8'],
      ['Buses', 'fewer than 5'],
    ]);
    expect(r.secondary).toBe(true);
  });

  it('shows the same on the results page, for viewers', async () => {
    const viewer = await signedIn('viewer');
    const page = await viewer.get(`${base()}/results`);
    expect(page.statusCode).toBe(200);
    expect(cell(page.body, 'Bus')).toBe('fewer than 5');
    expect(cell(page.body, 'Car')).toBe('hidden');
    expect(cell(page.body, 'Walk')).toBe('7');
    expect(cell(page.body, 'Buses')).toBe('fewer than 5');
    expect(page.body).toContain('not shown (fewer than 5 answers)');
    expect(page.body).toContain('Quote me &lt;b&gt;please&lt;/b&gt;');
    expect(page.body).not.toContain('SECRET-UNMARKED');
    expect(page.body).not.toContain('John Smith');
    expect((await viewer.get(`/organisations/test-org/voice/${randomUUID()}/results`)).statusCode).toBe(404);
  });

  it('filters by area and by group, refusing ones it does not know', async () => {
    const inWard = await campaignResults(db(), campaign, questions, { area: { kind: 'ward25', code: ward, name: 'ward' } }, 5);
    expect(inWard.total.value).toBe(6);
    // Walk 6 (responses 10–15), Bus and Car 0: their hidden sum is 0, which identifies nobody.
    expect(inWard.questions[1]!.rows.map((x) => x.text)).toEqual(['fewer than 5', 'fewer than 5', '6']);
    const young = await campaignResults(db(), campaign, questions, { group: parseGroup('ageBand:25-34') }, 5);
    expect(young.total.value).toBe(5);
    expect(parseGroup('ageBand:not-a-band')).toBeNull();
    expect(parseGroup('postcode:WN1')).toBeNull();

    const viewer = await signedIn('viewer');
    const page = await viewer.get(`${base()}/results?area=ward25:${ward}`);
    expect(page.statusCode).toBe(200);
    expect(cell(page.body, 'Walk')).toBe('6');
    const bad = await viewer.get(`${base()}/results?area=ward25:E05999999&group=nonsense`);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Choose an area from the list');
    expect(bad.body).toContain('Choose a group of respondents from the list');
  });

  it('exports a CSV with no count below the threshold', async () => {
    const viewer = await signedIn('viewer');
    const response = await viewer.get(`${base()}/results.csv`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    const rows = parse(response.body.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const count = row.responses!;
      if (/^\d+$/.test(count)) expect(Number(count)).toBeGreaterThanOrEqual(5);
      else expect(['fewer than 5', 'hidden']).toContain(count);
      // No share is given for a hidden count.
      if (!/^\d+$/.test(count)) expect(row.percent).toBe('');
    }
    const bus = rows.find((r) => r.answer === 'Bus')!;
    expect(bus.responses).toBe('fewer than 5');
    expect(rows.find((r) => r.answer === 'Walk')).toMatchObject({ responses: '7', percent: '44%' });
    expect(rows.find((r) => r.question === 'How easy is it to get about?' && r.answer === 'Answered')).toMatchObject({ responses: 'fewer than 5', mean: '' });
    expect(response.body).not.toContain('SECRET-UNMARKED');
    // The pure function agrees with a lower threshold too: never a number below it.
    const csv = resultsCsv(campaign, await campaignResults(db(), campaign, questions, {}, 8), '');
    for (const row of parse(csv.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[]) if (/^\d+$/.test(row.responses!)) expect(Number(row.responses)).toBeGreaterThanOrEqual(8);
  });

  it('publishes a summary only when published, with publishable words only, escaped', async () => {
    const visitor = new Client(h.app);
    expect((await visitor.get(`/voice/${campaign.id}`)).statusCode).toBe(404);
    expect((await visitor.get('/voice')).body).not.toContain('Getting about');
    await setPublished(db(), campaign, true, cliActor);

    const page = await visitor.get(`/voice/${campaign.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sample data');
    expect(page.body).toContain('What would make getting about easier?');
    expect(page.body).toContain('Quote me &lt;b&gt;please&lt;/b&gt;');
    expect(page.body).toContain('Trimmed &lt;i&gt;quote&lt;/i&gt;');
    expect(page.body).not.toContain('<b>please');
    expect(page.body).not.toContain('SECRET-UNMARKED');
    expect(page.body).not.toContain('John Smith');
    expect(cell(page.body, 'Bus')).toBe('fewer than 5');
    expect(cell(page.body, 'Walking')).toBe('8');

    const list = await visitor.get('/voice');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Getting about (sample data)');
    expect(list.body).toMatch(/Test Organisation<\/td>[\s\S]*?<td class="govuk-table__cell govuk-table__cell--numeric">16<\/td>/);
    // A published campaign with 3 responses: its count is suppressed in the list too.
    const { campaign: small, questions: smallQuestions } = await sampleCampaign(db(), h.seed.organisationId, { title: 'Small chat (sample data)' });
    for (let i = 0; i < 3; i++) await recordResponse(db(), small, smallQuestions, { answers: { [smallQuestions[0]!.id]: { text: 'hello' } }, demographicsConsent: false }, { channel: 'volunteer' }, cliActor);
    await setPublished(db(), small, true, cliActor);
    expect((await visitor.get('/voice')).body).toMatch(/Small chat \(sample data\)[\s\S]*?<td class="govuk-table__cell govuk-table__cell--numeric">fewer than 5<\/td>/);
    expect((await visitor.get(`/voice/${small.id}`)).body).toMatch(/Responses\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*fewer than 5/);
    expect((await visitor.get(`/voice/${randomUUID()}`)).statusCode).toBe(404);
    expect((await visitor.get('/voice/not-a-campaign')).statusCode).toBe(404);

    await setPublished(db(), campaign, false, cliActor);
    expect((await visitor.get(`/voice/${campaign.id}`)).statusCode).toBe(404);
  });
});
