import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import type { Campaign, Question } from './campaigns.ts';
import { recordResponse } from './responses.ts';
import { sampleCampaign } from './testing.ts';
import { addTheme, nextUntagged } from './themes.ts';

/*
 * test-org runs "Proud of Pemberton" (sample data: a free-text, a choice and a scale question). Five responses,
 * answered a day apart (oldest first): three mention the bus station, one markup, one the park.
 */
describe.each(engines)('themes and tagging on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  let campaign: Campaign;
  let questions: Question[];
  const ids: string[] = [];
  const base = '/organisations/test-org/voice';

  const signedIn = async (who: string) => {
    const client = new Client(h.app);
    expect((await client.signIn(`${who}@example.org`)).statusCode).toBe(303);
    return client;
  };
  const themeRows = () => queryRows<{ id: string; name: string }>(db(), sql`select id, name from voice_themes where organisation_id = ${h.seed.organisationId} order by lower(name)`);
  const tagsOf = (responseId: string) => queryRows<{ name: string }>(db(), sql`select t.name from voice_response_themes rt join voice_themes t on t.id = rt.theme_id where rt.response_id = ${responseId} order by t.name`).then((r) => r.map((x) => x.name));
  const audits = (action: string) => queryRows<{ details: Record<string, unknown> }>(db(), sql`select details from audit_events where action = ${action} order by id`);

  const texts = [
    'The bus station is filthy',
    'I love the new bus station',
    '<script>alert("x")</script> Bus Station toilets are shut. Ask John Smith at number 4',
    'Nothing much',
    'Our park is lovely',
  ];

  it('sets up a campaign with responses', async () => {
    ({ campaign, questions } = await sampleCampaign(db(), h.seed.organisationId));
    const [textQ, choiceQ] = questions;
    for (const [i, words] of texts.entries()) {
      const result = await recordResponse(
        db(),
        campaign,
        questions,
        { answers: { [textQ!.id]: { text: words }, [choiceQ!.id]: { choices: ['1 to 5 years'] } }, demographicsConsent: false, answeredAt: new Date(Date.now() - (10 - i) * 86_400_000) },
        { channel: 'volunteer' },
        cliActor,
      );
      expect(result.status).toBe('recorded');
      ids.push((result as { id: string }).id);
    }
  });

  it('lets a coordinator add themes, refusing a name already used whatever its capitals', async () => {
    const coordinator = await signedIn('coordinator');
    const added = await coordinator.post(`${base}/themes`, { name: '  Parks  ', description: 'Parks and green spaces' });
    expect(added.statusCode).toBe(303);
    expect((await themeRows()).map((t) => t.name)).toEqual(['Parks']);
    expect((await audits('voice.theme.added')).at(-1)?.details).toEqual({ name: 'Parks' });

    const duplicate = await coordinator.post(`${base}/themes`, { name: 'PARKS' });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.body).toContain('There is already a theme called “Parks”');
    expect(duplicate.body).toContain('href="#name"');
    expect(await themeRows()).toHaveLength(1);

    const empty = await coordinator.post(`${base}/themes`, { name: '   ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter a name for the theme');

    expect((await coordinator.post(`${base}/themes`, { name: 'Transport' })).statusCode).toBe(303);
    const [parks, transport] = await themeRows();
    // Renaming to another theme's name (any capitals) is refused; renaming to a new one is not.
    const clash = await coordinator.post(`${base}/themes/${transport!.id}/edit`, { name: 'parks' });
    expect(clash.statusCode).toBe(409);
    expect(clash.body).toContain('There is already a theme called “Parks”');
    expect((await coordinator.post(`${base}/themes/${transport!.id}/edit`, { name: 'Buses and trains', description: '' })).statusCode).toBe(303);
    expect((await themeRows()).map((t) => t.name)).toEqual(['Buses and trains', 'Parks']);
    // Changing only the capitals of its own name is fine.
    expect((await coordinator.post(`${base}/themes/${parks!.id}/edit`, { name: 'parks' })).statusCode).toBe(303);
    expect((await themeRows()).map((t) => t.name)).toEqual(['Buses and trains', 'parks']);
    expect((await coordinator.get(`${base}/themes/${randomUUID()}/edit`)).statusCode).toBe(404);
  });

  it('shows viewers the list without the means to change it', async () => {
    const viewer = await signedIn('viewer');
    const page = await viewer.get(`${base}/themes`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Buses and trains');
    expect(page.body).not.toContain('Add a theme');
    expect((await viewer.post(`${base}/themes`, { name: 'Sneaky' })).statusCode).toBe(403);
    expect(await themeRows()).toHaveLength(2);
  });

  it('tags one response, adds a theme in the same go, and marks words publishable with a trimmed quote', async () => {
    const coordinator = await signedIn('coordinator');
    const [buses, parks] = await themeRows();
    const textQ = questions[0]!;
    const page = await coordinator.get(`${base}/${campaign.id}/responses/${ids[2]}/tag`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('&lt;script&gt;alert');
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).toContain(`name="publish-${textQ.id}"`);

    const saved = await coordinator.post(`${base}/${campaign.id}/responses/${ids[2]}/tag`, {
      themes: [buses!.id, parks!.id],
      'new-theme': 'Public toilets',
      [`publish-${textQ.id}`]: 'yes',
      [`quote-${textQ.id}`]: 'Bus Station toilets are shut.',
    });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`${base}/${campaign.id}/responses/${ids[2]}/tag`);
    expect(await tagsOf(ids[2]!)).toEqual(['Buses and trains', 'Public toilets', 'parks']);
    const [answer] = await queryRows<{ publishable: boolean; quote: string | null }>(db(), sql`select publishable, quote from voice_answers where response_id = ${ids[2]} and question_id = ${textQ.id}`);
    expect(answer).toEqual({ publishable: true, quote: 'Bus Station toilets are shut.' });
    expect((await audits('voice.response.tagged')).at(-1)?.details).toMatchObject({ themes: 3, publishable: 1 });

    // Saving again replaces: one theme left, no longer publishable.
    expect((await coordinator.post(`${base}/${campaign.id}/responses/${ids[2]}/tag`, { themes: parks!.id })).statusCode).toBe(303);
    expect(await tagsOf(ids[2]!)).toEqual(['parks']);
    const [after] = await queryRows<{ publishable: boolean }>(db(), sql`select publishable from voice_answers where response_id = ${ids[2]} and question_id = ${textQ.id}`);
    expect(after!.publishable).toBe(false);

    // A theme that is not the organisation's is refused and nothing changes.
    const bad = await coordinator.post(`${base}/${campaign.id}/responses/${ids[2]}/tag`, { themes: [parks!.id, randomUUID()] });
    expect(bad.statusCode).toBe(400);
    expect(await tagsOf(ids[2]!)).toEqual(['parks']);

    // Members capture but do not tag; a response of another campaign is not there.
    expect((await (await signedIn('member')).get(`${base}/${campaign.id}/responses/${ids[2]}/tag`)).statusCode).toBe(403);
    expect((await coordinator.get(`${base}/${campaign.id}/responses/${randomUUID()}/tag`)).statusCode).toBe(404);
  });

  it('goes on to the next untagged response, oldest first', async () => {
    const coordinator = await signedIn('coordinator');
    const [buses] = await themeRows();
    // ids[2] is tagged; the oldest untagged other than ids[0] is ids[1].
    expect(await nextUntagged(db(), campaign.id)).toBe(ids[0]);
    const saved = await coordinator.post(`${base}/${campaign.id}/responses/${ids[0]}/tag`, { themes: buses!.id, next: 'yes' });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`${base}/${campaign.id}/responses/${ids[1]}/tag`);
    expect(await tagsOf(ids[0]!)).toEqual(['Buses and trains']);
  });

  it('suggests themes from the words used and tags every response using one in one go', async () => {
    const coordinator = await signedIn('coordinator');
    const page = await coordinator.get(`${base}/${campaign.id}/themes`);
    expect(page.statusCode).toBe(200);
    // "bus station" is in responses 0, 1 and 2.
    expect(page.body).toMatch(/bus station<\/th>\s*<td class="govuk-table__cell govuk-table__cell--numeric">3<\/td>/);
    expect(page.body).toContain('<mark>Bus Station</mark>');
    expect(page.body).toContain('&lt;script&gt;');
    expect(page.body).not.toContain('<script>alert');

    const added = await coordinator.post(`${base}/${campaign.id}/themes/add`, { name: 'Bus station' });
    expect(added.statusCode).toBe(303);
    const theme = (await themeRows()).find((t) => t.name === 'Bus station')!;
    const tagged = await coordinator.post(`${base}/${campaign.id}/themes/tag`, { phrase: 'bus station', themeId: theme.id });
    expect(tagged.statusCode).toBe(303);
    for (const i of [0, 1, 2]) expect(await tagsOf(ids[i]!)).toContain('Bus station');
    expect(await tagsOf(ids[4]!)).toEqual([]);
    expect((await audits('voice.responses.tagged')).at(-1)?.details).toMatchObject({ theme: 'Bus station', matching: 'bus station', responses: 3, newlyTagged: 3 });
    // Again: nothing new.
    await coordinator.post(`${base}/${campaign.id}/themes/tag`, { phrase: 'bus station', themeId: theme.id });
    expect((await audits('voice.responses.tagged')).at(-1)?.details).toMatchObject({ newlyTagged: 0 });

    const noTheme = await coordinator.post(`${base}/${campaign.id}/themes/tag`, { phrase: 'bus station', themeId: '' });
    expect(noTheme.statusCode).toBe(400);
    expect(noTheme.body).toContain('Choose a theme');
  });

  it('removes a theme after a warning, untagging its responses', async () => {
    const coordinator = await signedIn('coordinator');
    const theme = (await themeRows()).find((t) => t.name === 'Bus station')!;
    const confirm = await coordinator.get(`${base}/themes/${theme.id}/remove`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('It is on 3 responses');
    expect((await coordinator.post(`${base}/themes/${theme.id}/remove`)).statusCode).toBe(303);
    expect((await themeRows()).some((t) => t.name === 'Bus station')).toBe(false);
    expect(await tagsOf(ids[1]!)).toEqual([]);
    expect((await audits('voice.theme.removed')).at(-1)?.details).toEqual({ name: 'Bus station', untagged: 3 });
  });

  it('keeps each organisation’s themes and campaigns to itself', async () => {
    const [other] = await db().insert(organisations).values({ slug: `other-${randomUUID().slice(0, 8)}`, name: 'Other Organisation (sample data)', kind: 'vcse' }).returning({ id: organisations.id });
    const theirs = await addTheme(db(), other!.id, { name: 'Theirs' }, cliActor);
    // The same name in another organisation is no clash.
    await addTheme(db(), other!.id, { name: 'Parks' }, cliActor);
    const { campaign: otherCampaign } = await sampleCampaign(db(), other!.id);
    const coordinator = await signedIn('coordinator');
    expect((await coordinator.get(`${base}/${otherCampaign.id}/themes`)).statusCode).toBe(404);
    expect((await coordinator.get(`${base}/themes/${theirs.id}/edit`)).statusCode).toBe(404);
    expect((await coordinator.post(`${base}/${campaign.id}/responses/${ids[3]}/tag`, { themes: theirs.id })).statusCode).toBe(400);
    expect(await tagsOf(ids[3]!)).toEqual([]);
  });
});
