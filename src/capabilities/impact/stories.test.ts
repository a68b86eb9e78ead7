import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../platform/audit/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { engines } from '../../../tests/support/engines.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import { partnershipAreas } from '../partnerships/schema.ts';
import { impactOutcomes, impactStories, impactStoryAreas, impactStoryOutcomes } from './schema.ts';
import { storiesFor } from './stories.ts';
import { seedImpact, type ImpactFixture } from './testing.ts';

/*
 * Sample data: seedImpact's Marsh Green partnership covers the 2019 ward Worsley Mesnes (E05000864), in Wigan
 * (lad19 E08000010), and here also the public neighbourhood "Sample Marsh Green estate". It has two outcomes;
 * the Elsewhere partnership has one outcome and one story of its own.
 */
describe.each(engines)('impact stories on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: ImpactFixture;
  const ids = { lonely: '', active: '', foreignOutcome: '', neighbourhood: '', foreignStory: '', story: '', notAsked: '' };
  const wigan = 'E08000010';

  beforeAll(async () => {
    const db = h.database.db;
    await loadBundledSteps(db, ['lookup.lsoa11-ward19-lad19', 'population.iod2019', 'edition.iod2019']);
    f = await seedImpact(h.database, h.seed);
    const [lonely, active] = await db
      .insert(impactOutcomes)
      .values([
        { partnershipId: f.partnershipId, title: 'Fewer people feel lonely', agreedWith: 'Residents at the Marsh Green listening event', agreedOn: '2025-01-20', position: 1 },
        { partnershipId: f.partnershipId, title: 'More people are active', agreedWith: 'The partnership board', agreedOn: '2025-01-20', position: 2 },
      ])
      .returning({ id: impactOutcomes.id });
    ids.lonely = lonely!.id;
    ids.active = active!.id;
    const [foreign] = await db.insert(impactOutcomes).values({ partnershipId: f.otherPartnershipId, title: 'Not ours', agreedWith: 'Them', agreedOn: '2025-01-01' }).returning({ id: impactOutcomes.id });
    ids.foreignOutcome = foreign!.id;
    const [n] = await db.insert(neighbourhoods).values({ ownerOrganisationId: f.organisationId, name: 'Sample Marsh Green estate', purpose: 'pcn-footprint', sharing: 'public' }).returning({ id: neighbourhoods.id });
    ids.neighbourhood = n!.id;
    const [lsoa] = await queryRows<{ code: string }>(db, sql`select from_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'ward19' and to_code = ${f.wardCode} order by from_code limit 1`);
    const [v] = await queryRows<{ id: string }>(
      db,
      sql`insert into neighbourhood_versions (neighbourhood_id, version, method, boundary, area_sq_km) values (${ids.neighbourhood}, 1, 'lsoas', ST_Multi(ST_MakeEnvelope(-2.66, 53.52, -2.63, 53.54, 4326)), 1) returning id`,
    );
    await db.execute(sql`insert into neighbourhood_lsoas (version_id, lsoa_vintage, lsoa_code, share, area_share, method) values (${v!.id}, 'lsoa11', ${lsoa!.code}, 1, 1, 'whole-lsoa')`);
    await db.insert(partnershipAreas).values({ partnershipId: f.partnershipId, neighbourhoodId: ids.neighbourhood });
    const [other] = await db
      .insert(impactStories)
      .values({ partnershipId: f.otherPartnershipId, toldOn: '2025-03-01', title: 'Elsewhere story (sample data)', body: 'Not ours.', consent: 'given', consentOn: '2025-03-02', published: true, sample: true })
      .returning({ id: impactStories.id });
    ids.foreignStory = other!.id;
  }, 300_000);

  const signedIn = async (email: string) => {
    const client = new Client(h.app);
    expect((await client.signIn(email)).statusCode).toBe(303);
    return client;
  };
  const base = () => `/partnerships/${f.partnershipId}/impact/stories`;
  const storyCount = async () => (await h.database.db.select().from(impactStories).where(eq(impactStories.partnershipId, f.partnershipId))).length;
  const date = (name: string, iso: string) => {
    const [y, m, d] = iso.split('-') as [string, string, string];
    return { [`${name}-day`]: String(Number(d)), [`${name}-month`]: String(Number(m)), [`${name}-year`]: y };
  };
  const good = (): Record<string, string> => ({
    ...date('toldOn', '2025-05-14'),
    title: 'Marsh Green walking group started (sample data)',
    body: 'Six neighbours who had not met before now walk together every Tuesday.\n\nOne of them had not left the house in a month.',
    quote: 'I look forward to Tuesdays now',
    consent: 'given',
    ...date('consentOn', '2025-05-20'),
    sample: 'yes',
  });

  it('offers the partnership’s outcomes, wards, their districts and neighbourhoods, and nobody else’s', async () => {
    const member = await signedIn(emailOf('member'));
    const form = await member.get(`${base()}/new`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Fewer people feel lonely');
    expect(form.body).toContain('Worsley Mesnes (ward)');
    expect(form.body).toContain(`value="ward19:${f.wardCode}"`);
    expect(form.body).toContain('Wigan (district)');
    expect(form.body).toContain(`value="lad19:${wigan}"`);
    expect(form.body).toContain('Sample Marsh Green estate (neighbourhood)');
    expect(form.body).not.toContain('Not ours');
  });

  it('refuses bad input with specific messages and writes nothing', async () => {
    const member = await signedIn(emailOf('member'));
    await member.get(`${base()}/new`);
    const cases: [Record<string, string | string[]>, string][] = [
      [{ ...good(), title: '' }, 'Enter a title for the story'],
      [{ ...good(), body: '  ' }, 'Enter the story: what happened and what changed'],
      [{ ...good(), ...date('toldOn', '2099-01-01') }, 'The date the story was told must be today or in the past'],
      [{ ...good(), 'toldOn-day': '31', 'toldOn-month': '2' }, 'The date the story was told must be a real date'],
      [{ ...good(), consent: '' }, 'Choose whether they gave consent to publish the story'],
      [{ ...good(), 'consentOn-day': '', 'consentOn-month': '', 'consentOn-year': '' }, 'Enter the date they gave consent'],
      [{ ...good(), ...date('consentOn', '2025-05-01') }, 'The consent date must be on or after the date the story was told'],
      [{ ...good(), consent: 'not-asked' }, 'Leave the consent date empty when they have not been asked yet'],
      [{ ...good(), outcomes: [ids.lonely, ids.foreignOutcome] }, 'Choose outcomes from this partnership’s list'],
      [{ ...good(), areas: ['ward19:E05000001'] }, 'Choose places from this partnership’s list'],
      [{ ...good(), quote: 'x'.repeat(1001) }, 'The quote must be 1,000 characters or fewer'],
    ];
    for (const [form, message] of cases) {
      const response = await member.post(`${base()}/new`, form);
      expect(response.statusCode, message).toBe(400);
      expect(response.body).toContain(message);
      expect(response.body).toContain('govuk-error-summary');
    }
    expect(await storyCount()).toBe(0);
  });

  it('adds a story with its consent and tags, audited', async () => {
    const member = await signedIn(emailOf('member'));
    await member.get(`${base()}/new`);
    const response = await member.post(`${base()}/new`, { ...good(), outcomes: [ids.lonely, ids.active], areas: [`ward19:${f.wardCode}`, `lad19:${wigan}`, `neighbourhood:${ids.neighbourhood}`] });
    expect(response.statusCode).toBe(303);
    ids.story = response.headers.location!.split('/').pop()!;
    const [row] = await h.database.db.select().from(impactStories).where(eq(impactStories.id, ids.story));
    expect(row).toMatchObject({ partnershipId: f.partnershipId, toldOn: '2025-05-14', consent: 'given', consentOn: '2025-05-20', published: false, sample: true, quote: 'I look forward to Tuesdays now', createdBy: h.seed.userIds.member });
    const outcomes = await h.database.db.select().from(impactStoryOutcomes).where(eq(impactStoryOutcomes.storyId, ids.story));
    expect(outcomes.map((o) => o.outcomeId).sort()).toEqual([ids.lonely, ids.active].sort());
    const areas = await h.database.db.select().from(impactStoryAreas).where(eq(impactStoryAreas.storyId, ids.story));
    expect(areas.map((a) => `${a.vintage}:${a.code}`).sort()).toEqual([`lad19:${wigan}`, `neighbourhood:${ids.neighbourhood}`, `ward19:${f.wardCode}`]);
    const [audit] = await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'impact.story.created'), eq(auditEvents.objectId, ids.story)));
    expect(audit!.details).toMatchObject({ partnershipId: f.partnershipId, consent: 'given', outcomes: 2 });
    expect(JSON.stringify(audit!.details)).not.toContain('Tuesdays');

    const page = await member.get(response.headers.location!);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Story added. It is not published yet');
    expect(page.body).toContain('Not published');
    expect(page.body).toContain('Yes, they gave consent to publish, 20 May 2025');
    expect(page.body).toContain('One of them had not left the house in a month.');
    expect(page.body).toContain('Worsley Mesnes');
    expect(page.body).toContain(`action="${base()}/${ids.story}/publish"`);
  });

  it('refuses to publish a story without consent, and the database refuses it too', async () => {
    const member = await signedIn(emailOf('member'));
    await member.get(`${base()}/new`);
    const { 'consentOn-day': _d, 'consentOn-month': _m, 'consentOn-year': _y, ...rest } = good();
    const response = await member.post(`${base()}/new`, { ...rest, title: 'Not asked yet (sample data)', consent: 'not-asked', areas: [`ward19:${f.wardCode}`] });
    expect(response.statusCode).toBe(303);
    ids.notAsked = response.headers.location!.split('/').pop()!;
    const refused = await member.post(`${base()}/${ids.notAsked}/publish`);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('This story cannot be published: the person it is about has not given consent');
    const [row] = await h.database.db.select().from(impactStories).where(eq(impactStories.id, ids.notAsked));
    expect(row!.published).toBe(false);
    await expect(h.database.db.update(impactStories).set({ published: true }).where(eq(impactStories.id, ids.notAsked))).rejects.toThrow();
  });

  it('shows a published story on the ward, district and neighbourhood pages, and never an unpublished one', async () => {
    const anonymous = new Client(h.app);
    const before = await anonymous.get(`/areas/${f.wardCode}`);
    expect(before.statusCode).toBe(200);
    expect(before.body).not.toContain('Stories from here');

    const member = await signedIn(emailOf('member'));
    await member.get(`${base()}/${ids.story}`);
    const published = await member.post(`${base()}/${ids.story}/publish`);
    expect(published.statusCode).toBe(303);
    expect((await member.get(published.headers.location!)).body).toContain('Story published');
    expect((await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'impact.story.published'), eq(auditEvents.objectId, ids.story))))).toHaveLength(1);

    for (const url of [`/areas/${f.wardCode}`, `/areas/${wigan}`, `/neighbourhoods/${ids.neighbourhood}`]) {
      const page = await anonymous.get(url);
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).toContain('Stories from here');
      expect(page.body, url).toContain('Marsh Green walking group started (sample data)');
      expect(page.body, url).toContain('Sample Marsh Green Partnership');
      expect(page.body, url).toContain('I look forward to Tuesdays now');
      expect(page.body, url).not.toContain('Not asked yet (sample data)');
      // Members' links stay inside the partnership: the public page does not link to the story.
      expect(page.body, url).not.toContain(`${base()}/${ids.story}`);
    }
    // A ward of the same district the story is not tagged to shows nothing.
    const [otherWard] = await queryRows<{ code: string }>(h.database.db, sql`select distinct w.to_code as code from area_lookups w join area_lookups d on d.from_vintage = w.from_vintage and d.from_code = w.from_code and d.to_vintage = 'lad19' and d.to_code = ${wigan} where w.from_vintage = 'lsoa11' and w.to_vintage = 'ward19' and w.to_code <> ${f.wardCode} limit 1`);
    expect((await anonymous.get(`/areas/${otherWard!.code}`)).body).not.toContain('Stories from here');
    expect((await storiesFor(h.database.db, { area: { vintage: 'ward19', code: f.wardCode }, publishedOnly: true })).map((s) => s.id)).toEqual([ids.story]);
  });

  it('unpublishes a story when consent is withdrawn, and says so', async () => {
    const member = await signedIn(emailOf('member'));
    const form = await member.get(`${base()}/${ids.story}/edit`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="2025"');
    expect(form.body).toMatch(new RegExp(`value="${ids.lonely}"\\s+checked`));
    expect(form.body).toContain('If consent is no longer given, the story stops being published.');
    const response = await member.post(`${base()}/${ids.story}/edit`, { ...good(), consent: 'refused', ...date('consentOn', '2025-06-01'), outcomes: [ids.active], areas: [`ward19:${f.wardCode}`, `neighbourhood:${ids.neighbourhood}`] });
    expect(response.statusCode).toBe(303);
    expect((await member.get(response.headers.location!)).body).toContain('It is no longer published, because consent to publish is no longer given');
    const [row] = await h.database.db.select().from(impactStories).where(eq(impactStories.id, ids.story));
    expect(row).toMatchObject({ consent: 'refused', consentOn: '2025-06-01', published: false });
    expect((await h.database.db.select().from(impactStoryOutcomes).where(eq(impactStoryOutcomes.storyId, ids.story))).map((o) => o.outcomeId)).toEqual([ids.active]);
    expect((await h.database.db.select().from(impactStoryAreas).where(eq(impactStoryAreas.storyId, ids.story))).map((a) => a.vintage).sort()).toEqual(['neighbourhood', 'ward19']);
    const anonymous = new Client(h.app);
    for (const url of [`/areas/${f.wardCode}`, `/neighbourhoods/${ids.neighbourhood}`]) expect((await anonymous.get(url)).body, url).not.toContain('Stories from here');
  });

  it('refuses bad edits and leaves the story as it was', async () => {
    const member = await signedIn(emailOf('member'));
    await member.get(`${base()}/${ids.story}/edit`);
    const response = await member.post(`${base()}/${ids.story}/edit`, { ...good(), title: '', consent: 'given' });
    expect(response.statusCode).toBe(400);
    const [row] = await h.database.db.select().from(impactStories).where(eq(impactStories.id, ids.story));
    expect(row).toMatchObject({ title: 'Marsh Green walking group started (sample data)', consent: 'refused' });
  });

  it('lists every story of the partnership, newest first, with consent; viewers read but cannot change', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const list = await viewer.get(base());
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('2 stories, 0 published');
    expect(list.body).toContain('They refused, 1 June 2025');
    expect(list.body).toContain('Not asked yet');
    expect(list.body).not.toContain('Add a story');
    expect(list.body).not.toContain('Elsewhere story');
    const page = await viewer.get(`${base()}/${ids.story}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('/publish"');
    expect((await viewer.get(`${base()}/new`)).statusCode).toBe(403);
    expect((await viewer.post(`${base()}/${ids.story}/delete`)).statusCode).toBe(403);
    const member = await signedIn(emailOf('member'));
    expect((await member.get(base())).body).toContain('Add a story');
  });

  it('keeps another partnership’s stories and people apart', async () => {
    const member = await signedIn(emailOf('member'));
    // Another partnership's story through this partnership's address: not found.
    for (const rest of ['', '/edit', '/delete']) expect((await member.get(`${base()}/${ids.foreignStory}${rest}`)).statusCode, rest).toBe(404);
    expect((await member.post(`${base()}/${ids.foreignStory}/publish`)).statusCode).toBe(404);
    expect((await member.post(`${base()}/${ids.foreignStory}/delete`)).statusCode).toBe(404);
    expect((await member.get(`${base()}/not-a-story`)).statusCode).toBe(404);
    // The other partnership's own pages: forbidden to people outside it.
    expect((await member.get(`/partnerships/${f.otherPartnershipId}/impact/stories`)).statusCode).toBe(403);
    const elsewhere = await signedIn('elsewhere@example.org');
    expect((await elsewhere.get(base())).statusCode).toBe(403);
    expect((await elsewhere.get(`${base()}/${ids.story}`)).statusCode).toBe(403);
    expect((await elsewhere.post(`${base()}/${ids.story}/unpublish`)).statusCode).toBe(403);
    expect(await h.database.db.select().from(impactStories).where(eq(impactStories.id, ids.foreignStory))).toHaveLength(1);
    // A member of a partner organisation (not the lead) may add stories.
    const partner = await signedIn('partner@example.org');
    expect((await partner.get(`${base()}/new`)).statusCode).toBe(200);
  });

  it('deletes a story after asking', async () => {
    const member = await signedIn(emailOf('member'));
    const confirm = await member.get(`${base()}/${ids.notAsked}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Delete the story “Not asked yet (sample data)”?');
    const response = await member.post(`${base()}/${ids.notAsked}/delete`);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(base());
    expect(await h.database.db.select().from(impactStories).where(eq(impactStories.id, ids.notAsked))).toHaveLength(0);
    expect(await h.database.db.select().from(impactStoryAreas).where(eq(impactStoryAreas.storyId, ids.notAsked))).toHaveLength(0);
    expect(await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'impact.story.deleted'), eq(auditEvents.objectId, ids.notAsked)))).toHaveLength(1);
  });
});
